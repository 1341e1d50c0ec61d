"""Starting an order's lifecycle so that the order and its instance exist together or not at all.

`engine.commands.start` runs the whole start in one transaction and commits it itself. The
order's rows are written into that same transaction by two session hooks, armed only while the
start runs:

- before_flush notes the new `order_lifecycle` ProcessInstance the engine is about to insert;
- before_commit, when the instance has its id, inserts the order, its line items and
  milestones, and its search entry (plus, after a rollback, the number and idempotency key again);
- after_rollback notes that the number and key are to be written again.

If the engine refuses the start (an EngineError) it rolls back and nothing of the order is left,
and its number is free again. If a step fails, the engine rolls back and keeps the instance in
`error` with an incident, in a transaction of its own: the order is written with that instance,
so it exists, shows status `error`, and can be retried from the incident.
"""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from engine import commands
from engine.db import db
from engine.models import ProcessInstance, utcnow
from . import attachments, numbering, projection, search
from .models import IdempotencyKey, Order, OrderItem, OrderMilestone
from .stages import LIFECYCLE

_PENDING = 'eoms_pending_order'


def _json(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class PendingOrder:
    """An order being created: its validated values, and what has been written for it so far."""

    def __init__(self, values, customer, actor, currency, source='api', idempotency=None, uploads=(), number=None):
        self.values = values
        self.uploads = list(uploads)  # attachments.Upload files kept with the order (checked)
        self.customer_id, self.customer_code, self.customer_name = customer.id, customer.code, customer.name
        self.actor = actor
        self.currency = values.get('currency') or currency
        self.source = source
        self.idempotency = idempotency  # (key, request hash) or None
        # number: (series, seq, number) reserved beforehand (numbering.reserve), else allocated here
        self.series, self.seq, self.number = number or (None, None, None)
        self.reserved = number is not None
        self.instance = None
        self.written_for = None
        self.order_id = None
        self.needs_prepare = False

    # -- what the order is --------------------------------------------------------------------

    @property
    def amount(self):
        if self.values.get('amount') is not None:
            return self.values['amount']
        total = sum((i['quantity'] * i['unit_price'] for i in self.values['line_items']), Decimal(0))
        return total.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)

    def process_data(self):
        """The order as the lifecycle's process data: JSON only (numbers, ISO dates). It was
        validated whole, so the lifecycle goes straight to the quotation (`intake_complete`)."""
        v = self.values
        data = {
            'intake_complete': True,
            'order_number': self.number, 'title': v['title'], 'customer': self.customer_name,
            'customer_code': self.customer_code, 'work_type': v['type'], 'order_type': v['order_type'],
            'urgency': v['urgency'], 'priority': v['priority'], 'amount': _json(self.amount), 'currency': self.currency,
            'description': v.get('description'), 'requested_date': _json(v.get('requested_date')),
            'site': v.get('site'), 'project': v.get('project'), 'department': v.get('department'),
            'cost_center': v.get('cost_center'), 'owner': v.get('owner') or self.actor.username,
            'line_items': [{'description': i['description'], 'quantity': _json(i['quantity']), 'unit': i['unit'],
                            'unit_price': _json(i['unit_price'])} for i in v['line_items']],
        }
        return {k: value for k, value in data.items() if value is not None}

    def search_text(self):
        return search.index_text(self.number, self.values['title'], self.customer_name,
                                 [i['description'] for i in self.values['line_items']])

    # -- writing ----------------------------------------------------------------------------

    def prepare(self, session):
        """The number (counter row locked until commit) and the idempotency key, in the
        transaction the engine will commit. A second request with the same key fails here."""
        if self.number is None:
            self.series, self.seq, self.number = numbering.allocate(session)
        elif not self.reserved:  # after a rollback: the same number again
            numbering.claim(session, self.series, self.seq)
        if self.idempotency is not None:
            key, request_hash = self.idempotency
            session.connection().execute(insert(IdempotencyKey.__table__), [{
                'username': self.actor.username, 'key': key, 'request_hash': request_hash,
                'order_number': self.number, 'created_at': utcnow()}])
        self.needs_prepare = False

    def write(self, session, instance):
        v, now = self.values, utcnow()
        row = {
            'number': self.number, 'title': v['title'], 'type': v['type'], 'order_type': v['order_type'],
            'customer_id': self.customer_id, 'site': v.get('site'), 'project': v.get('project'),
            'department': v.get('department'), 'cost_center': v.get('cost_center'),
            'owner': v.get('owner') or self.actor.username, 'priority': v['priority'], 'urgency': v['urgency'],
            'currency': self.currency, 'amount': self.amount, 'budget': v.get('budget'), 'actual_cost': 0,
            'description': v.get('description'), 'requested_date': v.get('requested_date'),
            'planned_start': v.get('planned_start'), 'planned_end': v.get('planned_end'),
            'instance_id': instance.id, 'revision': 1, 'source': self.source, 'created_at': now,
            'created_by': self.actor.username, 'updated_at': now,
        }
        conn = session.connection()  # Core statements: a fraction of the ORM's cost per row
        row.update(projection.derive(conn, instance.id, instance.status, instance.data,
                                     getattr(instance, 'projected_ready', None)))
        text_value = self.search_text()
        statement = insert(Order.__table__).returning(Order.__table__.c.id)
        vector = search.vector(session, text_value)
        if vector is not None:
            statement = statement.values(search_vector=vector)
        self.order_id = conn.execute(statement, row).scalar_one()
        conn.execute(insert(OrderItem.__table__), [
            {'order_id': self.order_id, 'position': n, 'description': i['description'], 'quantity': i['quantity'],
             'unit': i['unit'], 'unit_price': i['unit_price']} for n, i in enumerate(v['line_items'], 1)])
        if v.get('milestones'):
            conn.execute(insert(OrderMilestone.__table__), [
                {'order_id': self.order_id, 'position': n, 'name': m['name'], 'planned_start': m.get('planned_start'),
                 'planned_end': m['planned_end']} for n, m in enumerate(v['milestones'], 1)])
        search.write_fts(conn, self.order_id, text_value)
        attachments.insert_for_order(conn, self.order_id, self.uploads, self.actor.username, 'intake')
        self.written_for = instance


@event.listens_for(Session, 'before_flush')
def _note_instance(session, flush_context, instances):
    pending = session.info.get(_PENDING)
    if pending is None:
        return
    for obj in session.new:
        if isinstance(obj, ProcessInstance) and obj.model_key == LIFECYCLE and obj is not pending.instance:
            pending.instance = obj
            projection.skip(session, obj)  # its order is written at commit, with its stage


@event.listens_for(Session, 'after_rollback')
def _rolled_back(session):
    """The engine rolled back (and keeps the instance in error): the number and key are written again."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.needs_prepare = True


@event.listens_for(Session, 'before_commit')
def _write_order(session):
    pending = session.info.get(_PENDING)
    if pending is None or pending.instance is None or pending.written_for is pending.instance:
        return
    if pending.needs_prepare:
        pending.prepare(session)
    pending.write(session, pending.instance)
    projection.unskip(session, pending.instance)


def start(pending, version=None):
    """Allocate the number, start the lifecycle (the latest version, or the one given) with the
    order as process data, and write the order in the engine's transaction. Returns (order id,
    instance)."""
    session = db.session()
    pending.prepare(session)
    session.info[_PENDING] = pending
    try:
        inst = commands.start(LIFECYCLE, pending.actor, version=version, data=pending.process_data())
    finally:
        session.info.pop(_PENDING, None)
        if pending.instance is not None:
            projection.unskip(session, pending.instance)
    if pending.written_for is None or pending.order_id is None:
        raise RuntimeError(f'order {pending.number}: the lifecycle started without writing the order')
    return pending.order_id, inst
