"""Cost lines per category: budget lines plan what an order may cost, actual lines book what it
did. Booking keeps the order's `budget` (the sum of its budget lines, once it has any) and
`actual_cost` (the sum of its actual lines) in step, so the list's overrun flag reads the same
figures as the order page."""
from decimal import ROUND_HALF_UP, Decimal

from marshmallow import Schema, fields, validate
from sqlalchemy import func, select, update

from engine.db import db
from engine.errors import Invalid, NotFound
from engine.models import utcnow
from . import settings
from .models import Order, OrderCost
from .validation import MAX_MONEY

CATEGORIES = ('labour', 'material', 'equipment', 'subcontract', 'transport', 'other')
KINDS = ('budget', 'actual')
# Who may book: actual cost by the people running the work, budget lines by those who approve it.
BOOKERS = {'actual': ('project_manager', 'site_engineer', 'department_head', 'finance', 'admin'),
           'budget': ('project_manager', 'department_head', 'finance', 'admin')}


def may_book(groups, kind=None):
    kinds = [kind] if kind else KINDS
    return any(set(groups) & set(BOOKERS[k]) for k in kinds)


class CostIn(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES), metadata={'enum': list(CATEGORIES)})
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={'enum': list(KINDS)})
    # A correction books a negative line; the category's total may not go below zero.
    amount = fields.Decimal(required=True, places=2, rounding=ROUND_HALF_UP, allow_nan=False,
                            validate=validate.Range(min=-MAX_MONEY, max=MAX_MONEY), metadata={'type': 'number'})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _order(number):
    order = db.session.execute(select(Order).where(Order.number == number).with_for_update()).scalar_one_or_none()
    if order is None:
        raise NotFound(f'No order {number}.', code='order_not_found')
    return order


def _sum(order_id, kind, category=None):
    query = select(func.coalesce(func.sum(OrderCost.amount), 0)).where(OrderCost.order_id == order_id,
                                                                        OrderCost.kind == kind)
    if category is not None:
        query = query.where(OrderCost.category == category)
    return Decimal(str(db.session.execute(query).scalar_one()))


def book(number, values, username):
    """Add one cost line (values as CostIn loads them) and update the order's totals; one commit."""
    if values['amount'] == 0:
        raise Invalid('A cost line needs an amount other than 0.', code='zero_cost',
                      details=[{'path': 'amount', 'message': 'must not be 0'}])
    order = _order(number)
    category_total = _sum(order.id, values['kind'], values['category']) + values['amount']
    if category_total < 0:
        raise Invalid(f'This correction would take the {values["kind"]} of "{values["category"]}" below zero '
                      f'(it is {category_total - values["amount"]}).', code='cost_below_zero',
                      details=[{'path': 'amount', 'message': 'takes the category total below zero'}])
    line = OrderCost(order_id=order.id, category=values['category'], kind=values['kind'], amount=values['amount'],
                     note=(values.get('note') or '').strip() or None, booked_by=username, booked_at=utcnow())
    db.session.add(line)
    db.session.flush()
    totals = {'actual_cost': _sum(order.id, 'actual')} if values['kind'] == 'actual' else \
        {'budget': _sum(order.id, 'budget')}
    db.session.execute(update(Order).where(Order.id == order.id).values(updated_at=utcnow(), **totals))
    db.session.commit()
    return line


def lines(order_id):
    return db.session.execute(select(OrderCost).where(OrderCost.order_id == order_id)
                              .order_by(OrderCost.booked_at, OrderCost.id)).scalars().all()


def by_category(order_id, limit_percent=None):
    """[{category, budget, actual, deviation, percent, over}] for the categories with any line, in
    CATEGORIES order; `over` when actual exceeds budget by more than the overrun limit (or there
    is actual cost with no budget at all)."""
    limit = Decimal(str(settings.get('ORDER_OVERRUN_PERCENT') if limit_percent is None else limit_percent))
    sums = {}
    for category, kind, total in db.session.execute(
            select(OrderCost.category, OrderCost.kind, func.sum(OrderCost.amount))
            .where(OrderCost.order_id == order_id).group_by(OrderCost.category, OrderCost.kind)):
        sums.setdefault(category, {'budget': Decimal(0), 'actual': Decimal(0)})[kind] = Decimal(str(total))
    rows = []
    for category in sorted(sums, key=lambda c: CATEGORIES.index(c) if c in CATEGORIES else len(CATEGORIES)):
        budget, actual = sums[category]['budget'], sums[category]['actual']
        deviation = actual - budget
        percent = float(deviation / budget * 100) if budget else None
        over = actual > budget * (1 + limit / 100) if budget else actual > 0
        rows.append({'category': category, 'budget': budget, 'actual': actual, 'deviation': deviation,
                     'percent': percent, 'over': over})
    return rows


def line_view(line):
    return {'id': line.id, 'category': line.category, 'kind': line.kind, 'amount': line.amount, 'note': line.note,
            'booked_by': line.booked_by, 'booked_at': line.booked_at}
