"""The list and the board: query-string arguments read into an orders.queries.OrderFilter (bad
values become messages next to their field, never a 500), pages of rows, and the board's columns."""
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from orders import queries, stages
from orders.queries import OrderFilter
from orders.validation import WORK_TYPES
from . import access

PER_PAGE = 25
BOARD_CARDS = 30
SORT_KEYS = ('-created_at', 'created_at', 'number', '-number', '-amount', 'amount', 'customer', 'title',
             'requested_date', '-requested_date', '-updated_at')
FILTER_ARGS = ('q', 'stage', 'status', 'customer', 'type', 'owner', 'amount_min', 'amount_max', 'overdue',
               'cost_overrun', 'sort')


@dataclass
class ListQuery:
    flt: OrderFilter
    page: int = 1
    errors: dict = field(default_factory=dict)
    args: dict = field(default_factory=dict)  # the cleaned arguments, for links (export, paging, sorting)


def _amount(value, name, errors):
    value = (value or '').strip().replace(',', '')
    if not value:
        return None
    try:
        number = Decimal(value)
        if not number.is_finite() or number < 0:
            raise InvalidOperation
        return number
    except InvalidOperation:
        errors[name] = _('Enter an amount of 0 or more.')
        return None


def _flag(value):
    return {'1': True, 'yes': True, 'true': True, '0': False, 'no': False, 'false': False}.get((value or '').lower())


def read_query(args, user):
    """ListQuery from request.args; people who do not see every order see their own."""
    errors = {}
    stage = [s for s in args.getlist('stage') if s in stages.STAGES]
    status = [s for s in args.getlist('status') if s in stages.STATUSES]
    types = [t for t in args.getlist('type') if t in WORK_TYPES]
    sort = args.get('sort') if args.get('sort') in SORT_KEYS else '-created_at'
    owner = (args.get('owner') or '').strip() or None
    if not access.sees_all(user):
        owner = user.username
    amount_min = _amount(args.get('amount_min'), 'amount_min', errors)
    amount_max = _amount(args.get('amount_max'), 'amount_max', errors)
    if amount_min is not None and amount_max is not None and amount_max < amount_min:
        errors['amount_max'] = _('The largest amount is below the smallest.')
    flt = OrderFilter(q=(args.get('q') or '').strip()[:200] or None, stage=stage, status=status,
                      customer=(args.get('customer') or '').strip() or None, type=types, owner=owner,
                      amount_min=amount_min, amount_max=amount_max, overdue=_flag(args.get('overdue')),
                      cost_overrun=_flag(args.get('cost_overrun')), sort=sort)
    try:
        page = max(1, min(int(args.get('page') or 1), 100_000))
    except ValueError:
        page = 1
    clean = {'q': flt.q, 'stage': stage, 'status': status, 'customer': flt.customer, 'type': types,
             'owner': owner if access.sees_all(user) else None,
             'amount_min': args.get('amount_min') if amount_min is not None else None,
             'amount_max': args.get('amount_max') if amount_max is not None else None,
             'overdue': {True: '1', False: '0'}.get(flt.overdue), 'cost_overrun': {True: '1'}.get(flt.cost_overrun),
             'sort': sort if sort != '-created_at' else None}
    return ListQuery(flt=flt, page=page, errors=errors, args={k: v for k, v in clean.items() if v})


def export_args(q):
    """The API export's query string for the same filter (its lists are comma-separated)."""
    out = {k: (','.join(v) if isinstance(v, list) else v) for k, v in q.args.items()}
    if q.flt.owner and 'owner' not in out:
        out['owner'] = q.flt.owner
    return out


def page_of_orders(q):
    rows, total = queries.list_orders(q.flt, q.page, PER_PAGE)
    return rows, total, max(1, -(-total // PER_PAGE))


def board(q):
    """[(stage, cards, total)] for every stage, the filter's other conditions kept."""
    columns = []
    for stage in stages.STAGES:
        if q.flt.stage and stage not in q.flt.stage:
            continue
        flt = OrderFilter(**{**q.flt.__dict__, 'stage': [stage]})
        cards, total = queries.list_orders(flt, 1, BOARD_CARDS)
        columns.append((stage, cards, total))
    return columns
