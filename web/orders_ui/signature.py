"""The customer's signed contract on the order page: while the order's lifecycle waits for it, a
note saying so (with when sales are reminded to chase it) and, for sales and admins, a form that
records the signature: it delivers the same `contract_signed` message an integrator sends."""
from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from engine.errors import EngineError
from orders import queries, signatures
from . import access, bp, order_page
from .routes import order as order_view_page

FIELDS = ('signed_date', 'signed_by', 'note')
FIELD_PROBLEMS = {
    'signed_date': _l('Enter the day the customer signed, such as 2026-11-20.'),
    'signed_by': _l('At most 200 characters.'),
    'note': _l('At most 2,000 characters.'),
}


@bp.context_processor
def _signature_section():
    return {'signature_section': section}


def section(view, inst=None):
    """What the signature section shows, or None when the order does not wait for a signature
    (and no refused attempt needs explaining)."""
    form = g.get('signature_form') or {}
    waiting = view['status'] == 'open' and signatures.waiting(view['instance_id'])
    if not waiting and not form:
        return None
    data = (inst.data if inst is not None else None) or {}
    return {'waiting': waiting, 'contract_number': data.get('contract_number'),
            'reminder_due': signatures.reminder_due(view['instance_id']) if waiting else None,
            'may_record': signatures.may_record(current_user.actor()),
            'entered': form.get('entered') or {}, 'errors': form.get('errors') or {}, 'problem': form.get('problem')}


def _problem(error):
    texts = {'not_waiting_for_signature': _('The order no longer waits for the customer\'s signature: it was '
                                            'recorded meanwhile, or the order moved on. Nothing was changed.'),
             'lifecycle_failed': _('The lifecycle stopped on the signature with an incident; an administrator '
                                   'finds it on the process instance. Nothing was changed.')}
    return texts.get(error.code, error.message)


def _again(number, status, entered, errors=None, problem=None):
    g.signature_form = {'entered': entered, 'errors': errors or {}, 'problem': problem}
    response = make_response(order_view_page(number))
    response.status_code = status
    return response


@bp.post('/orders/<path:number>/signature')
def record_signature(number):
    view = queries.order_view(number)
    if view is None:
        abort(404)
    if not access.may_view(current_user, view, order_page.instance_of(view)) or \
            not signatures.may_record(current_user.actor()):
        abort(403)
    entered = {k: (request.form.get(k) or '').strip() for k in FIELDS}
    try:
        values = signatures.SignatureForm().load({k: v for k, v in entered.items() if v})
        signatures.record(number, values, current_user.actor())
    except ValidationError as error:
        return _again(number, 422, entered, {f: str(FIELD_PROBLEMS.get(f, _('Check this field.')))
                                             for f in error.messages})
    except EngineError as error:
        return _again(number, error.status, entered, problem=_problem(error))
    flash(_('The signed contract was recorded: the order moves on to planning its milestones.'), 'success')
    return redirect(url_for('orders_ui.order', number=number))
