"""The models pages: list, one model (files, drafts, history), editors, viewer, diff, downloads."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import deployments, versions
from engine.bundle import kind_of
from engine.errors import EngineError, Invalid, NotFound
from ..auth.users import display_names
from . import access, bp, catalog, drafts, service
from .workspace import SOURCES, as_text, new_file, new_model_files, open_copy

EDITORS = {'bpmn': 'modeler/bpmn_editor.html', 'dmn': 'modeler/dmn_editor.html', 'form': 'modeler/form_editor.html'}


def _roles():
    return {'may_edit': access.may_edit(current_user), 'is_owner': access.is_owner(current_user),
            'may_migrate': access.may_migrate(current_user)}


@bp.get('/')
def models():
    rows = catalog.models()
    names = display_names({r['latest'].created_by for r in rows})
    pending = drafts.all_visible(current_user.username)
    known = {r['key'] for r in rows}
    return render_template('modeler/models.html', rows=rows, names=names, drafts=pending,
                           new_keys=sorted(k for k in pending if k not in known), **_roles())


@bp.post('/new')
def new_model():
    access.require_owner(current_user, 'create process models')
    key = (request.form.get('key') or '').strip()
    name = (request.form.get('name') or '').strip() or key
    try:
        deployments.check_key(key)
    except Invalid:
        flash(_('Use 1-100 letters, digits, "_", "." or "-" for the key, starting with a letter or digit.'), 'error')
        return redirect(url_for('modeler.models'))
    if service.latest_or_none(key) is not None or drafts.get(key, current_user.username) or drafts.get(key, drafts.SHARED):
        flash(_('A model with the key "%(key)s" already exists.', key=key), 'error')
        return redirect(url_for('modeler.model', key=key))
    files = new_model_files(key, name)
    drafts.save(key, current_user.username, files, None, current_user.username)
    return redirect(url_for('modeler.edit', key=key, name=next(iter(files))))


@bp.post('/upload')
def upload():
    access.require_editor(current_user)
    uploads = {}
    for item in request.files.getlist('files'):
        name = (item.filename or '').strip()
        if name:
            uploads[name] = item.read()
    key = (request.form.get('key') or '').strip() or service.key_from(next(iter(uploads), ''))
    mode = request.form.get('mode') or 'run'
    try:
        outcome = service.upload(current_user, key, uploads, mode, request.form.get('message'))
    except Invalid as e:
        problems = e.details if isinstance(e.details, list) else []
        return render_template('modeler/upload_refused.html', key=key, message=e.message, problems=problems,
                               files=sorted(uploads), mode=mode), 422
    if outcome['draft'] is not None:
        flash(_('Kept "%(key)s" as a shared draft for viewing: it is not executable and cannot be published as a '
                'version (%(reason)s).', key=key, reason=outcome['draft'].note), 'warning')
        return redirect(url_for('modeler.model', key=key, source='shared'))
    version = outcome['version']
    if not version.executable:
        flash(_('Published "%(key)s" version %(version)s for viewing only: it has no executable process, so '
                'EOMS will not start it.', key=key, version=version.version), 'info')
    elif outcome['created']:
        flash(_('Published "%(key)s" version %(version)s. It can be started.', key=key, version=version.version),
              'success')
    else:
        flash(_('Nothing changed: "%(key)s" version %(version)s already has these files.', key=key,
                version=version.version), 'info')
    return redirect(url_for('modeler.model', key=key))


def _copy(key):
    source = request.args.get('source')
    return open_copy(key, current_user.username, source if source in SOURCES else None)


@bp.get('/<key>')
def model(key):
    copy = _copy(key)
    history = catalog.history(key)
    names = display_names({v.created_by for v, _c in history} | {d.updated_by for d in copy.drafts})
    first = copy.names('bpmn')[0] if copy.names('bpmn') else None
    return render_template('modeler/model.html', copy=copy, history=history, names=names, first_diagram=first,
                           kind_of=kind_of, **_roles())


@bp.post('/<key>/files')
def add_file(key):
    access.require_editor(current_user)
    copy = _copy(key)
    kind = request.form.get('kind')
    if kind == 'bpmn':
        access.require_owner(current_user, 'add diagrams')
    try:
        name, text = new_file(kind, request.form.get('name'), key)
    except Invalid as e:
        flash(e.message, 'error')
        return redirect(url_for('modeler.model', key=key))
    if name in copy.files:
        flash(_('The model already has a file "%(name)s".', name=name), 'error')
        return redirect(url_for('modeler.model', key=key))
    files = {**copy.files, name: text}
    service.save_draft(current_user, copy, files, 'shared' if copy.source == 'shared' else 'mine')
    return redirect(url_for('modeler.edit', key=key, name=name,
                            source='shared' if copy.source == 'shared' else 'mine'))


@bp.post('/<key>/drafts/discard')
def discard_draft(key):
    access.require_editor(current_user)
    scope = request.form.get('scope')
    if scope not in ('mine', 'shared'):
        abort(400)
    drafts.discard(key, drafts.SHARED if scope == 'shared' else current_user.username)
    flash(_('The draft was discarded.'), 'success')
    if service.latest_or_none(key) is None and not drafts.visible(key, current_user.username):
        return redirect(url_for('modeler.models'))
    return redirect(url_for('modeler.model', key=key))


@bp.get('/<key>/edit/<name>')
def edit(key, name):
    copy = _copy(key)
    if name not in copy.files:
        abort(404)
    kind = kind_of(name)
    may_save = access.may_edit(current_user) and (kind != 'bpmn' or access.is_owner(current_user))
    forms = copy.names('form')
    context = {'copy': copy, 'name': name, 'kind': kind, 'may_save': may_save, 'forms': forms,
               'content': copy.files[name], 'form_files': {n: copy.files[n] for n in forms}, **_roles()}
    return render_template(EDITORS[kind], **context)


@bp.get('/<key>/view/<name>')
def view(key, name):
    """A diagram of a version (?version=N) or of the working copy, in the viewer."""
    number = request.args.get('version', type=int)
    if number:
        version = deployments.get_version(key, number)
        content = deployments.file_content(version, name)
        if content is None:
            abort(404)
        text, label = as_text(content), _('version %(version)s', version=version.version)
    else:
        copy = _copy(key)
        if name not in copy.files:
            abort(404)
        text, label, version = copy.files[name], None, None
    if kind_of(name) not in ('bpmn', 'dmn'):
        abort(404)
    return render_template('modeler/view.html', key=key, name=name, kind=kind_of(name), version=version,
                           label=label, content=text)


@bp.get('/<key>/versions/<int:number>/files/<name>')
def download(key, number, name):
    content = deployments.file_content(deployments.get_version(key, number), name)
    if content is None:
        abort(404)
    kind = 'application/json' if name.endswith('.json') else 'application/xml'
    return Response(content, mimetype=kind, headers={'Content-Disposition': f'attachment; filename="{name}"',
                                                     'X-Content-Type-Options': 'nosniff'})


@bp.get('/<key>/diff')
def diff(key):
    history = catalog.history(key)
    if not history:
        abort(404)
    newest = history[0][0].version
    to_version = request.args.get('to', type=int) or newest
    from_version = request.args.get('from', type=int) or max(1, to_version - 1)
    try:
        result = versions.diff(key, from_version, to_version)
    except NotFound:
        abort(404)
    by_number = {v.version: v for v, _c in history}
    return render_template('modeler/diff.html', key=key, result=result, history=history,
                           old=by_number.get(from_version), new=by_number.get(to_version),
                           files=_file_changes(by_number.get(from_version), by_number.get(to_version)))


def _file_changes(old, new):
    """[(name, 'added' | 'removed' | 'changed' | 'same')] between two versions' files."""
    if old is None or new is None:
        return []
    before = {f.name: f.content for f in old.files}
    after = {f.name: f.content for f in new.files}
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            out.append((name, 'added'))
        elif name not in after:
            out.append((name, 'removed'))
        else:
            out.append((name, 'same' if before[name] == after[name] else 'changed'))
    return out


@bp.errorhandler(EngineError)
def _engine_error(e):
    from ..auth.error_pages import error_page
    from flask_babel import gettext
    if e.status == 403:
        return error_page(403, gettext('Your groups do not give you access to this page or action. If you think '
                                       'they should, ask an administrator.') + ' ' + e.message, e.code)
    return error_page(e.status, e.message, e.code)
