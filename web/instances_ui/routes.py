import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands, queries
from engine.errors import Conflict
from engine.inbox import (STATUSES, InstanceQuery, diagram_file, diagram_files, diagram_marks, list_instances,
                          may_view_instance, model_versions, now, open_incidents, open_tasks, timeline)
from ..auth.users import admin_required, display_names
from . import bp


def _visible_instance(instance_id):
    inst = queries.get_instance(instance_id)
    if not may_view_instance(current_user.actor(), inst):
        abort(403)
    return inst


@bp.get('/instances/<int:instance_id>')
def instance(instance_id):
    inst = _visible_instance(instance_id)
    tasks = open_tasks(inst.id)
    events = timeline(inst.id)
    names = display_names({t.assignee for t in tasks} | {e.actor for e in events} | {inst.initiator})
    marks = diagram_marks(inst)
    files = [name for name, _content in diagram_files(inst, marks['current']['ids'])]
    return render_template('instances/instance.html', inst=inst, tasks=tasks, events=events, names=names,
                           incidents=open_incidents(inst.id), files=files, marks=json.dumps(marks), now=now(),
                           show_data=current_user.is_admin,
                           data_json=json.dumps(inst.data or {}, indent=2, ensure_ascii=False, sort_keys=True))


@bp.get('/instances/<int:instance_id>/diagram/<path:name>')
def diagram(instance_id, name):
    inst = _visible_instance(instance_id)
    content = diagram_file(inst, name)
    if content is None:
        abort(404)
    return Response(content, mimetype='application/xml',
                    headers={'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff'})


@bp.post('/instances/<int:instance_id>/incidents/<int:incident_id>/retry')
@admin_required
def retry(instance_id, incident_id):
    try:
        commands.retry_incident(incident_id, current_user.actor())
        flash(_('The failed step runs again.'), 'success')
    except Conflict:
        flash(_('This incident was already resolved.'), 'warning')
    return redirect(url_for('instances_ui.instance', instance_id=instance_id))


@bp.post('/instances/<int:instance_id>/terminate')
@admin_required
def terminate(instance_id):
    reason = (request.form.get('reason') or '').strip()
    if not reason:
        flash(_('Give a reason to terminate the order.'), 'error')
        return redirect(url_for('instances_ui.instance', instance_id=instance_id) + '#terminate')
    try:
        commands.terminate(instance_id, current_user.actor(), reason[:2000])
        flash(_('Order %(id)s was terminated.', id=instance_id), 'success')
    except Conflict:
        flash(_('This order has already ended.'), 'warning')
    return redirect(url_for('instances_ui.instance', instance_id=instance_id))


def _instance_query(args):
    def number(name, default=None):
        try:
            return int(args.get(name) or default)
        except (TypeError, ValueError):
            return default
    return InstanceQuery(model=args.get('model') or None, version=number('version'),
                         status=args.get('status') if args.get('status') in STATUSES else None,
                         incident=args.get('incident') == '1', page=max(1, number('page', 1)))


@bp.get('/operations/instances')
@admin_required
def operations():
    q = _instance_query(request.args)
    rows, total = list_instances(q)
    args = {k: v for k, v in request.args.items() if k != 'page' and v}
    return render_template('instances/operations.html', q=q, rows=rows, total=total,
                           pages=max(1, -(-total // q.per_page)), versions=model_versions(), statuses=STATUSES,
                           args=args)
