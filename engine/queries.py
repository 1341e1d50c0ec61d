"""Read side: what the API and pages show, straight from the projection tables."""
from sqlalchemy import exists, or_, select

from .db import db
from .errors import Forbidden, Invalid, NotFound
from .forms import load_form
from .models import ArmedTimer, AuditEvent, HumanTask, Incident, MessageWait, ProcessInstance, TaskCandidate

SCOPES = ('mine', 'groups', 'all')


def get_instance(instance_id):
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None:
        raise NotFound(f'No process instance {instance_id}.', code='instance_not_found')
    return inst


def task_view(row, version_id=None):
    form = None
    if row.form_file:
        version_id = version_id or db.session.get(ProcessInstance, row.instance_id).version_id
        form = {'schema': load_form(version_id, row.form_file), 'ui_schema': load_form(version_id, row.ui_form_file)}
    return {'id': row.id, 'instance_id': row.instance_id, 'name': row.name, 'title': row.title, 'lane': row.lane,
            'groups': row.groups or [], 'assignee': row.assignee, 'created_at': row.created_at,
            'due_at': row.due_at, 'instructions': row.instructions, 'form': form, 'state': row.state,
            'users': row.users or []}


def instance_view(inst):
    ready = HumanTask.query.filter_by(instance_id=inst.id, state='ready').order_by(HumanTask.created_at).all()
    # The instance row says which of the other tables hold anything for it.
    timers = (ArmedTimer.query.filter_by(instance_id=inst.id).order_by(ArmedTimer.due_at).all()
              if inst.has_waits & 1 else [])
    waits = MessageWait.query.filter_by(instance_id=inst.id).all() if inst.has_waits & 2 else []
    incidents = (Incident.query.filter_by(instance_id=inst.id, resolved_at=None).order_by(Incident.id).all()
                 if inst.status == 'error' else [])
    return {
        'id': inst.id, 'model': inst.model_key, 'version': inst.version, 'process_id': inst.process_id,
        'status': inst.status, 'data': inst.data or {}, 'initiator': inst.initiator,
        'ready_tasks': [task_view(t, inst.version_id) for t in ready],
        'timers': [{'task_id': t.task_id, 'name': t.name, 'due_at': t.due_at} for t in timers],
        'message_waits': [{'name': w.name, 'correlation': w.correlation or {}} for w in waits],
        'incidents': [{'id': i.id, 'task_name': i.task_name, 'message': i.message, 'code': i.code,
                       'created_at': i.created_at} for i in incidents],
        'started_at': inst.started_at, 'ended_at': inst.ended_at,
    }


def list_instances(model=None, status=None, page=1, per_page=50):
    query = ProcessInstance.query
    if model:
        query = query.filter_by(model_key=model)
    if status:
        query = query.filter_by(status=status)
    total = query.count()
    rows = query.order_by(ProcessInstance.id.desc()).offset((page - 1) * per_page).limit(per_page).all()
    return rows, total


def list_tasks(actor, scope='groups', instance_id=None):
    if scope not in SCOPES:
        raise Invalid(f'scope must be one of {", ".join(SCOPES)}.', code='invalid_scope',
                      details=[{'path': 'scope', 'message': f'not one of {SCOPES}'}])
    query = HumanTask.query.filter(HumanTask.state == 'ready')
    if instance_id is not None:
        query = query.filter(HumanTask.instance_id == instance_id)
    if scope == 'mine':
        query = query.filter(HumanTask.assignee == actor.username)
    elif scope == 'groups':
        candidate = select(TaskCandidate.task_id).where(TaskCandidate.task_id == HumanTask.id).where(or_(
            (TaskCandidate.kind == 'group') & TaskCandidate.name.in_(list(actor.groups) or ['']),
            (TaskCandidate.kind == 'user') & (TaskCandidate.name == actor.username)))
        query = query.filter(exists(candidate))
    elif not actor.is_admin:
        raise Forbidden('Only members of the admin group may list all tasks.', code='admin_only')
    rows = (query.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .add_columns(ProcessInstance.version_id)
            .order_by(HumanTask.created_at, HumanTask.id).limit(1000).all())
    return rows


def events(instance_id):
    get_instance(instance_id)
    return AuditEvent.query.filter_by(instance_id=instance_id).order_by(AuditEvent.at, AuditEvent.id).all()
