"""An order's view of its lifecycle instance: stage, status, the earliest due time of its ready
tasks and the lifecycle's actual cost, written onto the order in the same transaction as every
change to the instance, so lists and boards filter on indexed columns; likewise its milestones
(milestones.py).

Every engine command saves the instance through the session (status, data, state) after it has
projected the instance's human tasks; an after_flush hook then derives the order's columns from
those rows. The engine knows nothing of it."""
from collections import namedtuple
from itertools import chain

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from engine.models import HumanTask, ProcessInstance
from . import milestones
from .models import Order
from .stages import LIFECYCLE, furthest

_SKIP = 'eoms_order_projection_skip'
Ready = namedtuple('Ready', 'name title due_at')


def status_of(instance_status, data):
    withdrawn = (data or {}).get('approval_status') == 'withdrawn'
    if instance_status == 'terminated' or (instance_status == 'completed' and withdrawn):
        return 'cancelled'
    if instance_status == 'completed':
        return 'closed'
    return 'error' if instance_status == 'error' else 'open'


def _number(value):
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def derive(connection, instance_id, instance_status, data, ready=None):
    """{stage, status, next_due_at[, process_actual_cost]} of the order of this instance.
    ready: its ready tasks as (name, title, due_at), when the caller knows them all."""
    status = status_of(instance_status, data)
    if ready is None:
        ready = connection.execute(select(HumanTask.name, HumanTask.title, HumanTask.due_at)
                                   .where(HumanTask.instance_id == instance_id, HumanTask.state == 'ready')
                                   .order_by(HumanTask.created_at.desc())).all()
    ready = [Ready(*r) for r in ready]
    if status in ('closed', 'cancelled'):
        stage = status
    else:  # the furthest ready task's stage, else the furthest any task reached
        tasks = ready or connection.execute(select(HumanTask.name, HumanTask.title)
                                            .where(HumanTask.instance_id == instance_id)).all()
        stage = furthest(tasks) or 'intake'
    dues = [t.due_at for t in ready if t.due_at is not None]
    values = {'stage': stage, 'status': status, 'next_due_at': min(dues) if dues else None}
    # The data is the last completed task's: a change request's task, running beside the main
    # path, knows no costs, and leaves the cost the main path last reported in place.
    if 'total_actual_cost' in (data or {}):
        values['process_actual_cost'] = _number(data['total_actual_cost'])
    return values


def skip(session, instance):
    """The order of this instance is not written yet: nothing to update."""
    session.info.setdefault(_SKIP, set()).add(id(instance))


def unskip(session, instance):
    session.info.get(_SKIP, set()).discard(id(instance))


def skipped(session, instance):
    return id(instance) in session.info.get(_SKIP, ())


@event.listens_for(Session, 'after_flush')
def _follow_instances(session, flush_context):
    skipped = session.info.get(_SKIP, ())
    changed = [o for o in chain(session.new, session.dirty)
               if isinstance(o, ProcessInstance) and o.model_key == LIFECYCLE and id(o) not in skipped]
    if not changed:
        return
    connection = session.connection()
    for inst in changed:
        values = derive(connection, inst.id, inst.status, inst.data)
        connection.execute(update(Order.__table__).where(Order.__table__.c.instance_id == inst.id).values(**values))
        if milestones.reported(inst.data) != ([], {}):
            order_id = connection.execute(select(Order.__table__.c.id)
                                          .where(Order.__table__.c.instance_id == inst.id)).scalar()
            if order_id is not None:
                milestones.sync(connection, order_id, inst.data)
