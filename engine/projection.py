"""Writes an instance's state into the query tables: ready human tasks, armed timers, message
waits, status and data. Called inside the command's transaction, before the state is saved."""
import json
from uuid import UUID
from datetime import datetime, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from . import human_tasks as ht
from .db import db
from .models import ArmedTimer, HumanTask, MessageWait, TaskCandidate, utcnow


def parse_time(value):
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def jsonable(data):
    """Process data as plain JSON (dates and decimals as strings) for API answers and queries."""
    return json.loads(json.dumps(data, default=str))


def ready_human_tasks(wf):
    return wf.get_tasks(state=TaskState.READY, manual=True)


def waiting_tasks(wf):
    return wf.get_tasks(state=TaskState.WAITING)


def instance_data(wf):
    if wf.is_completed() and wf.data:
        return wf.data
    last = wf.last_task
    for sub in wf.subprocesses.values():
        if sub.last_task is not None and (last is None or sub.last_task.last_state_change > last.last_state_change):
            last = sub.last_task
    return last.data if last is not None else {}


def _sync_human_tasks(inst, wf):
    ready = {str(t.id): t for t in ready_human_tasks(wf)}
    known = {row.id: row for row in HumanTask.query.filter_by(instance_id=inst.id, state='ready')}
    now = utcnow()
    for task_id, row in known.items():
        if task_id not in ready:
            task = wf.get_task_from_id(UUID(task_id))
            row.state = 'completed' if task is not None and task.state == TaskState.COMPLETED else 'cancelled'
            row.completed_at = row.completed_at or now
            TaskCandidate.query.filter_by(task_id=task_id).delete()
    for task_id, task in ready.items():
        if task_id in known:
            continue
        groups, users = ht.candidates(task, inst.initiator)
        form, ui_form = ht.form_files(task.task_spec)
        db.session.add(HumanTask(
            id=task_id, instance_id=inst.id, name=ht.bpmn_id_of(task.task_spec), title=ht.title_of(task.task_spec),
            lane=getattr(task.task_spec, 'lane', None), groups=groups, users=users, state='ready', created_at=now,
            due_at=parse_time(ht.boundary_due(task)), instructions=ht.instructions(task),
            form_file=form, ui_form_file=ui_form))
        db.session.flush()
        db.session.add_all([TaskCandidate(task_id=task_id, kind='group', name=g) for g in groups]
                           + [TaskCandidate(task_id=task_id, kind='user', name=u) for u in users])
    return ready


def _sync_waits(inst, wf):
    ArmedTimer.query.filter_by(instance_id=inst.id).delete()
    MessageWait.query.filter_by(instance_id=inst.id).delete()
    if wf is None:
        return
    for task in waiting_tasks(wf):
        definition = getattr(task.task_spec, 'event_definition', None)
        if ht.is_timer(task):
            db.session.add(ArmedTimer(task_id=str(task.id), instance_id=inst.id,
                                      name=definition.name or ht.bpmn_id_of(task.task_spec),
                                      due_at=parse_time(ht.timer_due(task))))
        elif isinstance(definition, MessageEventDefinition):
            correlation = {p.name: wf.correlations.get(p.name) for p in definition.correlation_properties or []
                           if hasattr(p, 'name')}
            db.session.add(MessageWait(task_id=str(task.id), instance_id=inst.id, name=definition.name,
                                       correlation=jsonable(correlation)))


def project(inst, wf, has_incident=False):
    """Update inst's projections from wf; wf None means the instance was terminated."""
    now = utcnow()
    if wf is None:
        for row in HumanTask.query.filter_by(instance_id=inst.id, state='ready'):
            row.state, row.completed_at = 'cancelled', now
            TaskCandidate.query.filter_by(task_id=row.id).delete()
        _sync_waits(inst, None)
        return
    _sync_human_tasks(inst, wf)
    _sync_waits(inst, wf)
    inst.data = jsonable(instance_data(wf))
    if wf.is_completed():
        inst.status, inst.ended_at = 'completed', inst.ended_at or now
    elif has_incident:
        inst.status = 'error'
    else:
        inst.status = 'waiting'
    inst.updated_at = now
