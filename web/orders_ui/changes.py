"""Change requests on the order page: the section listing them (status, revision, previous and new
values, the decision) and the form to file one, for the people who may ask for a change."""
from datetime import date

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from marshmallow import ValidationError

from engine.errors import EngineError, Invalid
from orders import changes, queries
from orders.stages import CHANGE_STAGES
from ..auth.users import display_names
from . import access, bp, order_page
from .routes import order as order_view_page

FIELDS = ('scope', 'reason', 'amount_delta', 'new_requested_date', 'new_planned_end')
STATUS_NAMES = {'pending': _l('Waiting for approval'), 'approved': _l('Approved'), 'rejected': _l('Rejected'),
                'withdrawn': _l('Withdrawn')}
FIELD_PROBLEMS = {
    'scope': _l('Describe what changes in the work (at most 2,000 characters).'),
    'reason': _l('Say why the change is needed (at most 2,000 characters).'),
    'amount_delta': _l('Enter an amount such as 25000 or -1200.50 (leave it empty when the amount stays).'),
    'new_requested_date': _l('Enter a date such as 2027-03-31.'),
    'new_planned_end': _l('Enter a date such as 2027-06-30.'),
}


@bp.context_processor
def _change_section():
    return {'change_section': section}


def _day(value):
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _row(change, view):
    """A change as the table shows it: what it changes from and to. Approved changes show the
    values they replaced; the others what the order has now."""
    before = change.previous or {}
    was = (lambda field: _day(before.get(field)) if change.previous else view[field])
    dates = [(label, was(field), new) for label, field, new in (
        (_('Requested date'), 'requested_date', change.new_requested_date),
        (_('Planned end'), 'planned_end', change.new_planned_end)) if new is not None]
    return {'change': change, 'dates': dates}


def _refusal(view, pending):
    """Why the order takes no change request now, in the user's language, or None."""
    if view['status'] != 'open':
        return _('The order is no longer open: it takes no change requests.')
    if view['stage'] not in CHANGE_STAGES:
        return _('Change requests are taken while the order is in execution, once its contract is signed.')
    if pending is not None:
        return _('Change %(sequence)s is waiting for its decision: file the next one after it.', sequence=pending)
    return None


def section(view, inst=None):
    """What the Change requests section shows for the signed-in user."""
    rows = changes.order_changes(view['id'])
    pending = next((c.sequence for c in rows if c.status == 'pending'), None)
    form = g.get('change_form') or {}
    return {'rows': [_row(c, view) for c in rows], 'status_names': STATUS_NAMES,
            'names': display_names({c.requested_by for c in rows} | {c.decided_by for c in rows}),
            'may_file': access.may_request_change(current_user, view), 'refusal': _refusal(view, pending),
            'entered': form.get('entered') or {}, 'errors': form.get('errors') or {}, 'problem': form.get('problem')}


def _payload(entered):
    payload = {k: v for k, v in entered.items() if v}
    if 'amount_delta' in payload:
        payload['amount_delta'] = payload['amount_delta'].replace(',', '').replace(' ', '')
    return payload


def _invalid(error):
    """The command's own checks (they need the order's current values) as field messages."""
    out = {}
    for detail in error.details or []:
        if detail.get('path') == 'amount_delta':
            out['amount_delta'] = _('This would take the order\'s amount below 0.')
        elif detail.get('path') == 'new_planned_end':
            out['new_planned_end'] = _('The planned end must not be before the planned start.')
    return out or {'_form': error.message}


def _conflict(error):
    texts = {'order_not_open': _('The order is no longer open: it takes no change requests.'),
             'change_not_accepted': _('Change requests are taken while the order is in execution, once its '
                                      'contract is signed.'),
             'lifecycle_without_changes': _('This order runs on an older version of its lifecycle, which cannot '
                                            'take change requests.'),
             'change_pending': _('Another change is waiting for its decision: file this one after it.')}
    return texts.get(error.code, error.message)


def _again(number, status, entered, errors=None, problem=None):
    g.change_form = {'entered': entered, 'errors': errors or {}, 'problem': problem}
    response = make_response(order_view_page(number))
    response.status_code = status
    return response


@bp.post('/orders/<path:number>/changes')
def file_change(number):
    view = queries.order_view(number)
    if view is None:
        abort(404)
    if not access.may_view(current_user, view, order_page.instance_of(view)) or \
            not access.may_request_change(current_user, view):
        abort(403)
    entered = {k: (request.form.get(k) or '').strip() for k in FIELDS}
    try:
        values = changes.ChangeIn().load(_payload(entered))
        change = changes.file_change(number, values, current_user.actor())
    except ValidationError as error:
        return _again(number, 422, entered, {f: str(FIELD_PROBLEMS.get(f, _('Check this field.')))
                                             for f in error.messages})
    except Invalid as error:
        return _again(number, 422, entered, _invalid(error))
    except EngineError as error:  # the order cannot take it now (409), or its lifecycle failed on it
        return _again(number, error.status, entered, problem=_conflict(error))
    if change.needs_reapproval:
        flash(_('Change %(sequence)s was filed. The new total needs a higher approval level, so the whole approval '
                'chain runs again.', sequence=change.sequence), 'success')
    else:
        flash(_('Change %(sequence)s was filed and waits for the project manager\'s approval.',
                sequence=change.sequence), 'success')
    return redirect(url_for('orders_ui.order', number=number, _anchor='changes'))
