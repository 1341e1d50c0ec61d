"""Change requests on running orders: scope, amount delta, reason and new dates, approved by their
own process and applied with a new revision of the order.

Filing a change is one engine command on the order's lifecycle instance. With the instance locked
it checks what depends on it (the order is open, in a stage that takes changes, on a lifecycle
version that has the "Change request" event subprocess, with no other change pending), inserts
the `order_change` row and delivers the `change_requested` message, which starts that
subprocess; it calls `change_order` for the approval. The decision is written back onto the order
by change_outcomes.py, in the transaction of the command that made it."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select

from engine import event_subprocesses
from engine.commands import advance, audit, run_command
from engine.db import db
from engine.errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from engine.models import utcnow
from . import change_outcomes  # noqa: F401  (registers the hook that applies decisions)
from .models import Order, OrderChange
from .stages import CHANGE_STAGES
from .validation import MAX_MONEY

MESSAGE = 'change_requested'
APPROVAL_PROCESS = 'change_order'
# Besides the order's owner and creator, the people who may ask for a change to any order.
REQUESTING_GROUPS = ('admin', 'sales', 'project_manager', 'department_head', 'executive')
_NOT_BLANK = validate.Regexp(r'\S', error='must not be blank')


class ChangeIn(Schema):
    """A change request. The amount delta is added to the order's current amount (negative to
    reduce it); dates left out stay as they are."""
    scope = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _NOT_BLANK],
                          metadata={'description': 'what changes in the work'})
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _NOT_BLANK])
    amount_delta = fields.Decimal(load_default=Decimal('0'), places=2, rounding=ROUND_HALF_UP, allow_nan=False,
                                  validate=validate.Range(min=-MAX_MONEY, max=MAX_MONEY),
                                  metadata={'type': 'number', 'description': 'CNY added to the amount (negative '
                                                                             'to reduce it); 0 when left out'})
    new_requested_date = fields.Date(allow_none=True, load_default=None,
                                     metadata={'description': 'new requested delivery date'})
    new_planned_end = fields.Date(allow_none=True, load_default=None)


def may_request(actor, owner, created_by):
    return any(g in REQUESTING_GROUPS for g in actor.groups) or actor.username in (owner, created_by)


def pending_change(order_id):
    """The sequence of the order's change still waiting for its decision, or None."""
    return db.session.execute(select(OrderChange.sequence).where(OrderChange.order_id == order_id,
                                                                 OrderChange.status == 'pending')).scalar()


def order_changes(order_id):
    return db.session.execute(select(OrderChange).where(OrderChange.order_id == order_id)
                              .order_by(OrderChange.sequence)).scalars().all()


def _json_number(value):
    return int(value) if value == value.to_integral_value() else float(value)


def _refusal(order, inst, wf):
    """Why this order cannot take a change now (a Conflict), or None."""
    number = order.number
    if order.status != 'open':
        return Conflict(f'Order {number} is {order.status}: change requests are taken on open orders only.',
                        code='order_not_open', details={'status': order.status})
    if not event_subprocesses.starts_with(wf, MESSAGE):
        return Conflict(f'Order {number} runs on version {inst.version} of the "{inst.model_key}" process, which '
                        'cannot take change requests (it has no "Change request" event subprocess). Orders started '
                        'on a newer version can; an operator may move this one to it under Process models if the '
                        'version diff allows.', code='lifecycle_without_changes', details={'version': inst.version})
    if order.stage not in CHANGE_STAGES:
        return Conflict(f'Order {number} is in stage "{order.stage}": change requests are taken in stage '
                        f'{", ".join(CHANGE_STAGES)} only (once the contract is signed, until customer acceptance).',
                        code='change_not_accepted', details={'stage': order.stage, 'accepted': list(CHANGE_STAGES)})
    pending = pending_change(order.id)
    if pending is not None:
        return Conflict(f'Change {pending} to order {number} is still waiting for its decision; file the next one '
                        'after it is decided.', code='change_pending', details={'sequence': pending})
    return None


def _current_amount(order, wf):
    """The amount the lifecycle works with: its contract terms (earlier changes included)."""
    terms = ((wf.data_objects.get(change_outcomes.DATA_OBJECT) or {}).get('terms') or {})
    amount = terms.get('amount')
    if isinstance(amount, (int, float)) and not isinstance(amount, bool):
        return Decimal(str(amount)).quantize(Decimal('0.01'))
    return order.amount


def _check_values(order, values, old_amount):
    new_amount = old_amount + values['amount_delta']
    problems = []
    if new_amount < 0:
        problems.append({'path': 'amount_delta', 'message': f'would take the amount ({old_amount}) below 0'})
    if values['new_planned_end'] and order.planned_start and values['new_planned_end'] < order.planned_start:
        problems.append({'path': 'new_planned_end',
                         'message': f'must not be before the planned start {order.planned_start.isoformat()}'})
    if problems:
        raise Invalid('The change request is not valid: ' + '; '.join(f"{p['path']}: {p['message']}"
                                                                      for p in problems),
                      code='invalid_request', details=problems)
    return new_amount


def _routing(wf, sequence):
    """Whether change_order sent this change through the whole approval chain again."""
    for sub in wf.subprocesses.values():
        if sub.spec.name != APPROVAL_PROCESS:
            continue
        for task in sub.tasks.values():
            change = task.data.get('change')
            if isinstance(change, dict) and change.get('sequence') == sequence and 'needs_reapproval' in task.data:
                return bool(task.data['needs_reapproval'])
    return False


def _payload(order, change):
    day = (lambda d: d.isoformat() if d else None)
    return {'order_number': order.number, 'sequence': change.sequence, 'scope': change.scope,
            'reason': change.reason, 'amount_delta': _json_number(change.amount_delta),
            'old_amount': _json_number(change.old_amount), 'new_amount': _json_number(change.new_amount),
            'new_requested_date': day(change.new_requested_date), 'new_planned_end': day(change.new_planned_end),
            'requested_by': change.requested_by}


def file_change(number, values, actor):
    """values: loaded by ChangeIn. The new pending OrderChange, its approval started; Conflict
    (409) when the order cannot take a change now, Invalid (422) when the values do not fit it."""
    order = db.session.execute(select(Order).where(Order.number == number)).scalar()
    if order is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    if not may_request(actor, order.owner, order.created_by):
        raise Forbidden(f'You may not ask for changes to order {number}: its owner, its creator and the groups '
                        f'{", ".join(REQUESTING_GROUPS)} may.', code='forbidden')
    order_id, instance_id, filed = order.id, order.instance_id, {}
    db.session.rollback()  # end the read: the command reads the order again with its instance locked

    def apply(inst, wf):
        current = db.session.get(Order, order_id, populate_existing=True)
        refusal = _refusal(current, inst, wf)
        if refusal is not None:
            raise refusal
        old_amount = _current_amount(current, wf)
        new_amount = _check_values(current, values, old_amount)
        sequence = (db.session.execute(select(func.max(OrderChange.sequence))
                                       .where(OrderChange.order_id == order_id)).scalar() or 0) + 1
        change = OrderChange(order_id=order_id, sequence=sequence, status='pending', scope=values['scope'].strip(),
                             reason=values['reason'].strip(), amount_delta=values['amount_delta'],
                             old_amount=old_amount, new_amount=new_amount,
                             new_requested_date=values['new_requested_date'],
                             new_planned_end=values['new_planned_end'], needs_reapproval=False,
                             requested_by=actor.username, requested_at=utcnow())
        db.session.add(change)
        db.session.flush()
        if not event_subprocesses.trigger(wf, MESSAGE, _payload(current, change), {'order_number': current.number}):
            raise Conflict(f'The lifecycle of order {current.number} did not take the change request.',
                           code='change_not_accepted')
        audit(inst, actor, 'change_requested', None, sequence=sequence, scope=change.scope,
              amount_delta=_json_number(change.amount_delta), new_amount=_json_number(new_amount))
        advance(wf, actor)  # change_order decides now whether the whole chain runs again
        change.needs_reapproval = _routing(wf, sequence)
        filed['sequence'] = sequence

    inst = run_command(instance_id, apply, actor)
    change = db.session.execute(select(OrderChange).where(OrderChange.order_id == order_id,
                                                          OrderChange.sequence == filed.get('sequence'))).scalar()
    if change is None:  # the engine failed on the request: rolled back, and the instance has an incident
        raise EngineError(f'The lifecycle of order {number} failed while taking the change request, so nothing was '
                          f'filed; instance {inst.id} has an incident for an administrator to look at.',
                          code='change_failed', status=409)
    return change


def change_view(change):
    return {'sequence': change.sequence, 'status': change.status, 'scope': change.scope, 'reason': change.reason,
            'amount_delta': change.amount_delta, 'old_amount': change.old_amount, 'new_amount': change.new_amount,
            'new_requested_date': change.new_requested_date, 'new_planned_end': change.new_planned_end,
            'needs_reapproval': change.needs_reapproval, 'requested_by': change.requested_by,
            'requested_at': change.requested_at, 'decided_by': change.decided_by, 'decided_at': change.decided_at,
            'decision_comment': change.decision_comment, 'revision': change.revision,
            'previous': change.previous}
