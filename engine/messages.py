"""Messages: delivered to the instances waiting for them whose correlation matches, or starting
instances of the processes a message start event begins; messages thrown inside an instance are
routed the same way, through the outbox, right after their command commits."""
import logging

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition

from . import commands, outbox
from .commands import Actor, flat_correlation  # noqa: F401  (part of this module's vocabulary)
from .db import db
from .errors import EngineError, NotFound
from .models import MessageWait, ModelVersion, ProcessInstance, ProcessModel

log = logging.getLogger(__name__)


def _matches(waiting, wanted):
    return all(waiting.get(name) in (None, value) for name, value in (wanted or {}).items() if name in waiting)


def _waiting_instances(name, correlation, exclude):
    found = {}
    for row in MessageWait.query.filter_by(name=name).order_by(MessageWait.instance_id):
        if row.instance_id != exclude and _matches(row.correlation or {}, correlation):
            found.setdefault(row.instance_id, row)
    return list(found)


def _starters(name):
    rows = (db.session.query(ModelVersion).join(ProcessModel, (ProcessModel.key == ModelVersion.model_key)
                                                & (ProcessModel.latest_version == ModelVersion.version))
            .filter(ModelVersion.executable.is_(True)).order_by(ModelVersion.model_key))
    return [(v, pid) for v in rows for pid in (v.start_messages or {}).get(name, [])]


def deliver(name, payload, correlation, actor, exclude=None):
    """(delivered_to, started) instance ids; NotFound `no_receiver` when nobody takes it."""
    delivered, started = [], []
    for instance_id in _waiting_instances(name, correlation, exclude):
        if commands.deliver_message(instance_id, name, payload or {}, correlation or {}, actor):
            delivered.append(instance_id)
    for version, process_id in _starters(name):
        try:
            inst = commands.start(version.model_key, actor, version=version.version, process_id=process_id,
                                  message=(name, payload or {}, correlation or {}))
        except EngineError as error:  # one model that cannot start must not stop the others
            log.warning('message %s could not start %s/%s: %s', name, version.model_key, process_id, error.message)
            continue
        started.append(inst.id)
    if not delivered and not started:
        raise NotFound(f'No instance is waiting for message "{name}" with that correlation, and no deployed '
                       'process starts with it.', code='no_receiver')
    return delivered, started


def thrown_messages(wf):
    """Messages thrown in this command that nothing inside the instance caught."""
    return [e for e in wf.get_events() if isinstance(e.event_definition, MessageEventDefinition)]


def route_row(row):
    """Outbox dispatcher for thrown messages: route now, in this process."""
    if not outbox.mark(row.key, 'dispatched', only_from=('pending', 'dispatched')):
        db.session.commit()
        return
    db.session.commit()
    source = db.session.get(ProcessInstance, row.instance_id) if row.instance_id else None
    actor = Actor(source.initiator, tuple(source.initiator_groups or ())) if source else Actor('system')
    payload = row.payload
    try:
        deliver(payload['name'], payload.get('payload'), payload.get('correlation'), actor, exclude=row.instance_id)
        outbox.mark(row.key, 'done')
    except EngineError as error:  # no receiver, or a receiver that refused: said once, not re-sent
        db.session.rollback()
        log.info('message %s from instance %s: %s', payload['name'], row.instance_id, error.message)
        outbox.mark(row.key, 'done' if isinstance(error, NotFound) else 'failed', error=error.message)
    db.session.commit()


outbox.register('message', route_row)
