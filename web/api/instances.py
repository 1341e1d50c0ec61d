from flask import g

from engine import commands, queries
from engine.errors import Forbidden
from . import bp
from .docs import doc, json_body, query_args
from .schemas import Event, FireTimers, Instance, InstancePage, InstanceQuery, StartInstance, Terminate


def instance_response(inst, status=200):
    return Instance().dump(queries.instance_view(inst)), status


def require_admin():
    if not g.actor.is_admin:
        raise Forbidden('Only members of the admin group may do this.', code='admin_only')


@bp.post('/process-instances')
@doc('Start an instance and advance it as far as it goes', body=StartInstance, response=Instance, status=201,
     errors=(401, 404, 422))
def start_instance():
    body = json_body(StartInstance)
    inst = commands.start(body['model'], g.actor, version=body.get('version'), process_id=body.get('process_id'),
                          data=body.get('data'))
    return instance_response(inst, 201)


@bp.get('/process-instances')
@doc('List instances, newest first', query=InstanceQuery, response=InstancePage)
def list_instances():
    args = query_args(InstanceQuery)
    rows, total = queries.list_instances(args.get('model'), args.get('status'), args['page'], args['per_page'])
    return InstancePage().dump({'items': rows, 'page': args['page'], 'per_page': args['per_page'], 'total': total})


@bp.get('/process-instances/<int:instance_id>')
@doc('An instance with its ready tasks, timers, message waits and incidents', response=Instance, errors=(404,))
def get_instance(instance_id):
    return instance_response(queries.get_instance(instance_id))


@bp.get('/process-instances/<int:instance_id>/events')
@doc('The audit trail of an instance', response=Event, many=True, errors=(404,))
def instance_events(instance_id):
    return Event(many=True).dump(queries.events(instance_id))


@bp.post('/process-instances/<int:instance_id>/timers/fire')
@doc('Fire armed timers now (admin)', body=FireTimers, response=Instance, errors=(403, 404, 409))
def fire_timers(instance_id):
    body = json_body(FireTimers)
    require_admin()
    queries.get_instance(instance_id)
    return instance_response(commands.fire_timers(instance_id, g.actor, body.get('task_id')))


@bp.post('/process-instances/<int:instance_id>/terminate')
@doc('Terminate an instance (admin)', body=Terminate, response=Instance, errors=(403, 404, 409))
def terminate_instance(instance_id):
    body = json_body(Terminate)
    require_admin()
    return instance_response(commands.terminate(instance_id, g.actor, body.get('reason')))
