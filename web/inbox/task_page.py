"""What the task page shows: the task and its order, the instructions, the form with values and
errors, and who finished the task when it is no longer open."""
from engine.commands import check_may_act
from engine.errors import Forbidden, NotFound
from engine.forms import load_form
from engine.inbox import task_with_instance
from ..auth.locale import language
from ..auth.users import display_names
from . import drafts
from .markdown import render
from .schema_form import DECISION, build_fields, is_approval, values_from_data
from .task_files import notes

SUMMARY = ('title', 'customer', 'amount', 'order_type', 'urgency', 'requested_date')


def load(task_id, actor):
    """(task row, instance); 404 for an unknown task, 403 when the actor may not act on it."""
    found = task_with_instance(task_id)
    if found is None:
        raise NotFound(f'No task {task_id}.', code='task_not_found')
    row, inst = found
    if row.state == 'ready':
        try:
            check_may_act(row, actor)
        except Forbidden as e:
            if e.code != 'claimed_by_other':  # a colleague holds it: shown, read only
                raise
    elif not _was_allowed(row, actor):
        raise Forbidden('Not your task.', code='not_your_task')
    return row, inst


def _was_allowed(row, actor):
    return (actor.is_admin or actor.username in (row.users or []) or actor.username == row.completed_by
            or bool(set(row.groups or []) & set(actor.groups)))


def form_of(inst, row):
    schema = load_form(inst.version_id, row.form_file) if row.form_file else None
    ui = load_form(inst.version_id, row.ui_form_file) if row.ui_form_file else None
    return schema, ui or {}


def initial_values(schema, inst, row, username):
    """A saved draft, else the form pre-filled from the order's data and the schema's defaults."""
    draft = drafts.load(row.id, username)
    if draft is not None:
        return draft.values, draft.updated_at
    known = {k: v for k, v in (inst.data or {}).items() if k in ((schema or {}).get('properties') or {})}
    if is_approval(schema):
        known.pop(DECISION, None)
    return values_from_data(schema, known), None


def summary(inst, schema_titles=None):
    data = inst.data or {}
    return {key: data.get(key) for key in SUMMARY if data.get(key) not in (None, '')}


def finished_by(row):
    """(display name, username, when) of whoever completed the task, or None."""
    if row.state != 'completed':
        return None
    names = display_names([row.completed_by])
    return names.get(row.completed_by, row.completed_by), row.completed_by, row.completed_at


def context(row, inst, schema, ui, values, errors, actor, draft_saved_at=None, conflict=None, dropped=None):
    """dropped: {path: file names} chosen in a form shown again, which it no longer holds."""
    lang = language()
    approval = is_approval(schema)
    fields = build_fields(schema, ui, values, errors, lang, skip=(DECISION,) if approval else ())
    file_fields = _file_fields(fields)
    messages = notes(dropped or {})
    for f in file_fields:
        f.note = messages.get(f.path)
    decision_errors = errors.get(DECISION, []) if approval else []
    shown = {f.path for f in fields} | {DECISION}
    form_errors = [(path, message) for path, messages in errors.items() for message in messages
                   if path.split('.')[0] not in shown or path == '']
    order = _positions(fields)
    field_errors = [(f'f-{path.replace(".", "-")}', _label(fields, path), message)
                    for path, messages in sorted(errors.items(), key=lambda item: order.get(item[0], len(order)))
                    for message in messages if path and path.split('.')[0] in shown]
    holder = row.assignee
    return {'row': row, 'inst': inst, 'schema': schema, 'fields': fields, 'approval': approval,
            'decision_errors': decision_errors, 'form_errors': form_errors, 'error_list': field_errors,
            'instructions': render(row.instructions), 'summary': summary(inst),
            'form_title': _text(schema, 'title', lang), 'form_help': _text(schema, 'description', lang),
            'finished': finished_by(row) if conflict is None else conflict, 'holder': holder,
            'holder_name': display_names([holder]).get(holder, holder) if holder else None,
            'is_mine': holder == actor.username, 'draft_saved_at': draft_saved_at,
            'read_only': bool(holder) and holder != actor.username and not actor.is_admin,
            'may_view_order': True, 'has_files': bool(file_fields)}


def _file_fields(fields):
    found = []
    for f in fields:
        if f.widget == 'file':
            found.append(f)
        for row in f.rows:
            found += _file_fields(row)
        found += _file_fields(f.children)
    return found


def _text(node, name, lang):
    if not node:
        return None
    return (node.get(f'{name}_{lang}') if lang != 'en' else None) or node.get(name)


def _positions(fields, found=None):
    """{field path: position in the form}, so the error summary reads top to bottom."""
    found = {} if found is None else found
    for f in fields:
        found.setdefault(f.path, len(found))
        for row in f.rows:
            _positions(row, found)
        _positions(f.children, found)
    return found


def _label(fields, path):
    parts = path.split('.')
    for f in fields:
        if f.key == parts[0]:
            if len(parts) >= 3 and f.rows and parts[1].isdigit() and int(parts[1]) < len(f.rows):
                for cell in f.rows[int(parts[1])]:
                    if cell.key == parts[2]:
                        return f'{f.label} {int(parts[1]) + 1}: {cell.label}'
            return f.label
    return path
