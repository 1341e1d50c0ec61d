"""An order's milestones follow its lifecycle: the plan ("Plan milestones": `milestones`, each
{name, planned_date}) and each check-in (`checkin` while the check-ins run, `milestone_checkins`
once they are done: {name, actual_date, ...}) are written onto the order's milestone rows in the
same transaction as the engine command that produced them. Milestones entered with the order keep
their rows; a planned milestone of the same name updates that row."""
from datetime import date

from sqlalchemy import insert, select, update

from .models import OrderMilestone

T = OrderMilestone.__table__


def _day(value):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _named(entries):
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get('name'), str) and e['name'].strip()]


def reported(data):
    """(plan [(name, planned_end)], check-ins {name: actual_end}) in the process data; ([], {})
    when the lifecycle has not planned anything yet."""
    data = data or {}
    plan = [(e['name'].strip()[:200], _day(e.get('planned_date')))
            for e in _named(data.get('milestones') or [] if isinstance(data.get('milestones'), list) else [])]
    checkins = list(data.get('milestone_checkins') or []) if isinstance(data.get('milestone_checkins'), list) else []
    if isinstance(data.get('checkin'), dict):
        checkins.append(data['checkin'])
    done = {e['name'].strip()[:200]: _day(e.get('actual_date')) for e in _named(checkins)}
    return [(name, day) for name, day in plan if day is not None], {k: v for k, v in done.items() if v is not None}


def sync(connection, order_id, data):
    """Write the plan and check-ins of the process data onto the order's milestone rows; only
    rows that differ are touched."""
    plan, done = reported(data)
    if not plan and not done:
        return
    rows = {r.name: r for r in connection.execute(select(T.c.id, T.c.name, T.c.position, T.c.planned_end,
                                                         T.c.actual_end).where(T.c.order_id == order_id))}
    position = max((r.position for r in rows.values()), default=0)
    previous_end = None
    for name, planned_end in plan:
        row = rows.get(name)
        if row is None:
            position += 1
            connection.execute(insert(T), [{'order_id': order_id, 'position': position, 'name': name,
                                             'planned_start': previous_end, 'planned_end': planned_end,
                                             'actual_end': done.get(name)}])
        elif row.planned_end != planned_end:
            connection.execute(update(T).where(T.c.id == row.id).values(planned_end=planned_end))
        previous_end = planned_end
    for name, actual_end in done.items():
        row = rows.get(name)
        if row is not None and row.actual_end != actual_end:
            connection.execute(update(T).where(T.c.id == row.id).values(actual_end=actual_end))
