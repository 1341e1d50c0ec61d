"""Cost lines of an order: budget and actual per category."""
from flask import g
from marshmallow import Schema, fields

from engine.errors import Forbidden, NotFound
from orders import costs, queries
from . import bp
from .docs import doc, json_body

Money = fields.Float


class CostLine(Schema):
    id = fields.Integer()
    category = fields.String()
    kind = fields.String(metadata={'enum': list(costs.KINDS)})
    amount = Money()
    note = fields.String(allow_none=True)
    booked_by = fields.String()
    booked_at = fields.DateTime()


class CategoryCost(Schema):
    category = fields.String()
    budget = Money()
    actual = Money()
    deviation = Money(metadata={'description': 'actual - budget'})
    percent = fields.Float(allow_none=True, metadata={'description': 'deviation in percent of the budget'})
    over = fields.Boolean(metadata={'description': 'actual above budget by more than ORDER_OVERRUN_PERCENT'})


class OrderCosts(Schema):
    categories = fields.List(fields.Nested(CategoryCost))
    lines = fields.List(fields.Nested(CostLine))


def _order_id(number):
    view = queries.order_view(number)
    if view is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    return view['id']


def _costs(order_id):
    return OrderCosts().dump({'categories': costs.by_category(order_id),
                              'lines': [costs.line_view(line) for line in costs.lines(order_id)]})


@bp.get('/orders/<path:number>/costs')
@doc('Budget and actual cost of an order per category, with every line booked', response=OrderCosts,
     errors=(404,))
def order_costs(number):
    return _costs(_order_id(number))


@bp.post('/orders/<path:number>/costs')
@doc('Book a budget line or an actual cost on an order', body=costs.CostIn, response=OrderCosts, status=201,
     errors=(403, 404, 422))
def book_cost(number):
    """Actual costs: project managers, site engineers, department heads, finance. Budget lines:
    project managers, department heads, finance. A negative amount books a correction; a category's
    total cannot go below zero. The order's budget (sum of its budget lines) and actual cost (sum of
    its actual lines) follow, and with them its cost-overrun flag."""
    values = json_body(costs.CostIn)
    order_id = _order_id(number)
    if not costs.may_book(g.actor.groups, values['kind']):
        raise Forbidden(f'Booking {values["kind"]} cost needs one of the groups '
                        f'{", ".join(costs.BOOKERS[values["kind"]])}.', code='forbidden')
    costs.book(number, values, g.actor.username)
    return _costs(order_id), 201
