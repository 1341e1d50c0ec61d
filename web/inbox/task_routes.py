from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import commands
from engine.errors import Conflict, Invalid
from ..auth.users import display_names
from .. import uploads
from . import bp, drafts, task_page
from .form_errors import from_engine, localized_errors
from .names import task_title
from .schema_form import DECISION, add_row, data_from_values, is_approval, remove_row, values_from_form
from .task_files import FormFiles

uploads.allow_files(bp, 'submit')


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
    files = FormFiles(schema, values_from_form(schema, request.form), request.files, inst, row, actor.username)
    values = files.values
    action = request.form.get('_action', 'submit')
    if action.startswith('add:'):
        return _render(row, inst, schema, ui, add_row(schema, values, action[4:]), dropped=files.dropped())
    if action.startswith('remove:'):
        path, _sep, index = action[7:].rpartition(':')
        values = remove_row(schema, values, path, int(index) if index.isdigit() else -1)
        return _render(row, inst, schema, ui, values, dropped=files.dropped())
    if action == 'draft':
        if files.errors:
            return _render(row, inst, schema, ui, values, files.errors, status=422, dropped=files.dropped())
        drafts.save(row.id, actor.username, files.save_draft() if files else values)
        flash(_('Draft saved. Only you can see it; it stays until you submit the form.'), 'success')
        return redirect(url_for('inbox.task', task_id=row.id))
    extra = {}
    if schema and is_approval(schema):
        choice = request.form.get(DECISION)
        if choice:
            extra[DECISION] = choice
    prepare = None
    if files:
        # Nothing is stored for a form that would be refused: check it first with stand-ins for
        # the new files, then store them in the transaction that completes the task.
        data = {**data_from_values(schema, files.checked_values()), **extra}
        errors = merge_errors(localized_errors(schema, data), files.errors)
        if errors:
            return _render(row, inst, schema, ui, values, errors, status=422, dropped=files.dropped())
        prepare = files.completion(schema, extra)
    else:
        data = {**(data_from_values(schema, values) if schema else {}), **extra}
    try:
        commands.complete_task(row.id, data, actor, prepare=prepare)
    except Invalid as e:
        data = files.submitted or data
        errors = (localized_errors(schema, data) if schema else {}) or from_engine(e.details)
        if not errors:
            errors = {'': [e.message]}
        return _render(row, inst, schema, ui, values, errors, status=422, dropped=files.dropped())
    except Conflict as e:
        if e.code != 'task_not_ready':
            raise
        row, inst = task_page.load(task_id, actor)
        return _render(row, inst, schema, ui, values, status=409, conflict=_conflict(e))
    drafts.discard(row.id)
    flash(_('Done: "%(title)s" is completed.', title=task_title(row.title)), 'success')
    return redirect(url_for('inbox.inbox'))


def merge_errors(*found):
    merged = {}
    for errors in found:
        for path, messages in errors.items():
            listed = merged.setdefault(path, [])
            listed += [m for m in messages if m not in listed]
    return merged
