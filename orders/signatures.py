"""The customer's signature on an order's contract. After "Prepare contract" the order's lifecycle
waits for the message `contract_signed`, correlated on `order_number`, whose payload gives the
signing date and optionally who signed and a note. It comes from an integrator
(POST /api/v1/messages/contract_signed, checked here before it is delivered) or is recorded on the
order page (record), and goes through the engine's command path either way."""
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import func

from engine import commands
from engine.db import db
from engine.errors import Conflict, Invalid, NotFound
from engine.models import ArmedTimer, MessageWait
from .models import Order

MESSAGE = 'contract_signed'
REMINDER = 'Signature overdue'  # the timer after which sales chase the signature
# Who records a signature on the order page (admins may do anything).
RECORDING_GROUPS = ('sales',)
_NOT_BLANK = validate.Regexp(r'\S', error='must not be blank')


class SignatureIn(Schema):
    """The message's payload. `order_number` may stand in for the request's correlation."""
    signed_date = fields.Date(required=True, metadata={'description': 'the day the customer signed (ISO date)'})
    signed_by = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200),
                              metadata={'description': 'who signed for the customer'})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    order_number = fields.String(load_default=None, validate=[validate.Length(min=1, max=40), _NOT_BLANK])


class SignatureForm(SignatureIn):
    """The order page's form: the order is the page's, so anything else is ignored."""
    class Meta:
        unknown = EXCLUDE


def payload_of(values):
    """The payload delivered: the date as an ISO string, blank texts left out."""
    out = {'signed_date': values['signed_date'].isoformat()}
    for name in ('signed_by', 'note', 'order_number'):
        text = (values.get(name) or '').strip()
        if text:
            out[name] = text
    return out


def checked(name, payload, correlation):
    """(payload, correlation) of message `name` as delivered. A `contract_signed` message for an
    order (one naming an `order_number`, in the correlation or the payload) has its payload checked
    and normalised, 422 with the field paths otherwise, and the order number put in both: the
    lifecycle recomputes the correlation from the payload when it takes the message. Any other
    message goes as it came (other models may use the same name with their own payload)."""
    if name != MESSAGE or not any('order_number' in (part or {}) for part in (payload, correlation)):
        return payload, correlation
    details = []
    try:
        values = SignatureIn().load(payload or {})
    except ValidationError as error:
        values = None
        details = [{'path': f'payload/{field}', 'message': message}
                   for field, messages in error.messages.items() for message in messages]
    number = (correlation or {}).get('order_number') or (values or {}).get('order_number')
    if not isinstance(number, str) or not number.strip():
        details.append({'path': 'correlation/order_number', 'message': 'The order number must be a text '
                                                                        'such as "EO-2026-0001".'})
    if details:
        raise Invalid('The contract_signed message is not valid: '
                      + '; '.join(f"{d['path']}: {d['message']}" for d in details)
                      + '. Send {"payload": {"signed_date": "YYYY-MM-DD", "signed_by": "...", "note": "..."}, '
                        '"correlation": {"order_number": "EO-..."}}.',
                      code='invalid_request', details=details)
    number = number.strip()
    return payload_of({**values, 'order_number': number}), {**(correlation or {}), 'order_number': number}


def may_record(actor):
    return actor.is_admin or any(g in RECORDING_GROUPS for g in actor.groups)


def waiting(instance_id):
    """Whether the lifecycle instance waits for its customer's signature."""
    if instance_id is None:
        return False
    return db.session.query(MessageWait.task_id).filter_by(instance_id=instance_id, name=MESSAGE).first() is not None


def reminder_due(instance_id):
    """When sales are asked to chase the signature, or None."""
    return db.session.query(func.min(ArmedTimer.due_at)).filter_by(instance_id=instance_id, name=REMINDER).scalar()


def record(number, values, actor):
    """Deliver the signature recorded on the order page to the order's lifecycle: 409
    `not_waiting_for_signature` when it no longer waits (signed meanwhile, or cancelled)."""
    order = db.session.query(Order).filter_by(number=number).one_or_none()
    if order is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    payload = payload_of({**values, 'order_number': number})
    inst = None
    if order.status == 'open' and waiting(order.instance_id):
        inst = commands.deliver_message(order.instance_id, MESSAGE, payload, {'order_number': number}, actor)
    if inst is None:
        raise Conflict(f'Order {number} does not wait for the customer\'s signature (any more): reload the page '
                       'to see where it is.', code='not_waiting_for_signature')
    if inst.status == 'error':
        raise Conflict(f'The lifecycle of order {number} stopped with an incident on the signature; an '
                       'administrator finds it on the process instance.', code='lifecycle_failed')
    return inst
