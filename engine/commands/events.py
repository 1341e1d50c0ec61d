"""Commands that come from time, other instances and workers: timers, messages, service-task
outcomes, incident retries, and an operator's terminate."""
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from .. import outbox, service_tasks
from ..db import db
from ..errors import Conflict, NotFound
from ..human_tasks import is_timer, title_of
from ..models import Incident, ProcessInstance, utcnow
from ..projection import find_task, project
from .core import Actor, NoChange, audit, open_incidents, run_command, send_message


def initiator(inst):
    """Steps run by a worker or a timer act as the instance's initiator (API.md)."""
    return Actor(inst.initiator, tuple(inst.initiator_groups or ()))


def _armed_timers(wf):
    return [t for t in wf.event_manager.tasks.values() if is_timer(t) and t.state == TaskState.WAITING]


def _make_due(task):
    value = task._get_internal_data('event_value')
    if isinstance(value, dict) and 'next' in value:  # a cycle: bring the next occurrence forward
        value['next'] = utcnow().isoformat()
    else:
        task._set_internal_data(event_fired=True)


def fire_timers(instance_id, actor, task_id=None):
    def apply(inst, wf):
        if inst.status in ('completed', 'terminated'):
            raise Conflict(f'Instance {inst.id} is {inst.status}; it has no armed timers.', code='timer_not_armed')
        armed = _armed_timers(wf)
        if task_id:
            chosen = [t for t in armed if str(t.id) == str(task_id)]
            if not chosen:
                task = find_task(wf, task_id)
                if task is None or not is_timer(task):
                    raise NotFound(f'Instance {inst.id} has no timer task {task_id}.', code='timer_not_found')
                raise Conflict(f'Timer "{title_of(task.task_spec)}" is no longer armed.', code='timer_not_armed')
        else:
            chosen = armed
            if not chosen:
                raise Conflict(f'Instance {inst.id} has no armed timer.', code='timer_not_armed')
        for task in chosen:
            _make_due(task)
            audit(inst, actor, 'timer_fired', title_of(task.task_spec), task_id=str(task.id), early=True)

    return run_command(instance_id, apply, actor)


def terminate(instance_id, actor, reason=None):
    def apply(inst, wf):
        if inst.status in ('completed', 'terminated'):
            raise Conflict(f'Instance {inst.id} is already {inst.status}.', code='instance_finished')
        project(inst, None)
        inst.status, inst.ended_at, inst.updated_at = 'terminated', utcnow(), utcnow()
        for incident in open_incidents(inst):
            incident.resolved_at = utcnow()
        audit(inst, actor, 'terminated', reason=reason)

    return run_command(instance_id, apply, actor)


def run_due_timers(instance_id):
    """Advance an instance whose timers are due, as its initiator (API.md: steps run by a worker)."""
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or inst.status in ('completed', 'terminated'):
        return None
    actor = Actor(inst.initiator, tuple(inst.initiator_groups or ()))
    db.session.rollback()
    return run_command(instance_id, lambda inst, wf: None, actor)


# -- messages, service tasks, incidents -------------------------------------------------------

def deliver_message(instance_id, name, payload, correlation, actor):
    """The instance, if it was waiting for the message and took it; None otherwise."""
    def apply(inst, wf):
        if inst.status in ('completed', 'terminated') or not send_message(wf, name, payload, correlation):
            raise NoChange()
        audit(inst, actor, 'message_received', message=name, correlation=correlation)

    return run_command(instance_id, apply, actor)


def _error_boundaries(task, code):
    parent = task.parent
    if parent is None or type(parent.task_spec).__name__ != 'BoundaryEventSplit':
        return []
    return [t for t in parent.children if t is not task and t.state == TaskState.WAITING
            and isinstance(getattr(t.task_spec, 'event_definition', None), ErrorEventDefinition)
            and t.task_spec.event_definition.code in (None, code)]


def finish_service_task(instance_id, task_id, key, result=None, error=None, error_code=None, attempts=1):
    """A worker's report on a service task. Idempotent: a report for a task no longer waiting on
    this request (duplicate, late, from a retried job) changes nothing and returns None."""
    def apply(inst, wf):
        actor = initiator(inst)
        task = find_task(wf, task_id)
        request = task.internal_data.get(service_tasks.REQUEST) if task is not None else None
        if task is None or task.state != TaskState.STARTED or not request or request.get('key') != key:
            raise NoChange()
        name = title_of(task.task_spec)
        if error is None:
            del task.internal_data[service_tasks.REQUEST]
            task.data[task.task_spec.result_variable] = result
            task.complete()
            outbox.settle(key, 'done')
            audit(inst, actor, 'service_completed', name, operator=request['operator'], attempts=attempts)
            return None
        outbox.settle(key, 'failed', error=error)
        boundaries = _error_boundaries(task, error_code)
        if boundaries:
            event = BpmnEvent(boundaries[0].task_spec.event_definition,
                              payload={'error_message': error, 'error_code': error_code})
            for boundary in boundaries:
                boundary.task_spec.catch(boundary, event)
                boundary.task_spec._update(boundary)
            audit(inst, actor, 'service_failed', name, operator=request['operator'], error=error,
                  attempts=attempts, caught_by=[title_of(b.task_spec) for b in boundaries])
            return None
        message = (f'Service task "{name}" failed after {attempts} attempt(s) calling {request["operator"]}: '
                   f'{error}')
        incident = Incident(instance_id=inst.id, task_id=str(task.id), task_name=name, code='service_failed',
                            message=message)
        db.session.add(incident)
        db.session.flush()
        inst.eoms_new_incident = True
        audit(inst, actor, 'incident', name, incident_id=incident.id, message=message)
        return None

    try:
        return run_command(instance_id, apply, initiator)
    except NotFound:
        return None


def retry_incident(incident_id, actor):
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f'No incident {incident_id}.', code='incident_not_found')
    if incident.resolved_at is not None:
        raise Conflict(f'Incident {incident_id} is already resolved.', code='incident_resolved')

    def apply(inst, wf):
        row = db.session.get(Incident, incident_id, populate_existing=True)
        if row.resolved_at is not None:
            raise Conflict(f'Incident {incident_id} is already resolved.', code='incident_resolved')
        task = find_task(wf, row.task_id) if row.task_id else None
        request = task.internal_data.get(service_tasks.REQUEST) if task is not None else None
        if row.code == 'service_failed' and request:
            request['attempt'] += 1
            request['key'] = None  # a new outbox row goes out with this command
        row.resolved_at = utcnow()
        audit(inst, actor, 'incident_retried', row.task_name, incident_id=row.id)

    inst = run_command(incident.instance_id, apply, actor)
    return inst
