"""Reading orders: the filtered, sorted, paged list (also what export writes) and one order with
its items, milestones, current tasks and risk flags."""
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, or_, select

from engine.db import db
from engine.errors import Invalid
from engine.models import HumanTask, ProcessInstance
from . import search, stages
from .models import Customer, Order, OrderItem, OrderMilestone

SORTS = {
    'number': Order.number, 'title': Order.title, 'amount': Order.amount, 'created_at': Order.created_at,
    'requested_date': Order.requested_date, 'customer': Customer.name, 'type': Order.type,
    'priority': Order.priority, 'owner': Order.owner, 'updated_at': Order.updated_at,
}


@dataclass
class OrderFilter:
    q: str = None
    stage: list = field(default_factory=list)
    status: list = field(default_factory=list)
    customer: str = None
    type: list = field(default_factory=list)
    owner: str = None
    amount_min: Decimal = None
    amount_max: Decimal = None
    overdue: bool = None
    cost_overrun: bool = None
    sort: str = '-created_at'

    @classmethod
    def from_args(cls, args):
        def listed(name):
            value = args.get(name)
            if value is None:
                return []
            return [v.strip() for v in (value if isinstance(value, list) else str(value).split(',')) if v.strip()]
        return cls(q=args.get('q'), stage=listed('stage'), status=listed('status'), customer=args.get('customer'),
                   type=listed('type'), owner=args.get('owner'), amount_min=args.get('amount_min'),
                   amount_max=args.get('amount_max'), overdue=args.get('overdue'),
                   cost_overrun=args.get('cost_overrun'), sort=args.get('sort') or '-created_at')


def _conditions(flt, stage_col, status_col, overdue_col, overrun_col):
    session = db.session
    conds = []
    for name, values, allowed in (('stage', flt.stage, stages.STAGES), ('status', flt.status, stages.STATUSES)):
        bad = [v for v in values if v not in allowed]
        if bad:
            raise Invalid(f'Unknown {name} {", ".join(bad)}; choose from {", ".join(allowed)}.',
                          code='invalid_request', details=[{'path': name, 'message': f'not one of {allowed}'}])
    if flt.stage:
        conds.append(stage_col.in_(flt.stage))
    if flt.status:
        conds.append(status_col.in_(flt.status))
    if flt.customer:
        ref = flt.customer.strip()
        conds.append(or_(Customer.code == ref, func.lower(Customer.name) == ref.lower()))
    if flt.type:
        conds.append(Order.type.in_(flt.type))
    if flt.owner:
        conds.append(Order.owner == flt.owner)
    if flt.amount_min is not None:
        conds.append(Order.amount >= flt.amount_min)
    if flt.amount_max is not None:
        conds.append(Order.amount <= flt.amount_max)
    if flt.overdue is not None:
        conds.append(overdue_col if flt.overdue else ~overdue_col)
    if flt.cost_overrun is not None:
        conds.append(overrun_col if flt.cost_overrun else ~overrun_col)
    if flt.q and flt.q.strip():
        match = search.condition(session, flt.q)
        if match is not None:
            conds.append(match)
    return conds


def _order_by(sort):
    descending = sort.startswith('-')
    name = sort.lstrip('-+')
    column = SORTS.get(name)
    if column is None:
        raise Invalid(f'Cannot sort by "{name}"; choose from {", ".join(sorted(SORTS))} (prefix - for descending).',
                      code='invalid_request', details=[{'path': 'sort', 'message': 'unknown sort key'}])
    return [column.desc() if descending else column.asc(), Order.id.desc() if descending else Order.id.asc()]


def filtered(flt):
    stage_col, status_col = stages.stage_expr(), stages.status_expr()
    overdue_col, overrun_col = stages.overdue_expr(), stages.overrun_expr()
    conds = _conditions(flt, stage_col, status_col, overdue_col, overrun_col)
    columns = (Order, Customer.code, Customer.name, ProcessInstance.status.label('instance_status'),
               stage_col.label('stage'), status_col.label('status'), overdue_col.label('overdue'),
               overrun_col.label('cost_overrun'), stages.actual_cost_expr().label('actual'))
    query = (select(*columns).join(Customer, Customer.id == Order.customer_id)
             .join(ProcessInstance, ProcessInstance.id == Order.instance_id).where(*conds))
    count = (select(func.count()).select_from(Order).join(Customer, Customer.id == Order.customer_id)
             .join(ProcessInstance, ProcessInstance.id == Order.instance_id).where(*conds))
    return query, count


def _number(value):
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def row_view(row):
    order = row.Order
    return {
        'number': order.number, 'title': order.title, 'type': order.type, 'order_type': order.order_type,
        'customer': {'code': row.code, 'name': row.name}, 'site': order.site, 'project': order.project,
        'department': order.department, 'cost_center': order.cost_center, 'owner': order.owner,
        'priority': order.priority, 'urgency': order.urgency, 'currency': order.currency,
        'amount': _number(order.amount), 'budget': _number(order.budget if order.budget is not None else order.amount),
        'actual_cost': _number(row.actual), 'description': order.description,
        'requested_date': order.requested_date, 'planned_start': order.planned_start,
        'planned_end': order.planned_end, 'actual_start': order.actual_start, 'actual_end': order.actual_end,
        'stage': row.stage, 'status': row.status, 'instance_id': order.instance_id,
        'instance_status': row.instance_status, 'revision': order.revision, 'source': order.source,
        'created_at': order.created_at, 'created_by': order.created_by, 'updated_at': order.updated_at,
        'overdue': bool(row.overdue), 'cost_overrun': bool(row.cost_overrun),
        'flags': [f for f in ('overdue', 'cost_overrun') if getattr(row, f)],
    }


def list_orders(flt, page=1, per_page=50):
    query, count = filtered(flt)
    total = db.session.execute(count).scalar()
    rows = db.session.execute(query.order_by(*_order_by(flt.sort)).offset((page - 1) * per_page)
                              .limit(per_page)).all()
    return [row_view(r) for r in rows], total


def _children(model, order_ids):
    found = {}
    for child in db.session.execute(select(model).where(model.order_id.in_(order_ids))
                                    .order_by(model.order_id, model.position)).scalars():
        found.setdefault(child.order_id, []).append(child)
    return found


def milestone_view(m):
    return {'name': m.name, 'planned_start': m.planned_start, 'planned_end': m.planned_end,
            'actual_start': m.actual_start, 'actual_end': m.actual_end}


def iter_orders(flt, limit, chunk=1000):
    """Every order the filter matches (at most limit), with line items and milestones, read in chunks."""
    query, _ = filtered(flt)
    query = query.order_by(*_order_by(flt.sort)).limit(limit).execution_options(yield_per=chunk)
    for part in db.session.execute(query).partitions():
        ids = [r.Order.id for r in part]
        items, milestones = _children(OrderItem, ids), _children(OrderMilestone, ids)
        for row in part:
            view = row_view(row)
            view['line_items'] = [item_view(i) for i in items.get(row.Order.id, [])]
            view['milestones'] = [milestone_view(m) for m in milestones.get(row.Order.id, [])]
            yield view


def item_view(item):
    return {'description': item.description, 'quantity': _number(item.quantity), 'unit': item.unit,
            'unit_price': _number(item.unit_price),
            'total': _number(Decimal(str(item.quantity)) * Decimal(str(item.unit_price)))}


def order_view(number):
    """One order with everything the order page and an integrator ask: None when unknown."""
    query, _ = filtered(OrderFilter())
    row = db.session.execute(query.where(Order.number == number)).first()
    if row is None:
        return None
    order = row.Order
    view = row_view(row)
    view['line_items'] = [item_view(i) for i in _children(OrderItem, [order.id]).get(order.id, [])]
    view['milestones'] = [milestone_view(m) for m in _children(OrderMilestone, [order.id]).get(order.id, [])]
    view['tasks'] = [{'id': t.id, 'name': t.name, 'title': t.title, 'lane': t.lane, 'assignee': t.assignee,
                      'created_at': t.created_at, 'due_at': t.due_at,
                      'stage': stages.stage_of_task(t.name, t.title)}
                     for t in db.session.execute(select(HumanTask).where(HumanTask.instance_id == order.instance_id,
                                                                         HumanTask.state == 'ready')
                                                 .order_by(HumanTask.created_at)).scalars()]
    return view
