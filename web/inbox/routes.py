from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands, deployments
from engine.errors import Conflict, EngineError, NotFound
from engine.inbox import SORTS, TABS, filter_choices, list_inbox, now, open_tasks, tab_counts
from ..auth.routes import safe_next
from . import bp
from .names import task_title
from .listing import query_from, query_from_url, url_of

ORDER_STARTERS = ('requester',)


def _page_context(q, message=None):
    actor = current_user.actor()
    counts = tab_counts(actor)
    rows, total = list_inbox(actor, q, known_total=counts.get(q.tab))
    processes, lanes = filter_choices(actor, q.tab)
    if q.lane and q.lane not in lanes:
        lanes = sorted([*lanes, q.lane])
    base = url_for('inbox.inbox')
    pages = max(1, -(-total // q.per_page))
    return {'q': q, 'rows': rows, 'total': total, 'pages': pages, 'counts': counts,
            'processes': processes, 'lanes': lanes, 'tabs': TABS, 'sorts': SORTS, 'now': now(),
            'url_of': lambda **changes: url_of(base, q, **changes), 'current_url': url_of(base, q),
            'message': message, 'can_start': current_user.in_any(*ORDER_STARTERS)}


@bp.get('/inbox')
def inbox():
    if request.args.get('tab') == 'all' and not current_user.is_admin:
        abort(403)
    q = query_from(request.args, current_user.is_admin)
    context = _page_context(q)
    if request.headers.get('HX-Request') and not request.headers.get('HX-Boosted'):
        return render_template('inbox/_results.html', **context, oob=True)
    return render_template('inbox/inbox.html', **context)


def _after_claim(message, category):
    target = safe_next(request.form.get('next'))
    if request.headers.get('HX-Request'):
        q = query_from_url(target, current_user.is_admin)
        return render_template('inbox/_results.html', **_page_context(q, (category, message)), oob=True)
    flash(message, category)
    return redirect(target or url_for('inbox.inbox'))


def _claim_action(task_id, action, done):
    try:
        row = action(task_id, current_user.actor())
    except NotFound:
        abort(404)
    except Conflict as e:
        if e.code == 'already_claimed':
            return _after_claim(_('Someone else claimed this task a moment ago.'), 'warning')
        return _after_claim(_('This task is no longer open.'), 'warning')
    return _after_claim(done(task_title(row.title)), 'success')


@bp.post('/tasks/<task_id>/claim')
def claim(task_id):
    return _claim_action(task_id, commands.claim,
                         lambda title: _('You claimed "%(title)s". It is now in "My tasks".', title=title))


@bp.post('/tasks/<task_id>/unclaim')
def unclaim(task_id):
    return _claim_action(task_id, commands.unclaim,
                         lambda title: _('You released "%(title)s" for your group.', title=title))


@bp.post('/orders/new')
def new_order():
    if not current_user.in_any(*ORDER_STARTERS):
        abort(403)
    actor = current_user.actor()
    try:
        deployments.latest(current_app.config['ORDER_MODEL'])
    except EngineError:
        flash(_('The order process is not deployed yet. Ask an administrator to load the process models.'), 'error')
        return redirect(url_for('inbox.inbox'))
    inst = commands.start(current_app.config['ORDER_MODEL'], actor)
    for row in open_tasks(inst.id):
        if commands.may_act(row, actor):
            return redirect(url_for('inbox.task', task_id=row.id))
    flash(_('Order %(id)s was started.', id=inst.id), 'success')
    return redirect(url_for('instances_ui.instance', instance_id=inst.id))

