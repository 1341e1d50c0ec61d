from flask import g

from engine import commands, queries
from engine.forms import has_files
from orders import attachments
from . import bp
from .docs import doc, json_body, query_args
from .instances import instance_response
from .schemas import CompleteTask, Instance, Task, TaskQuery


@bp.get('/tasks')
@doc('Ready human tasks: claimed by me, of my groups, or all (admin)', query=TaskQuery, response=Task, many=True)
def list_tasks():
    args = query_args(TaskQuery)
    rows = queries.list_tasks(g.actor, args['scope'], args.get('instance_id'))
    return Task(many=True).dump([queries.task_view(row, version_id) for row, version_id in rows])


@bp.post('/tasks/<task_id>/claim')
@doc('Claim a task', response=Task, errors=(403, 404, 409))
def claim_task(task_id):
    return Task().dump(queries.task_view(commands.claim(task_id, g.actor)))


@bp.post('/tasks/<task_id>/unclaim')
@doc('Release a claimed task', response=Task, errors=(403, 404, 409))
def unclaim_task(task_id):
    return Task().dump(queries.task_view(commands.unclaim(task_id, g.actor)))


@bp.post('/tasks/<task_id>/complete')
@doc('Complete a task with form data', body=CompleteTask, response=Instance, errors=(403, 404, 409, 422))
def complete_task(task_id):
    """A file field takes a reference to a file kept with the order or process,
    `{"attachment_id": 12, "filename": "scan.pdf"}`: upload it first (POST
    /api/v1/orders/{number}/attachments); any other file answers 422 `unknown_attachment`."""
    body = json_body(CompleteTask)
    form = queries.task_view(commands.task_row(task_id))['form']
    prepare = attachments.referenced_files(task_id, form['schema']) if form and has_files(form['schema']) else None
    return instance_response(commands.complete_task(task_id, body['data'], g.actor, prepare=prepare))
