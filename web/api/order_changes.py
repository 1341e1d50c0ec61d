"""Change requests on an order: file one (its approval starts at once), list them."""
from flask import g
from marshmallow import Schema, fields

from engine.errors import NotFound
from orders import changes
from orders.service import get_order
from . import bp
from .docs import doc, json_body

Money = fields.Float


class PreviousValues(Schema):
    """Stored as JSON on the change: dates are ISO strings already."""
    amount = Money()
    requested_date = fields.String(allow_none=True, metadata={'format': 'date'})
    planned_end = fields.String(allow_none=True, metadata={'format': 'date'})
    revision = fields.Integer()


class ChangeView(Schema):
    sequence = fields.Integer(metadata={'description': '1, 2, ... per order'})
    status = fields.String(metadata={'enum': ['pending', 'approved', 'rejected', 'withdrawn']})
    scope = fields.String()
    reason = fields.String()
    amount_delta = Money()
    old_amount = Money(metadata={'description': "the order's amount when the change was filed"})
    new_amount = Money(metadata={'description': 'the amount once applied (the approval chain may have revised it)'})
    new_requested_date = fields.Date(allow_none=True)
    new_planned_end = fields.Date(allow_none=True)
    needs_reapproval = fields.Boolean(metadata={'description': 'the new total needs an approval level the old '
                                                               'amount did not: the whole approval chain runs again'})
    requested_by = fields.String()
    requested_at = fields.DateTime()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True, metadata={'description': "the order's revision it produced"})
    previous = fields.Nested(PreviousValues, allow_none=True,
                             metadata={'description': "the order's values it replaced (approved changes)"})


def _order(number):
    order = get_order(number)
    if order is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    return order


@bp.post('/orders/<path:number>/changes')
@doc('File a change request on a running order; its approval starts at once', body=changes.ChangeIn,
     response=ChangeView, status=201, errors=(403, 404, 409, 422))
def file_change(number):
    """The change goes to the order's lifecycle as the message `change_requested`. When the new
    total needs an approval level the current amount did not (department head above 100,000 CNY,
    finance above 1,000,000 CNY), the whole approval chain runs again; otherwise the project manager
    decides. Once approved, the order gets the new amount and dates and its next `revision`, and
    the change keeps the values it replaced in `previous`; a rejected change leaves the order as it
    is. 409 when the order cannot take a change now: it is not open, not in execution, runs on a
    lifecycle version without change requests, or another change is still pending. Owners, creators
    and the groups admin, sales, project_manager, department_head and executive may file changes."""
    values = json_body(changes.ChangeIn)
    _order(number)
    return ChangeView().dump(changes.change_view(changes.file_change(number, values, g.actor))), 201


@bp.get('/orders/<path:number>/changes')
@doc("An order's change requests, oldest first", response=ChangeView, many=True, errors=(404,))
def list_changes(number):
    order = _order(number)
    return ChangeView(many=True).dump([changes.change_view(c) for c in changes.order_changes(order.id)])
