"""What an order's lifecycle decided about its change requests, written onto the order and the
`order_change` rows in the transaction of the engine command that decided it.

The lifecycle's "Change request" event subprocess records each decision in its `order_changes`
data object (`outcomes`, by the change's sequence number). Data objects are kept in the saved
instance state, so an after_flush hook reads them from there whenever a lifecycle instance with
a pending change is saved: an approved change gives the order its new amount and dates and the
next revision, and keeps the values it replaced on the change row; a rejected or withdrawn one
changes nothing on the order. A terminated lifecycle withdraws its pending changes."""
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from engine.models import ProcessInstance, utcnow
from . import projection
from .models import Order, OrderChange
from .stages import LIFECYCLE

DATA_OBJECT = 'order_changes'
DECIDED = ('approved', 'rejected', 'withdrawn')
ORDERS, CHANGES = Order.__table__, OrderChange.__table__


def recorded_outcomes(state_text):
    """{sequence: outcome} from the instance's saved state; {} when it records none."""
    if not state_text:
        return {}
    data = json.loads(state_text).get('data') or {}
    changes = (data.get('data_objects') or {}).get(DATA_OBJECT) or {}
    outcomes = changes.get('outcomes') if isinstance(changes, dict) else None
    return {int(key): value for key, value in (outcomes or {}).items()
            if str(key).isdigit() and isinstance(value, dict) and value.get('status') in DECIDED}


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _money(value, fallback):
    try:
        return Decimal(str(value)).quantize(Decimal('0.01'))
    except (ArithmeticError, TypeError, ValueError):
        return fallback


def _pending(connection, instance_ids):
    return connection.execute(
        select(CHANGES.c.id, CHANGES.c.sequence, CHANGES.c.new_amount, CHANGES.c.new_requested_date,
               CHANGES.c.new_planned_end, ORDERS.c.id.label('order_id'), ORDERS.c.instance_id)
        .join(ORDERS, ORDERS.c.id == CHANGES.c.order_id)
        .where(ORDERS.c.instance_id.in_(instance_ids), CHANGES.c.status == 'pending')
        .order_by(CHANGES.c.order_id, CHANGES.c.sequence)).all()


def _apply(connection, change, outcome, now):
    """The approved change onto its order: new values, the next revision, the old values kept."""
    order = connection.execute(select(ORDERS.c.amount, ORDERS.c.requested_date, ORDERS.c.planned_end,
                                      ORDERS.c.revision).where(ORDERS.c.id == change.order_id)).one()
    new_amount = _money(outcome.get('new_amount'), change.new_amount)
    revision = order.revision + 1
    previous = {'amount': _plain(order.amount), 'requested_date': _plain(order.requested_date),
                'planned_end': _plain(order.planned_end), 'revision': order.revision}
    values = {'amount': new_amount, 'revision': revision, 'updated_at': now}
    if change.new_requested_date is not None:
        values['requested_date'] = change.new_requested_date
    if change.new_planned_end is not None:
        values['planned_end'] = change.new_planned_end
    connection.execute(update(ORDERS).where(ORDERS.c.id == change.order_id).values(**values))
    return {'new_amount': new_amount, 'revision': revision, 'previous': previous}


def _settle(connection, change, outcome, now):
    values = {'status': outcome['status'], 'decided_by': outcome.get('decided_by'), 'decided_at': now,
              'decision_comment': outcome.get('comment') or None,
              'needs_reapproval': bool(outcome.get('needs_reapproval'))}
    if outcome['status'] == 'approved':
        values.update(_apply(connection, change, outcome, now))
    connection.execute(update(CHANGES).where(CHANGES.c.id == change.id).values(**values))


WITHDRAWN = {'status': 'withdrawn', 'decided_by': None,
             'comment': "The order's lifecycle was terminated before the change was decided."}


@event.listens_for(Session, 'after_flush')
def _record_decisions(session, flush_context):
    # A new instance has no change requests yet: only saved ones are looked at.
    changed = {o.id: o for o in session.dirty if isinstance(o, ProcessInstance) and o.model_key == LIFECYCLE
               and not projection.skipped(session, o)}
    if not changed:
        return
    connection = session.connection()
    pending = _pending(connection, list(changed))
    if not pending:
        return
    now, outcomes = utcnow(), {}
    for change in pending:
        inst = changed[change.instance_id]
        if inst.status == 'terminated':
            outcome = WITHDRAWN
        else:
            if inst.id not in outcomes:
                outcomes[inst.id] = recorded_outcomes(inst.state)
            outcome = outcomes[inst.id].get(change.sequence)
        if outcome is not None:
            _settle(connection, change, outcome, now)
