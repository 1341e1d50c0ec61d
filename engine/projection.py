"""Writes an instance's state into the query tables: ready human tasks, armed timers, message
waits, status and data. Runs inside the command's transaction, before the state is saved; uses
plain SQL statements (executemany) because it runs on every command."""
import json
from datetime import datetime, timezone
from uuid import UUID

from SpiffWorkflow.util.task import TaskState

from . import fastsql
from . import human_tasks as ht
from .db import db
from .models import utcnow


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
    """Waiting catch events, from the event manager rather than a walk of the whole task tree."""
    return [t for t in wf.event_manager.tasks.values() if t.state == TaskState.WAITING]


def instance_data(wf):
    if wf.is_completed() and wf.data:
        return wf.data
    last = wf.last_task
    for sub in wf.subprocesses.values():
        if sub.last_task is not None and (last is None or sub.last_task.last_state_change > last.last_state_change):
            last = sub.last_task
    return last.data if last is not None else {}


def find_task(wf, task_id):
    try:
        return wf.get_task_from_id(UUID(str(task_id)))
    except Exception:  # SpiffWorkflow raises its own not-found error; a bad id is just "no task"
        return None


HUMAN_TASK_COLUMNS = ('id', 'instance_id', 'name', 'title', 'lane', 'groups', 'users', 'state', 'created_at',
                      'due_at', 'instructions', 'form_file', 'ui_form_file')
INSERT_TASK = fastsql.insert_sql('human_task', HUMAN_TASK_COLUMNS)
INSERT_CANDIDATE = fastsql.insert_sql('task_candidate', ('task_id', 'kind', 'name'))
INSERT_TIMER = fastsql.insert_sql('armed_timer', ('task_id', 'instance_id', 'name', 'due_at'))
INSERT_WAIT = fastsql.insert_sql('message_wait', ('task_id', 'instance_id', 'name', 'correlation'))
CLOSE_TASK = ('UPDATE human_task SET state = :state, completed_at = :completed_at, '
              'completed_by = COALESCE(:completed_by, completed_by) WHERE id = :id')
DROP_CANDIDATES = 'DELETE FROM task_candidate WHERE task_id = :id'
READY_IDS = "SELECT id FROM human_task WHERE instance_id = :instance_id AND state = 'ready'"


def _close_tasks(task_ids, state, now, completed_by=None):
    if not task_ids:
        return
    fastsql.later(CLOSE_TASK, [{'id': i, 'state': state, 'completed_at': now, 'completed_by': completed_by}
                             for i in task_ids])
    fastsql.later(DROP_CANDIDATES, [{'id': i} for i in task_ids])


def _task_row(inst, task, task_id, now):
    groups, users = ht.candidates(task, inst.initiator)
    form, ui_form = ht.form_files(task.task_spec)
    return {'id': task_id, 'instance_id': inst.id, 'name': ht.bpmn_id_of(task.task_spec),
            'title': ht.title_of(task.task_spec), 'lane': getattr(task.task_spec, 'lane', None),
            'groups': groups, 'users': users, 'state': 'ready', 'created_at': now,
            'due_at': parse_time(ht.boundary_due(task)), 'instructions': ht.instructions(task),
            'form_file': form, 'ui_form_file': ui_form}


# process_instance.has_waits, bits: armed_timer rows (1) and message_wait rows (2) exist, so only
# then are they deleted; no human_task row is ready (4, as the last projection left them), so
# they need not be read. 0, as rows written before bit 4 existed have it, means "read them".
TIMERS, MESSAGES, NO_READY_TASKS = 1, 2, 4


def _ready_rows(inst):
    if inst.has_waits & NO_READY_TASKS:
        return set()
    return set(fastsql.select_column(READY_IDS, {'instance_id': inst.id}))


def _sync_human_tasks(inst, wf, completed_by):
    """Close the rows of tasks no longer ready, add rows for newly ready ones; whether any is ready."""
    ready = {str(t.id): t for t in ready_human_tasks(wf)}
    known = _ready_rows(inst)
    now = utcnow()
    done, cancelled = [], []
    for task_id in known - set(ready):
        task = find_task(wf, task_id)
        (done if task is not None and task.state == TaskState.COMPLETED else cancelled).append(task_id)
    by_actor = {}
    for task_id in done:
        by_actor.setdefault((completed_by or {}).get(task_id), []).append(task_id)
    for actor, ids in by_actor.items():
        _close_tasks(ids, 'completed', now, actor)
    _close_tasks(cancelled, 'cancelled', now)
    rows = [_task_row(inst, ready[task_id], task_id, now) for task_id in ready if task_id not in known]
    # Every ready task is a new row (a new instance, say): what readers of this command's
    # projection would otherwise query back, before the rows are even written.
    inst.projected_ready = [(r['name'], r['title'], r['due_at']) for r in rows] if not known else None
    fastsql.later(INSERT_TASK, rows)
    fastsql.later(INSERT_CANDIDATE, [{'task_id': r['id'], 'kind': kind, 'name': name} for r in rows
                                   for kind, names in (('group', r['groups']), ('user', r['users']))
                                   for name in names])
    return bool(ready)


def _correlation(task, definition):
    values = {}
    for prop in definition.correlation_properties or []:
        for key in prop.correlation_keys or []:
            value = (task.workflow.correlations.get(key) or {}).get(prop.name)
            if value is not None:
                values[prop.name] = value
        values.setdefault(prop.name, None)
    return jsonable(values)


def _wait_rows(inst, wf, waiting):
    timers, messages = [], []
    for task in waiting:
        timer = ht.timer_definition(task)
        if timer is not None:
            timers.append({'task_id': str(task.id), 'instance_id': inst.id,
                           'name': timer.name or ht.bpmn_id_of(task.task_spec),
                           'due_at': parse_time(ht.timer_due(task))})
        names = set()
        for definition in ht.message_definitions(task):
            if definition.name not in names:
                names.add(definition.name)
                messages.append({'task_id': str(task.id), 'instance_id': inst.id, 'name': definition.name,
                                 'correlation': _correlation(task, definition)})
    return timers, messages


def _sync_waits(inst, wf):
    """Replace the instance's armed_timer and message_wait rows; their has_waits bits."""
    waiting = waiting_tasks(wf) if wf is not None else []
    timers, messages = _wait_rows(inst, wf, waiting)
    if inst.has_waits & TIMERS:
        fastsql.later('DELETE FROM armed_timer WHERE instance_id = :id', [{'id': inst.id}])
    if inst.has_waits & MESSAGES:
        fastsql.later('DELETE FROM message_wait WHERE instance_id = :id', [{'id': inst.id}])
    fastsql.later(INSERT_TIMER, timers)
    fastsql.later(INSERT_WAIT, messages)
    return (TIMERS if timers else 0) | (MESSAGES if messages else 0)


def project(inst, wf, completed_by=None):
    """Update inst's projections from wf; wf None means the instance was terminated.
    completed_by maps the ids of tasks people completed in this command to their usernames."""
    now = utcnow()
    with db.session.no_autoflush:
        if wf is None:
            _close_tasks(sorted(_ready_rows(inst)), 'cancelled', now)
            inst.has_waits = _sync_waits(inst, None) | NO_READY_TASKS
            return
        any_ready = _sync_human_tasks(inst, wf, completed_by)
        inst.has_waits = _sync_waits(inst, wf) | (0 if any_ready else NO_READY_TASKS)
    inst.data = jsonable(instance_data(wf))
    if wf.is_completed():
        inst.status, inst.ended_at = 'completed', inst.ended_at or now
    else:
        inst.status = 'waiting'
    inst.updated_at = now
