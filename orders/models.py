"""Tables of the order domain."""
from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import TSVECTOR

from engine.db import db
from engine.models import ProcessInstance, UTCDateTime, utcnow
from .crypto import Encrypted

MONEY = db.Numeric(16, 2)
QUANTITY = db.Numeric(16, 4)
# Searchable text per order on PostgreSQL (to_tsvector over number, title, customer and items);
# SQLite keeps the same text in the FTS5 table `order_fts` instead and leaves this NULL.
SEARCH_VECTOR = db.Text().with_variant(TSVECTOR(), 'postgresql')


class Customer(db.Model):
    __tablename__ = 'customer'
    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(40), unique=True, nullable=False)
    name = db.Column(db.String(200), nullable=False, index=True)
    address = db.Column(db.String(500))
    # Encrypted at rest (Fernet, ORDER_DATA_KEY); never searchable, shown masked by the API.
    tax_number = db.Column(Encrypted)
    bank_name = db.Column(db.String(200))
    bank_account = db.Column(Encrypted)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    created_by = db.Column(db.String(100))
    contacts = db.relationship('CustomerContact', backref='customer', order_by='CustomerContact.id',
                               cascade='all, delete-orphan', lazy='selectin')


class CustomerContact(db.Model):
    __tablename__ = 'customer_contact'
    id = db.Column(db.Integer, primary_key=True)
    customer_id = db.Column(db.Integer, db.ForeignKey('customer.id', ondelete='CASCADE'), nullable=False, index=True)
    name = db.Column(db.String(200), nullable=False)
    role = db.Column(db.String(100))
    email = db.Column(db.String(200))
    phone = db.Column(db.String(50))


class Order(db.Model):
    __tablename__ = 'eng_order'
    __table_args__ = (
        Index('ix_eng_order_customer_created', 'customer_id', 'created_at'),
        Index('ix_eng_order_stage_created', 'stage', 'created_at'),
        Index('ix_eng_order_status_created', 'status', 'created_at'),
        Index('ix_eng_order_search_vector', 'search_vector', postgresql_using='gin'),
        CheckConstraint('amount >= 0', name='amount_not_negative'),
        # SQLite: ids are never reused, so a row left in order_fts can never point at a new order.
        {'sqlite_autoincrement': True},
    )
    id = db.Column(db.Integer, primary_key=True)
    number = db.Column(db.String(40), unique=True, nullable=False)
    title = db.Column(db.String(200), nullable=False)
    # Kind of work: design, procurement, construction, maintenance, ...
    type = db.Column(db.String(30), nullable=False, index=True)
    # Commercial kind the approval rules read (lifecycle variable `order_type`).
    order_type = db.Column(db.String(20), nullable=False, default='standard')
    customer_id = db.Column(db.Integer, db.ForeignKey('customer.id'), nullable=False)
    site = db.Column(db.String(200))
    project = db.Column(db.String(200))
    department = db.Column(db.String(100))
    cost_center = db.Column(db.String(50))
    owner = db.Column(db.String(100), index=True)
    priority = db.Column(db.String(10), nullable=False, default='normal')
    urgency = db.Column(db.String(10), nullable=False, default='normal')
    currency = db.Column(db.String(3), nullable=False, default='CNY')
    amount = db.Column(MONEY, nullable=False, index=True)
    # What the order may cost; NULL means its amount. actual_cost is booked against it.
    budget = db.Column(MONEY)
    actual_cost = db.Column(MONEY, nullable=False, default=0)
    description = db.Column(db.Text)
    requested_date = db.Column(db.Date)
    planned_start = db.Column(db.Date)
    planned_end = db.Column(db.Date)
    actual_start = db.Column(db.Date)
    actual_end = db.Column(db.Date)
    # Every order has its lifecycle instance: both are written in one transaction.
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id'), nullable=False, unique=True)
    # Derived from the instance in every transaction that changes it (projection.py), never set by hand:
    # the stage (its ready task, else its latest), the status, the earliest due time of its ready
    # tasks, and the lifecycle's `total_actual_cost`.
    stage = db.Column(db.String(20), nullable=False, default='intake', server_default='intake')
    status = db.Column(db.String(10), nullable=False, default='open', server_default='open')
    next_due_at = db.Column(UTCDateTime, index=True)
    process_actual_cost = db.Column(MONEY)
    revision = db.Column(db.Integer, nullable=False, default=1)
    source = db.Column(db.String(10), nullable=False, default='api')  # api, import, web
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    created_by = db.Column(db.String(100))
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    search_vector = db.Column(SEARCH_VECTOR)

    customer = db.relationship('Customer', lazy='select')
    instance = db.relationship(ProcessInstance, lazy='select')
    items = db.relationship('OrderItem', backref='order', order_by='OrderItem.position',
                            cascade='all, delete-orphan', lazy='select')
    milestones = db.relationship('OrderMilestone', backref='order', order_by='OrderMilestone.position',
                                 cascade='all, delete-orphan', lazy='select')


class OrderItem(db.Model):
    __tablename__ = 'order_item'
    __table_args__ = (UniqueConstraint('order_id', 'position'),
                      CheckConstraint('quantity > 0', name='quantity_positive'),
                      CheckConstraint('unit_price >= 0', name='unit_price_not_negative'))
    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey('eng_order.id', ondelete='CASCADE'), nullable=False)
    position = db.Column(db.Integer, nullable=False)
    description = db.Column(db.String(500), nullable=False)
    quantity = db.Column(QUANTITY, nullable=False)
    unit = db.Column(db.String(20), nullable=False)
    unit_price = db.Column(MONEY, nullable=False)


class OrderMilestone(db.Model):
    __tablename__ = 'order_milestone'
    __table_args__ = (UniqueConstraint('order_id', 'position'),
                      Index('ix_order_milestone_open_due', 'order_id', 'actual_end', 'planned_end'))
    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey('eng_order.id', ondelete='CASCADE'), nullable=False)
    position = db.Column(db.Integer, nullable=False)
    name = db.Column(db.String(200), nullable=False)
    planned_start = db.Column(db.Date)
    planned_end = db.Column(db.Date, nullable=False)
    actual_start = db.Column(db.Date)
    actual_end = db.Column(db.Date)


class OrderCounter(db.Model):
    """The last number given out per series (the number format with its year filled in)."""
    __tablename__ = 'order_counter'
    series = db.Column(db.String(100), primary_key=True)
    value = db.Column(db.Integer, nullable=False, default=0)


class IdempotencyKey(db.Model):
    """An `Idempotency-Key` a client sent with a create request: the same key and body give back
    the same order; the same key with another body is refused."""
    __tablename__ = 'order_idempotency'
    username = db.Column(db.String(100), primary_key=True)
    key = db.Column(db.String(200), primary_key=True)
    request_hash = db.Column(db.String(64), nullable=False)
    order_number = db.Column(db.String(40), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class OrderChange(db.Model):
    """A change request on a running order: its own approval (bpmn/change_order.bpmn), delivered
    to the order's lifecycle as a message. Applied changes carry the revision they produced and
    the order's values before it; rejected or withdrawn ones leave the order untouched."""
    __tablename__ = 'order_change'
    __table_args__ = (UniqueConstraint('order_id', 'sequence'),
                      CheckConstraint("status in ('pending', 'approved', 'rejected', 'withdrawn')",
                                      name='change_status'))
    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey('eng_order.id', ondelete='CASCADE'), nullable=False, index=True)
    sequence = db.Column(db.Integer, nullable=False)  # 1, 2, ... per order
    status = db.Column(db.String(10), nullable=False, default='pending')
    scope = db.Column(db.Text, nullable=False)
    reason = db.Column(db.Text, nullable=False)
    amount_delta = db.Column(MONEY, nullable=False, default=0)
    old_amount = db.Column(MONEY, nullable=False)
    new_amount = db.Column(MONEY, nullable=False)
    new_requested_date = db.Column(db.Date)
    new_planned_end = db.Column(db.Date)
    # The new total needs an approval level the order's amount did not: the whole chain runs again.
    needs_reapproval = db.Column(db.Boolean, nullable=False, default=False)
    requested_by = db.Column(db.String(100), nullable=False)
    requested_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    decided_by = db.Column(db.String(100))
    decided_at = db.Column(UTCDateTime)
    decision_comment = db.Column(db.Text)
    revision = db.Column(db.Integer)       # the order's revision once applied
    previous = db.Column(db.JSON)          # the order's values before it was applied

    order = db.relationship('Order', backref=db.backref('changes', order_by='OrderChange.sequence',
                                                        cascade='all, delete-orphan', lazy='select'))


class OrderAttachment(db.Model):
    """A file kept with an order (or, for a process without one, its instance): from the intake
    form, a task form, a change request or the API.
    The bytes live in the row, so an upload is part of the transaction that records it."""
    __tablename__ = 'order_attachment'
    __table_args__ = (CheckConstraint('order_id IS NOT NULL OR instance_id IS NOT NULL', name='attachment_owner'),)
    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey('eng_order.id', ondelete='CASCADE'), index=True)
    # Files uploaded in a task form of a process that has no order stay with its instance.
    instance_id = db.Column(db.Integer, db.ForeignKey('process_instance.id', ondelete='CASCADE'), index=True)
    filename = db.Column(db.String(255), nullable=False)
    content_type = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    content = db.deferred(db.Column(db.LargeBinary, nullable=False))
    source = db.Column(db.String(20), nullable=False, default='web')  # intake, task, change, api, web
    task_id = db.Column(db.String(64))    # the task whose form carried it
    task_name = db.Column(db.String(200))
    field = db.Column(db.String(100))     # the form field it was uploaded in
    uploaded_by = db.Column(db.String(100), nullable=False)
    uploaded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class OrderCost(db.Model):
    """A budget line or an actual cost booked on an order, per category (labour, material, ...).
    Budget vs actual per category are the sums of these rows."""
    __tablename__ = 'order_cost'
    __table_args__ = (Index('ix_order_cost_order_category', 'order_id', 'category'),
                      CheckConstraint("kind in ('budget', 'actual')", name='cost_kind'))
    id = db.Column(db.Integer, primary_key=True)
    order_id = db.Column(db.Integer, db.ForeignKey('eng_order.id', ondelete='CASCADE'), nullable=False)
    category = db.Column(db.String(30), nullable=False)
    kind = db.Column(db.String(10), nullable=False)
    amount = db.Column(MONEY, nullable=False)
    note = db.Column(db.String(500))
    booked_by = db.Column(db.String(100), nullable=False)
    booked_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class OrderImport(db.Model):
    """A spreadsheet uploaded in the import page: checked on upload (the preview), imported by a
    worker once confirmed, with its progress and its report. The file lives in the row until then."""
    __tablename__ = 'order_import'
    __table_args__ = (CheckConstraint("status in ('checked', 'queued', 'running', 'done', 'failed', 'discarded')",
                                      name='import_status'),)
    id = db.Column(db.Integer, primary_key=True)
    filename = db.Column(db.String(255), nullable=False)
    format = db.Column(db.String(4), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    content = db.deferred(db.Column(db.LargeBinary))  # dropped once imported or discarded
    # The valid rows as the preview found them, what the import makes orders of:
    # [{row, values (OrderIn's, as JSON), customer: [id, code, name]}]; dropped with the file.
    checked = db.deferred(db.Column(db.JSON))
    status = db.Column(db.String(10), nullable=False, default='checked')
    created_by = db.Column(db.String(100), nullable=False, index=True)
    created_groups = db.Column(db.JSON, nullable=False, default=list)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    rows = db.Column(db.Integer, nullable=False, default=0)
    valid = db.Column(db.Integer, nullable=False, default=0)
    invalid = db.Column(db.Integer, nullable=False, default=0)
    imported = db.Column(db.Integer, nullable=False, default=0)
    failed = db.Column(db.Integer, nullable=False, default=0)
    problems = db.Column(db.JSON, nullable=False, default=list)  # [{row, column, problem}]
    orders = db.Column(db.JSON, nullable=False, default=list)    # [{row, number}] once imported
    parts = db.Column(db.Integer, nullable=False, default=0)       # OrderImportPart rows, once split
    parts_done = db.Column(db.Integer, nullable=False, default=0)
    queued_at = db.Column(UTCDateTime)
    started_at = db.Column(UTCDateTime)
    heartbeat_at = db.Column(UTCDateTime)  # the worker importing it was alive then
    finished_at = db.Column(UTCDateTime)
    error = db.Column(db.Text)


class OrderImportPart(db.Model):
    """A slice of a confirmed import's valid rows, imported by one worker job: the parts of an
    import run side by side on as many workers as there are."""
    __tablename__ = 'order_import_part'
    __table_args__ = (UniqueConstraint('import_id', 'part', name='uq_order_import_part'),
                      CheckConstraint("status in ('queued', 'running', 'done')", name='import_part_status'))
    id = db.Column(db.Integer, primary_key=True)
    import_id = db.Column(db.Integer, db.ForeignKey('order_import.id', ondelete='CASCADE'), nullable=False)
    part = db.Column(db.Integer, nullable=False)
    # [{row, values (OrderIn's JSON), customer: [id, code, name], number: [series, seq, number]}]
    rows = db.deferred(db.Column(db.JSON, nullable=False))
    status = db.Column(db.String(10), nullable=False, default='queued')
    imported = db.Column(db.Integer, nullable=False, default=0)
    failed = db.Column(db.Integer, nullable=False, default=0)
    problems = db.Column(db.JSON, nullable=False, default=list)
    orders = db.Column(db.JSON, nullable=False, default=list)
    heartbeat_at = db.Column(UTCDateTime)
    finished_at = db.Column(UTCDateTime)
