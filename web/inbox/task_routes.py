from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands
from engine.errors import Conflict, Invalid
from ..auth.users import display_names
from . import bp, drafts, task_page
from .form_errors import from_engine, localized_errors
from .names import task_title
from .schema_form import DECISION, add_row, data_from_values, is_approval, remove_row, values_from_form


def _render(row, inst, schema, ui, values, errors=None, status=200, **extra):
    context = task_page.context(row, inst, schema, ui, values, errors or {}, current_user.actor(), **extra)
    return render_template('inbox/task.html', **context), status


@bp.get('/tasks/<task_id>')
def task(task_id):
    row, inst = task_page.load(task_id, current_user.actor())
    schema, ui = task_page.form_of(inst, row)
    values, saved_at = task_page.initial_values(schema, inst, row, current_user.username)
    return _render(row, inst, schema, ui, values, draft_saved_at=saved_at)


def _conflict(e):
    details = e.details if isinstance(e.details, dict) else {}
    who = details.get('completed_by')
    when = details.get('completed_at')
    when = datetime.fromisoformat(when) if when else None
    return display_names([who]).get(who, who), who, when


@bp.post('/tasks/<task_id>')
def submit(task_id):
    actor = current_user.actor()
    row, inst = task_page.load(task_id, actor)
    schema, ui = task_page.form_of(inst, row)
    values = values_from_form(schema, request.form)
    action = request.form.get('_action', 'submit')
    if action.startswith('add:'):
        return _render(row, inst, schema, ui, add_row(schema, values, action[4:]))
    if action.startswith('remove:'):
        path, _sep, index = action[7:].rpartition(':')
        return _render(row, inst, schema, ui, remove_row(schema, values, path, int(index) if index.isdigit() else -1))
    if action == 'draft':
        drafts.save(row.id, actor.username, values)
        flash(_('Draft saved. Only you can see it; it stays until you submit the form.'), 'success')
        return redirect(url_for('inbox.task', task_id=row.id))
    data = data_from_values(schema, values) if schema else {}
    if schema and is_approval(schema):
        choice = request.form.get(DECISION)
        if choice:
            data[DECISION] = choice
    try:
        commands.complete_task(row.id, data, actor)
    except Invalid as e:
        errors = (localized_errors(schema, data) if schema else {}) or from_engine(e.details)
        if not errors:
            errors = {'': [e.message]}
        return _render(row, inst, schema, ui, values, errors, status=422)
    except Conflict as e:
        if e.code != 'task_not_ready':
            raise
        row, inst = task_page.load(task_id, actor)
        return _render(row, inst, schema, ui, values, status=409, conflict=_conflict(e))
    drafts.discard(row.id)
    flash(_('Done: "%(title)s" is completed.', title=task_title(row.title)), 'success')
    return redirect(url_for('inbox.inbox'))
