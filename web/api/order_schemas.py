"""REST payloads of orders and customers. The input schemas live in orders.validation (the bulk
import checks rows with them too); these are the answers and query strings."""
from marshmallow import Schema, fields, validate

from orders.sheets import FORMATS
from orders.stages import STAGES, STATUSES
from orders.validation import ContactIn, CustomerIn, LineItemIn, MilestoneIn, OrderIn  # noqa: F401

Money = fields.Float


class CustomerRef(Schema):
    code = fields.String()
    name = fields.String()


class LineItem(Schema):
    description = fields.String()
    quantity = fields.Float()
    unit = fields.String()
    unit_price = Money()
    total = Money()


class Milestone(Schema):
    name = fields.String()
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date()
    actual_start = fields.Date(allow_none=True)
    actual_end = fields.Date(allow_none=True)


class OrderTask(Schema):
    id = fields.String()
    name = fields.String(metadata={'description': 'BPMN id'})
    title = fields.String()
    lane = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    stage = fields.String(allow_none=True)


class OrderSummary(Schema):
    number = fields.String(metadata={'description': 'from ORDER_NUMBER_FORMAT, e.g. EO-2026-0001'})
    title = fields.String()
    type = fields.String(metadata={'description': 'kind of work'})
    order_type = fields.String(metadata={'description': 'standard, framework or emergency (approval rules)'})
    customer = fields.Nested(CustomerRef)
    site = fields.String(allow_none=True)
    project = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    cost_center = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    priority = fields.String()
    urgency = fields.String()
    currency = fields.String()
    amount = Money()
    budget = Money(metadata={'description': 'the amount unless a budget was set'})
    actual_cost = Money(metadata={'description': "the larger of the booked cost and the lifecycle's "
                                                 "total_actual_cost"})
    description = fields.String(allow_none=True)
    requested_date = fields.Date(allow_none=True)
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    actual_start = fields.Date(allow_none=True)
    actual_end = fields.Date(allow_none=True)
    stage = fields.String(metadata={'enum': list(STAGES), 'description': 'derived from the lifecycle instance'})
    status = fields.String(metadata={'enum': list(STATUSES)})
    instance_id = fields.Integer(metadata={'description': 'the order_lifecycle process instance'})
    instance_status = fields.String()
    revision = fields.Integer()
    source = fields.String(metadata={'enum': ['api', 'import', 'web']})
    created_at = fields.DateTime()
    created_by = fields.String(allow_none=True)
    updated_at = fields.DateTime()
    next_due_at = fields.DateTime(allow_none=True, metadata={'description': 'earliest due time of its ready tasks'})
    overdue = fields.Boolean(metadata={'description': 'a ready task or a milestone is past due'})
    cost_overrun = fields.Boolean(metadata={'description': 'actual cost over budget by more than '
                                                           'ORDER_OVERRUN_PERCENT'})
    flags = fields.List(fields.String(), metadata={'description': 'the risk flags that are set'})


class OrderDetail(OrderSummary):
    line_items = fields.List(fields.Nested(LineItem))
    milestones = fields.List(fields.Nested(Milestone))
    tasks = fields.List(fields.Nested(OrderTask), metadata={'description': 'ready human tasks and who holds them'})


class OrderPage(Schema):
    items = fields.List(fields.Nested(OrderSummary))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class OrderFilterQuery(Schema):
    q = fields.String(metadata={'description': 'full text: number, title, customer name, line items; every '
                                               'word must match the start of a word'})
    stage = fields.String(metadata={'description': 'one or more (comma-separated) of ' + ', '.join(STAGES)})
    status = fields.String(metadata={'description': 'one or more (comma-separated) of ' + ', '.join(STATUSES)})
    customer = fields.String(metadata={'description': "customer's code or exact name"})
    type = fields.String(metadata={'description': 'one or more (comma-separated) kinds of work'})
    owner = fields.String()
    amount_min = fields.Decimal(allow_nan=False, metadata={'type': 'number'})
    amount_max = fields.Decimal(allow_nan=False, metadata={'type': 'number'})
    overdue = fields.Boolean()
    cost_overrun = fields.Boolean()
    sort = fields.String(load_default='-created_at', metadata={
        'description': 'number, title, amount, created_at, requested_date, customer, type, priority, owner or '
                       'updated_at; prefix - for descending'})


class OrderQuery(OrderFilterQuery):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class ExportQuery(OrderFilterQuery):
    format = fields.String(load_default='csv', validate=validate.OneOf(FORMATS))


class TemplateQuery(Schema):
    format = fields.String(load_default='csv', validate=validate.OneOf(FORMATS))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={'description': 'check every row, import nothing'})
    background = fields.Boolean(load_default=False, metadata={
        'description': 'check the rows now, import the valid ones on the workers: answers 202 with the import '
                       '(OrderImport), to follow at its Location'})


class ImportForm(Schema):
    file = fields.Raw(required=True, metadata={'type': 'string', 'format': 'binary',
                                               'description': '.csv or .xlsx in the template layout'})


class ImportProblem(Schema):
    row = fields.Integer(allow_none=True, metadata={'description': 'spreadsheet row (the header is row 1)'})
    column = fields.String(allow_none=True)
    problem = fields.String()


class ImportedOrder(Schema):
    row = fields.Integer()
    number = fields.String()


class ImportReport(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer(metadata={'description': 'data rows read'})
    valid = fields.Integer()
    invalid = fields.Integer()
    imported = fields.Integer()
    failed = fields.Integer(metadata={'description': 'valid rows the engine refused to start'})
    problems = fields.List(fields.Nested(ImportProblem))
    orders = fields.List(fields.Nested(ImportedOrder))


class OrderImport(Schema):
    """An import run on the workers: its rows' problems from the start, its orders once done."""
    id = fields.Integer()
    filename = fields.String()
    status = fields.String(metadata={'description': 'queued, running, done or failed (checked and discarded '
                                                    'belong to the import page)'})
    rows = fields.Integer(metadata={'description': 'data rows read'})
    valid = fields.Integer()
    invalid = fields.Integer()
    imported = fields.Integer(metadata={'description': 'orders made so far'})
    failed = fields.Integer(metadata={'description': 'valid rows not imported'})
    problems = fields.List(fields.Nested(ImportProblem))
    orders = fields.List(fields.Nested(ImportedOrder), metadata={'description': 'once done'})
    error = fields.String(allow_none=True, metadata={'description': 'why a failed import stopped'})
    created_by = fields.String()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class Contact(Schema):
    name = fields.String()
    role = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)


class CustomerView(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    address = fields.String(allow_none=True)
    tax_number = fields.String(allow_none=True, metadata={'description': 'masked: only the last 4 characters'})
    bank_name = fields.String(allow_none=True)
    bank_account = fields.String(allow_none=True, metadata={'description': 'masked: only the last 4 characters'})
    created_at = fields.DateTime()
    contacts = fields.List(fields.Nested(Contact))


class CustomerPage(Schema):
    items = fields.List(fields.Nested(CustomerView))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class CustomerQuery(Schema):
    q = fields.String(metadata={'description': 'part of the name or code'})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
