"""The one path every change to an instance takes: lock, load, apply, advance, project, save,
commit. Nothing else mutates workflow state. The commands people and workers give are in
`human.py` and `events.py`; they all go through `run_command` here."""
import logging
import time
from dataclasses import dataclass, field
from uuid import uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from .. import deployments, fastsql, outbox, service_tasks, settings
from ..db import db, is_sqlite
from ..errors import Conflict, EngineError, Invalid, NotFound
from ..human_tasks import message_definitions, title_of
from ..models import Incident, ModelVersion, ProcessInstance, utcnow
from ..projection import NO_READY_TASKS, jsonable, project
from ..sandbox import SCRIPT_ENGINE, current_user, time_limit
from ..specs import dump_state, load_state, spec_cache

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


def lock_instance(instance_id):
    # Session.get builds its statement once; a Query costs a few tenths of a ms more per command.
    inst = db.session.get(ProcessInstance, instance_id, populate_existing=True, with_for_update=not is_sqlite())
    if inst is None:
        raise NotFound(f'No process instance {instance_id}.', code='instance_not_found')
    return inst


def load_workflow(inst):
    spec, subspecs = specs_for(inst.version_id, inst.process_id)
    return load_state(inst.state, spec, subspecs)


INSERT_AUDIT = fastsql.insert_sql('audit_event', ('instance_id', 'at', 'actor', 'kind', 'task_name', 'detail',
                                                  'source_ip'))


def audit(inst, actor, kind, task_name=None, **detail):
    fastsql.later(INSERT_AUDIT, [{
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


def open_incidents(inst):
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
        for incident in open_incidents(inst):
            if incident.code == 'service_failed':
                inst.status = 'error'  # stays until someone retries it
            else:  # the failed step was rolled back; this command went through
                incident.resolved_at = utcnow()
                audit(inst, actor, 'incident_resolved', incident.task_name, incident_id=incident.id)
    inst.state = dump_state(wf)
    if inst.status == 'completed' and not was_completed:
        audit(inst, actor, 'completed')
    db.session.flush()


# -- messages into a workflow -----------------------------------------------------------

def message_catchers(wf, name):
    return [t for t in wf.event_manager.tasks.values()
            if t.state == TaskState.WAITING and message_definitions(t, name)]


def event_correlations(definition, correlation, payload):
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


def send_message(wf, name, payload, correlation):
    catchers = message_catchers(wf, name)
    if not catchers:
        return False
    definition = message_definitions(catchers[0], name)[0]
    event = BpmnEvent(definition, payload=dict(payload or {}),
                      correlations=event_correlations(definition, correlation, payload))
    return wf.event_manager.catch(event, internal=False) > 0


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
    inst = lock_instance(instance_id)
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
    project, save and commit. Engine failures become an incident; a lost race is retried.
    `actor` may also be a function of the locked instance (e.g. its initiator)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            inst = lock_instance(instance_id)
            if callable(actor):
                actor = actor(inst)
            wf = load_workflow(inst)
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
    mv = deployments.facts(model_key, version)
    if not mv.executable:
        raise Invalid(f'Process model "{model_key}" version {mv.version} is a descriptive diagram with no '
                      'executable process; mark a process isExecutable="true" and deploy it again to run it.',
                      code='not_executable')
    start_id = process_id or mv.primary_process_id
    if not start_id:
        raise Invalid(f'Process model "{model_key}" has several startable processes; name one in "process_id".',
                      code='ambiguous_process', details={'candidates': [*mv.process_ids, *mv.collaborations]})
    if start_id not in mv.process_ids and start_id not in mv.collaborations:
        raise Invalid(f'"{start_id}" is not an executable process or collaboration of "{model_key}" version '
                      f'{mv.version} (choose from: {", ".join(mv.process_ids + mv.collaborations)}).',
                      code='unknown_process')
    spec, subspecs = specs_for(mv.id, start_id)

    def fresh():
        wf = BpmnWorkflow(spec, subspecs, script_engine=SCRIPT_ENGINE)
        _start_data(wf, jsonable(data or {}))
        return wf

    wf = fresh()
    try:
        # The engine runs before the instance is written: on SQLite, whose one write lock is taken
        # at a transaction's first write, other writers wait only for this start's writes.
        advance(wf, actor)
        if message is not None:
            name, payload, correlation = message
            if not send_message(wf, name, payload, correlation):
                raise Conflict(f'Process "{start_id}" does not start with message "{name}".', code='not_waiting')
            advance(wf, actor)
        # A new instance has no human_task rows yet: its first projection need not look for them.
        inst = ProcessInstance(version_id=mv.id, model_key=mv.model_key, version=mv.version, process_id=start_id,
                               status='running', initiator=actor.username, initiator_groups=list(actor.groups),
                               data=jsonable(data or {}), has_waits=NO_READY_TASKS)
        db.session.add(inst)
        db.session.flush()
        audit(inst, actor, 'started', process_id=start_id, version=mv.version)
        if message is not None:
            audit(inst, actor, 'message_received', message=message[0])
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

