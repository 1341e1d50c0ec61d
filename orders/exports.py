"""Export of the orders a list filter matches, as CSV or XLSX in the import layout (so an export
can be edited and imported again), with read-only columns (number, stage, status, flags, ...) in
front, which the import skips."""
from sqlalchemy import func, select

from engine.db import db
from . import queries, sheets
from .models import OrderItem, OrderMilestone

MAX_ROWS = 100_000


def _max_position(model, flt):
    highest = select(func.max(model.position)).where(model.order_id.in_(queries.matching_ids(flt)))
    return db.session.execute(highest).scalar() or 0


def _flat(view):
    row = {k: view.get(k) for k, _ in sheets.ORDER_COLUMNS}
    row.update(customer=view['customer']['code'], customer_name=view['customer']['name'], number=view['number'],
               stage=view['stage'], status=view['status'], overdue=view['overdue'],
               cost_overrun=view['cost_overrun'], actual_cost=view['actual_cost'], instance_id=view['instance_id'],
               created_at=view['created_at'], created_by=view['created_by'])
    for n, item in enumerate(view['line_items'], 1):
        for name, _ in sheets.ITEM_FIELDS:
            row[f'item_{n}_{name}'] = item[name]
    for n, m in enumerate(view['milestones'], 1):
        for name, _ in sheets.MILESTONE_FIELDS:
            row[f'milestone_{n}_{name}'] = m[name]
    return row


def export(flt, fmt):
    """(file bytes, number of orders) for every order the filter matches, at most MAX_ROWS."""
    items = _max_position(OrderItem, flt)
    milestone_count = _max_position(OrderMilestone, flt)
    header = sheets.EXPORT_ONLY + [c for c, _ in sheets.ORDER_COLUMNS] + sheets.item_columns(max(items, 1)) \
        + sheets.milestone_columns(milestone_count)
    rows = [_flat(view) for view in queries.iter_orders(flt, MAX_ROWS)]
    content = sheets.write_xlsx(header, rows) if fmt == 'xlsx' else sheets.write_csv(header, rows)
    return content, len(rows)
