"""The one path every change to an instance takes: lock, load, apply, advance, project, save,
commit. Nothing else mutates workflow state."""
import logging
import time
from uuid import uuid4
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from . import deployments, fastsql, outbox, service_tasks, settings
from .db import db, is_sqlite
from .errors import Conflict, EngineError, Forbidden, Invalid, NotFound
from .forms import validate_submission
from .human_tasks import is_timer, message_definitions, title_of
from .models import HumanTask, Incident, ModelVersion, ProcessInstance, utcnow
from .projection import find_task, jsonable, project
from .sandbox import SCRIPT_ENGINE, current_user, time_limit
from .specs import dump_state, load_state, spec_cache

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 50
MAX_ADVANCE_ROUNDS = 100


@dataclass(frozen=True)
class Actor:
    username: str
    groups: tuple = field(default_factory=tuple)
    source_ip: str = None

    @property
    def is_admin(self):
        return 'admin' in self.groups

    def script_view(self):
        return {'username': self.username, 'groups': list(self.groups)}


class LoopTooDeep(Exception):
    def __init__(self, message, task=None):
        super().__init__(message)
        self.task = task


class NoChange(Exception):
    """The command found nothing to do (a late or duplicate report): nothing is saved."""


# -- loading and saving -------------------------------------------------------------------

def specs_for(version_id, start_id):
    version_specs = spec_cache.get(version_id, lambda: db.session.get(ModelVersion, version_id).specs)
    found = version_specs.for_start(start_id)
    if found is None:
        raise Invalid(f'"{start_id}" is not an executable process or collaboration of this version.',
                      code='unknown_process')
    return found


def _lock(instance_id):
    query = ProcessInstance.query.filter_by(id=instance_id).execution_options(populate_existing=True)
    if not is_sqlite():
        query = query.with_for_update()
    inst = query.first()
    if inst is None:
        raise NotFound(f'No process instance {instance_id}.', code='instance_not_found')
    return inst


def _load(inst):
    spec, subspecs = specs_for(inst.version_id, inst.process_id)
    return load_state(inst.state, spec, subspecs)


INSERT_AUDIT = fastsql.insert_sql('audit_event', ('instance_id', 'at', 'actor', 'kind', 'task_name', 'detail',
                                                  'source_ip'))


def audit(inst, actor, kind, task_name=None, **detail):
    fastsql.run(INSERT_AUDIT, [{
        'instance_id': inst.id, 'at': utcnow(), 'actor': actor.username if actor else None, 'kind': kind,
        'task_name': task_name, 'detail': jsonable(detail), 'source_ip': actor.source_ip if actor else None}])


# -- advancing --------------------------------------------------------------------------

def _check_depth(wf):
    limit = settings.get('MAX_TASK_DEPTH')
    for workflow in (wf, *wf.subprocesses.values()):
        for task in workflow.tasks.values():
            if not task.has_state(TaskState.FINISHED_MASK) and task.depth >= limit:
                raise LoopTooDeep(
                    f'"{title_of(task.task_spec)}" is {task.depth} steps deep in the task tree: the instance has '
                    f'looped too often for the engine to follow (limit {limit}). Use a standard loop or start a '
                    'new instance per iteration instead of a gateway loop.', task)


def advance(wf, actor):
    """Run every engine step that can run now, firing due timers, as the given user."""
    user_token = current_user.set(actor.script_view())
    limit_token = time_limit.set(settings.get('SCRIPT_TIME_LIMIT'))
    running = []
    try:
        for _ in range(MAX_ADVANCE_ROUNDS):
            wf.refresh_timers()
            wf.do_engine_steps(will_complete_task=lambda task: running.append(task))
            if wf.get_next_task(state=TaskState.READY, manual=False) is None:
                break
    except Exception as error:
        # Some engine errors (a bad timer duration) do not say which task failed: name the step.
        if getattr(error, 'task', None) is None and running:
            error.task = running[-1]
        raise
    finally:
        current_user.reset(user_token)
        time_limit.reset(limit_token)
    _check_depth(wf)


def _open_incidents(inst):
    return Incident.query.filter_by(instance_id=inst.id, resolved_at=None).all()


def flat_correlation(correlations):
    """{key: {property: value}} as SpiffWorkflow keeps them -> {property: value} as the API shows them."""
    flat = {}
    for values in (correlations or {}).values():
        if isinstance(values, dict):
            flat.update(values)
    return flat


def _emit_outbox(inst, wf):
    """Outbox rows, in this transaction, for new service requests and for thrown messages."""
    for task in service_tasks.waiting_requests(wf):
        request = task.internal_data[service_tasks.REQUEST]
        request['key'] = f'svc-{inst.id}-{task.id}-{request["attempt"]}'
        spec = task.task_spec
        outbox.add('service', request['key'], inst.id, str(task.id), title_of(spec), jsonable({
            'operator': request['operator'], 'params': request['params'], 'attempt': request['attempt'],
            'result_variable': spec.result_variable, 'retries': spec.retries,
            'retry_backoff_base': spec.retry_backoff_base}))
    for event in wf.get_events():
        if isinstance(event.event_definition, MessageEventDefinition):
            outbox.add('message', f'msg-{inst.id}-{uuid4().hex}',
                       inst.id, payload=jsonable({'name': event.event_definition.name, 'payload': event.payload,
                                                  'correlation': flat_correlation(event.correlations)}))


def _save(inst, wf, actor, completed_by=None):
    _emit_outbox(inst, wf)
    was_completed = inst.status == 'completed'
    check_incidents = inst.status == 'error' or getattr(inst, 'eoms_new_incident', False)
    project(inst, wf, completed_by)
    if inst.status == 'waiting' and service_tasks.outstanding(wf):
        inst.status = 'running'
    if check_incidents:
        for incident in _open_incidents(inst):
            if incident.code == 'service_failed':
                inst.status = 'error'  # stays until someone retries it
            else:  # the failed step was rolled back; this command went through
                incident.resolved_at = utcnow()
                audit(inst, actor, 'incident_resolved', incident.task_name, incident_id=incident.id)
    inst.state = dump_state(wf)
    if inst.status == 'completed' and not was_completed:
        audit(inst, actor, 'completed')
    db.session.flush()


# -- the command loop -----------------------------------------------------------------------

def _incident_details(error):
    task = getattr(error, 'task', None)
    task_name = title_of(task.task_spec) if task is not None else None
    task_id = str(task.id) if task is not None else None
    if isinstance(error, LoopTooDeep):
        return 'loop_too_deep', task_id, task_name, str(error)
    message = str(error)
    cause = getattr(error, 'exception', None) or error.__cause__ or error.__context__
    if cause is not None and str(cause) and str(cause) not in message:
        message += f': {type(cause).__name__}: {cause}'
    notes = getattr(error, '__notes__', None)
    if notes:
        message += ' (' + '; '.join(notes) + ')'
    if not isinstance(error, SpiffWorkflowException):
        message = f'{type(error).__name__}: {message}'
    where = f'Task "{task_name}": ' if task_name else ''
    return 'engine_error', task_id, task_name, where + message


def record_incident(instance_id, error, actor):
    """In its own transaction: the instance is marked `error` with an incident naming the task."""
    code, task_id, task_name, message = _incident_details(error)
    inst = _lock(instance_id)
    incident = Incident(instance_id=inst.id, task_id=task_id, task_name=task_name, code=code, message=message)
    db.session.add(incident)
    inst.status = 'error'
    inst.updated_at = utcnow()
    db.session.flush()
    audit(inst, actor, 'incident', task_name, incident_id=incident.id, message=message)
    db.session.commit()
    return inst


def _rollback():
    db.session.rollback()
    outbox.forget_new()


def _is_busy(error):
    return 'locked' in str(error).lower() or 'deadlock' in str(error).lower()


def run_command(instance_id, apply, actor):
    """Lock the instance, apply(inst, wf) (which may raise an EngineError to refuse, and returns
    {task id: username} for tasks people completed, or None), advance,
    project, save and commit. Engine failures become an incident; a lost race is retried."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            inst = _lock(instance_id)
            wf = _load(inst)
            try:
                completed_by = apply(inst, wf)
                if inst.status != 'terminated':
                    advance(wf, actor)
                    _save(inst, wf, actor, completed_by)
                db.session.commit()
                outbox.dispatch_new()
                return inst
            except (EngineError, StaleDataError, OperationalError, NoChange):
                raise
            except Exception as error:  # the engine failed: roll back and say so
                log.warning('instance %s: engine error', instance_id, exc_info=True)
                _rollback()
                return record_incident(instance_id, error, actor)
        except NoChange:
            _rollback()
            return None
        except EngineError:
            _rollback()
            raise
        except StaleDataError:
            _rollback()  # someone else saved first: reload and decide again
        except OperationalError as error:
            _rollback()
            if not _is_busy(error):
                raise
            time.sleep(min(0.01 * (attempt + 1), 0.2))
    raise Conflict('The instance is too busy right now; try again.', code='instance_busy')


# -- commands -------------------------------------------------------------------------------

def _start_data(wf, data):
    for task in wf.get_tasks(state=TaskState.READY):
        task.set_data(**data)


def start(model_key, actor, version=None, process_id=None, data=None, message=None):
    """message: (name, payload, correlation) delivered to the instance's message start event."""
    if data is not None and not isinstance(data, dict):
        raise Invalid('"data" must be a JSON object.', code='invalid_data')
    mv = deployments.get_version(model_key, version)
    if not mv.executable:
        raise Invalid(f'Process model "{model_key}" version {mv.version} is a descriptive diagram with no '
                      'executable process; mark a process isExecutable="true" and deploy it again to run it.',
                      code='not_executable')
    start_id = process_id or mv.primary_process_id
    if not start_id:
        raise Invalid(f'Process model "{model_key}" has several startable processes; name one in "process_id".',
                      code='ambiguous_process', details={'candidates': mv.process_ids + mv.collaborations})
    if start_id not in mv.process_ids and start_id not in mv.collaborations:
        raise Invalid(f'"{start_id}" is not an executable process or collaboration of "{model_key}" version '
                      f'{mv.version} (choose from: {", ".join(mv.process_ids + mv.collaborations)}).',
                      code='unknown_process')
    spec, subspecs = specs_for(mv.id, start_id)

    def fresh():
        wf = BpmnWorkflow(spec, subspecs, script_engine=SCRIPT_ENGINE)
        _start_data(wf, jsonable(data or {}))
        return wf

    inst = ProcessInstance(version_id=mv.id, model_key=mv.model_key, version=mv.version, process_id=start_id,
                           status='running', initiator=actor.username, initiator_groups=list(actor.groups),
                           data=jsonable(data or {}))
    db.session.add(inst)
    db.session.flush()
    wf = fresh()
    try:
        audit(inst, actor, 'started', process_id=start_id, version=mv.version)
        advance(wf, actor)
        if message is not None:
            name, payload, correlation = message
            if not _send_message(wf, name, payload, correlation):
                raise Conflict(f'Process "{start_id}" does not start with message "{name}".', code='not_waiting')
            audit(inst, actor, 'message_received', message=name)
            advance(wf, actor)
        _save(inst, wf, actor)
        db.session.commit()
        outbox.dispatch_new()
        return inst
    except EngineError:
        _rollback()
        raise
    except Exception as error:
        log.warning('starting %s: engine error', model_key, exc_info=True)
        _rollback()
        # Keep the instance, as it was before the failing step, with the incident that stopped it.
        inst = ProcessInstance(version_id=mv.id, model_key=mv.model_key, version=mv.version, process_id=start_id,
                               status='error', initiator=actor.username, initiator_groups=list(actor.groups),
                               data=jsonable(data or {}), state=dump_state(fresh()))
        db.session.add(inst)
        db.session.flush()
        audit(inst, actor, 'started', process_id=start_id, version=mv.version)
        db.session.commit()
        return record_incident(inst.id, error, actor)


def may_act(row, actor):
    return actor.is_admin or actor.username in (row.users or []) or bool(set(row.groups or []) & set(actor.groups))


def _already_done(row):
    who = f' by {row.completed_by}' if row.completed_by else ''
    when = f' at {row.completed_at.isoformat()}' if row.completed_at else ''
    state = 'completed' if row.state == 'completed' else 'no longer ready'
    return Conflict(f'Task "{row.title}" was already {state}{who}{when}.', code='task_not_ready',
                    details={'completed_by': row.completed_by,
                             'completed_at': row.completed_at.isoformat() if row.completed_at else None})


def task_row(task_id):
    row = db.session.get(HumanTask, str(task_id))
    if row is None:
        raise NotFound(f'No task {task_id}.', code='task_not_found')
    return row


def check_may_act(row, actor):
    if not may_act(row, actor):
        whom = ', '.join(row.groups or row.users or []) or 'nobody'
        raise Forbidden(f'Task "{row.title}" belongs to {whom}; you are not allowed to act on it.',
                        code='not_your_task')
    if row.assignee and row.assignee != actor.username and not actor.is_admin:
        raise Forbidden(f'Task "{row.title}" is claimed by {row.assignee}.', code='claimed_by_other')


def complete_task(task_id, data, actor):
    row, version_id = _task_and_version(task_id)
    if row.state != 'ready':
        raise _already_done(row)
    check_may_act(row, actor)
    validate_submission(version_id, row.form_file, data, row.title)
    as_admin = not may_act(row, Actor(actor.username, tuple(g for g in actor.groups if g != 'admin')))

    def apply(inst, wf):
        task = find_task(wf, row.id)
        if task is None or task.state != TaskState.READY:
            raise _already_done(db.session.get(HumanTask, row.id, populate_existing=True))
        if hasattr(task.task_spec, 'add_data_from_form'):
            task.task_spec.add_data_from_form(task, data)
        else:
            DeepMerge.merge(task.data, data)
        user = current_user.set(actor.script_view())
        try:
            task.run()
        finally:
            current_user.reset(user)
        audit(inst, actor, 'task_completed', row.title, task_id=row.id, task=row.name, as_admin=as_admin,
              fields=sorted(data))
        return {row.id: actor.username}

    return run_command(row.instance_id, apply, actor)


def _task_and_version(task_id):
    found = db.session.execute(select(HumanTask, ProcessInstance.version_id)
                               .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
                               .where(HumanTask.id == str(task_id))).first()
    if found is None:
        raise NotFound(f'No task {task_id}.', code='task_not_found')
    return found


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
        for incident in _open_incidents(inst):
            incident.resolved_at = utcnow()
        audit(inst, actor, 'terminated', reason=reason)

    return run_command(instance_id, apply, actor)


def claim(task_id, actor):
    row = task_row(task_id)
    if not may_act(row, actor):
        check_may_act(row, actor)
    # The instance row first, as every command takes it: a claim never waits on a completion
    # while holding the task row (that order deadlocks on PostgreSQL).
    inst = _lock(row.instance_id)
    row = db.session.get(HumanTask, row.id, populate_existing=True)
    if row.state != 'ready':
        db.session.rollback()
        raise _already_done(row)
    if row.assignee == actor.username:
        db.session.rollback()
        return row
    if row.assignee is not None:
        db.session.rollback()
        raise Conflict(f'Task "{row.title}" is already claimed by {row.assignee}.', code='already_claimed',
                       details={'assignee': row.assignee})
    updated = HumanTask.query.filter_by(id=row.id, state='ready', assignee=None).update({'assignee': actor.username})
    if not updated:
        db.session.rollback()
        raise Conflict(f'Task "{row.title}" was claimed by someone else meanwhile.', code='already_claimed')
    audit(inst, actor, 'claimed', row.title, task_id=row.id)
    db.session.commit()
    return db.session.get(HumanTask, row.id, populate_existing=True)


def unclaim(task_id, actor):
    inst = _lock(task_row(task_id).instance_id)
    row = db.session.get(HumanTask, str(task_id), populate_existing=True)
    try:
        if row.state != 'ready':
            raise _already_done(row)  # noqa: the except below rolls back first
        if row.assignee is None:
            db.session.rollback()
            return row
        if row.assignee != actor.username and not actor.is_admin:
            raise Forbidden(f'Task "{row.title}" is claimed by {row.assignee}; only they or an admin can release '
                            'it.', code='claimed_by_other')
    except EngineError:
        db.session.rollback()
        raise
    row.assignee = None
    audit(inst, actor, 'unclaimed', row.title, task_id=row.id)
    db.session.commit()
    return row


def run_due_timers(instance_id):
    """Advance an instance whose timers are due, as its initiator (API.md: steps run by a worker)."""
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or inst.status in ('completed', 'terminated'):
        return None
    actor = Actor(inst.initiator, tuple(inst.initiator_groups or ()))
    db.session.rollback()
    return run_command(instance_id, lambda inst, wf: None, actor)


# -- messages, service tasks, incidents -------------------------------------------------------

def _message_catchers(wf, name):
    return [t for t in wf.event_manager.tasks.values()
            if t.state == TaskState.WAITING and message_definitions(t, name)]


def _event_correlations(definition, correlation, payload):
    """{key: {property: value}} for the definition's correlation properties: from the given
    correlation values, else computed from the payload by the property's retrieval expression."""
    found = {}
    for prop in definition.correlation_properties or []:
        if prop.name in (correlation or {}):
            value = correlation[prop.name]
        else:
            try:
                value = SCRIPT_ENGINE.environment.evaluate(prop.retrieval_expression, dict(payload or {}))
            except Exception:
                continue
        for key in prop.correlation_keys or []:
            found.setdefault(key, {})[prop.name] = value
    return found


def _send_message(wf, name, payload, correlation):
    catchers = _message_catchers(wf, name)
    if not catchers:
        return False
    definition = message_definitions(catchers[0], name)[0]
    event = BpmnEvent(definition, payload=dict(payload or {}),
                      correlations=_event_correlations(definition, correlation, payload))
    return wf.event_manager.catch(event, internal=False) > 0


def deliver_message(instance_id, name, payload, correlation, actor):
    """The instance, if it was waiting for the message and took it; None otherwise."""
    def apply(inst, wf):
        if inst.status in ('completed', 'terminated') or not _send_message(wf, name, payload, correlation):
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
    owner = db.session.get(ProcessInstance, instance_id)
    if owner is None:
        return None
    actor = Actor(owner.initiator, tuple(owner.initiator_groups or ()))
    db.session.rollback()

    def apply(inst, wf):
        task = find_task(wf, task_id)
        request = task.internal_data.get(service_tasks.REQUEST) if task is not None else None
        if task is None or task.state != TaskState.STARTED or not request or request.get('key') != key:
            raise NoChange()
        name = title_of(task.task_spec)
        if error is None:
            del task.internal_data[service_tasks.REQUEST]
            task.data[task.task_spec.result_variable] = result
            task.complete()
            outbox.mark(key, 'done')
            audit(inst, actor, 'service_completed', name, operator=request['operator'], attempts=attempts)
            return None
        outbox.mark(key, 'failed', error=error)
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

    return run_command(instance_id, apply, actor)


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
