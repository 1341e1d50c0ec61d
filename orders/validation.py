"""What a new order and a new customer must look like: marshmallow schemas shared by the REST API
(which also documents them in OpenAPI) and the bulk import, so both refuse the same data."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

WORK_TYPES = ('design', 'procurement', 'construction', 'installation', 'maintenance', 'consulting', 'other')
ORDER_TYPES = ('standard', 'framework', 'emergency')
PRIORITIES = ('low', 'normal', 'high', 'critical')
URGENCIES = ('normal', 'urgent')
MAX_MONEY = Decimal('99999999999999.99')
MAX_LINE_ITEMS = 200


def _text(max_length, required=False, min_length=None, **kw):
    return fields.String(required=required, validate=validate.Length(min=min_length, max=max_length), **kw)


def _money(required=False, description=None, **kw):
    metadata = {'type': 'number', **({'description': description} if description else {})}
    return fields.Decimal(required=required, places=2, rounding=ROUND_HALF_UP, allow_nan=False,
                          validate=validate.Range(min=0, max=MAX_MONEY, error='must be between {min} and {max}'),
                          metadata=metadata, **kw)


def _one_of(choices, default):
    return fields.String(load_default=default, validate=validate.OneOf(choices),
                         metadata={'enum': list(choices)})


class LineItemIn(Schema):
    description = _text(500, required=True, min_length=1)
    quantity = fields.Decimal(required=True, places=4, rounding=ROUND_HALF_UP, allow_nan=False,
                              metadata={'type': 'number'},
                              validate=validate.Range(min=0, min_inclusive=False, max=Decimal('999999999999'),
                                                      error='must be greater than 0 (and at most {max})'))
    unit = _text(20, required=True, min_length=1)
    unit_price = _money(required=True)


class MilestoneIn(Schema):
    name = _text(200, required=True, min_length=1)
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(required=True)

    @validates_schema
    def _dates(self, data, **kwargs):
        if data.get('planned_start') and data['planned_end'] < data['planned_start']:
            raise ValidationError('must not be before planned_start', 'planned_end')


class OrderIn(Schema):
    """A new engineering order. `customer` is a customer's code, or its exact name."""
    title = _text(200, required=True, min_length=1)
    type = _one_of(WORK_TYPES, 'other')
    order_type = _one_of(ORDER_TYPES, 'standard')
    customer = _text(200, required=True, min_length=1)
    site = _text(200, allow_none=True)
    project = _text(200, allow_none=True)
    department = _text(100, allow_none=True)
    cost_center = _text(50, allow_none=True)
    owner = _text(100, allow_none=True, metadata={'description': 'username; the caller when left out'})
    priority = _one_of(PRIORITIES, 'normal')
    urgency = _one_of(URGENCIES, 'normal')
    currency = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r'^[A-Z]{3}$', error='must be a three-letter ISO 4217 code such as CNY'))
    amount = _money(allow_none=True, description='the sum of the line items when left out')
    budget = _money(allow_none=True, description='what the order may cost; its amount when left out')
    description = _text(4000, allow_none=True)
    requested_date = fields.Date(allow_none=True, metadata={'description': 'requested delivery date'})
    planned_start = fields.Date(allow_none=True)
    planned_end = fields.Date(allow_none=True)
    line_items = fields.List(fields.Nested(LineItemIn), required=True,
                             validate=validate.Length(min=1, max=MAX_LINE_ITEMS))
    milestones = fields.List(fields.Nested(MilestoneIn), load_default=list, validate=validate.Length(max=50))

    @validates_schema
    def _dates(self, data, **kwargs):
        if data.get('planned_start') and data.get('planned_end') and data['planned_end'] < data['planned_start']:
            raise ValidationError('must not be before planned_start', 'planned_end')


class ContactIn(Schema):
    name = _text(200, required=True, min_length=1)
    role = _text(100, allow_none=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200))
    phone = _text(50, allow_none=True)


class CustomerIn(Schema):
    """A new customer. Tax and bank numbers are stored encrypted and shown masked."""
    code = fields.String(validate=validate.Regexp(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$',
                                                  error='letters, digits, ".", "_" or "-", at most 40'),
                         metadata={'description': 'your key for the customer; C00001, ... when left out'})
    name = _text(200, required=True, min_length=1)
    address = _text(500, allow_none=True)
    tax_number = _text(50, allow_none=True)
    bank_name = _text(200, allow_none=True)
    bank_account = _text(60, allow_none=True)
    contacts = fields.List(fields.Nested(ContactIn), load_default=list, validate=validate.Length(max=50))


def error_paths(messages, prefix=''):
    """marshmallow's nested messages as [(path, message)], paths like `line_items/0/quantity`."""
    out = []
    for key, value in messages.items():
        path = f'{prefix}{key}'
        if isinstance(value, dict):
            out += error_paths(value, path + '/')
        else:
            out += [(path, m) for m in (value if isinstance(value, list) else [value])]
    return out
