"""Messages, incidents, operators and the state of the background work."""
from flask import current_app, g

from engine import commands, messages, outbox
from engine.models import Incident, Outbox
from orders import signatures
from . import bp
from .docs import doc, json_body
from .instances import instance_response, require_admin
from .schemas import Instance, IncidentRow, MessageDelivered, OperationsView, OperatorView, SendMessage


@bp.post('/messages/<name>')
@doc('Deliver a message to waiting instances, or start the processes it begins', body=SendMessage,
     response=MessageDelivered, errors=(404, 422))
def send_message(name):
    body = json_body(SendMessage)
    payload, correlation = signatures.checked(name, body.get('payload'), body.get('correlation'))
    delivered, started = messages.deliver(name, payload, correlation, g.actor)
    return MessageDelivered().dump({'delivered_to': delivered, 'started': started})


@bp.get('/operators')
@doc('Service-task operators the workers offer, with their parameters', response=OperatorView, many=True)
def list_operators():
    from tasks.operators import REGISTRY
    return OperatorView(many=True).dump([op.describe() for op in sorted(REGISTRY.values(), key=lambda o: o.name)])


@bp.get('/incidents')
@doc('Open incidents, newest first', response=IncidentRow, many=True)
def list_incidents():
    rows = Incident.query.filter_by(resolved_at=None).order_by(Incident.id.desc()).limit(500).all()
    return IncidentRow(many=True).dump(rows)


@bp.post('/incidents/<int:incident_id>/retry')
@doc('Retry what an incident stopped (admin): a failed service task runs again', response=Instance,
     errors=(403, 404, 409))
def retry_incident(incident_id):
    require_admin()
    return instance_response(commands.retry_incident(incident_id, g.actor))


@bp.get('/operations')
@doc('Queues, outbox rows by state, failed jobs and open incidents (admin)', response=OperationsView, errors=(403,))
def operations():
    require_admin()
    from tasks.service_jobs import queue
    view = {'outbox': outbox.counts(), 'open_incidents': Incident.query.filter_by(resolved_at=None).count(),
            'pending': [{'key': r.key, 'kind': r.kind, 'instance_id': r.instance_id, 'task_name': r.task_name,
                         'status': r.status, 'attempts': r.attempts, 'last_error': r.last_error,
                         'created_at': r.created_at}
                        for r in Outbox.query.filter(Outbox.status.in_(['pending', 'dispatched']))
                        .order_by(Outbox.id).limit(200)]}
    try:
        q = queue()
        view['queue'] = {'name': q.name, 'queued': q.count, 'failed': q.failed_job_registry.count,
                         'scheduled': q.scheduled_job_registry.count, 'started': q.started_job_registry.count,
                         'redis': 'up'}
    except Exception as error:  # Redis down: say so, the rest still answers
        view['queue'] = {'name': current_app.config['RQ_QUEUE'], 'redis': f'down: {error}'}
    return OperationsView().dump(view)
