"""What the editors call while someone works (JSON in and out, CSRF token in the X-CSRFToken
header): validate, save a draft, publish, preview a form; and the operators and deployed processes
the properties panel offers."""
import json
from functools import wraps

from flask import jsonify, render_template, request, url_for
from flask_login import current_user

from engine.errors import EngineError
from ..auth.locale import language
from ..inbox.schema_form import DECISION, build_fields, is_approval, values_from_data
from . import access, bp, catalog, service
from .workspace import SOURCES, merged, open_copy


def json_errors(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except EngineError as e:
            return jsonify(e.to_dict()), e.status
    return wrapper


def _body():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise EngineError('Send a JSON object.', code='bad_request', status=400)
    return body


def _copy_and_files(key, body):
    source = body.get('source')
    copy = open_copy(key, current_user.username, source if source in SOURCES else None)
    return copy, merged(copy, body.get('files') or {})


@bp.post('/<key>/validate')
@json_errors
def validate(key):
    access.require_editor(current_user)
    copy, files = _copy_and_files(key, _body())
    return jsonify(service.validate(key, service.with_called_models(files)))


@bp.post('/<key>/draft')
@json_errors
def save_draft(key):
    body = _body()
    copy, files = _copy_and_files(key, body)
    scope = 'shared' if body.get('scope') == 'shared' else 'mine'
    draft = service.save_draft(current_user, copy, files, scope)
    result = service.validate(key, service.with_called_models(files))
    return jsonify({'saved': True, 'scope': scope, 'updated_at': draft.updated_at.isoformat(),
                    'validation': result})


@bp.post('/<key>/publish')
@json_errors
def publish(key):
    body = _body()
    copy, files = _copy_and_files(key, body)
    version, created = service.publish(current_user, copy, files, body.get('message'))
    return jsonify({'key': key, 'version': version.version, 'created': created, 'executable': version.executable,
                    'url': url_for('modeler.model', key=key)}), 201 if created else 200


@bp.post('/<key>/form-preview')
def form_preview(key):
    """The form as the task page would show it, from the JSON Schema and UI schema being edited."""
    body = request.get_json(silent=True) or {}
    errors = []
    try:
        schema = json.loads(body.get('schema') or '{}')
        ui = json.loads(body.get('ui') or '{}') if body.get('ui') else {}
        if not isinstance(schema, dict) or not isinstance(ui, dict):
            raise ValueError('a form file must hold a JSON object')
    except ValueError as e:
        return render_template('modeler/_form_preview.html', fields=[], approval=False, errors=[str(e)],
                               title=None), 200
    lang = language()
    approval = is_approval(schema)
    values = values_from_data(schema, {})
    fields = build_fields(schema, ui, values, {}, lang, skip=(DECISION,) if approval else ())
    title = schema.get(f'title_{lang}') if lang != 'en' else None
    return render_template('modeler/_form_preview.html', fields=fields, approval=approval, errors=errors,
                           title=title or schema.get('title'))


@bp.get('/-/operators')
def operators():
    return jsonify(catalog.operators())


@bp.get('/-/processes')
def processes():
    return jsonify(catalog.deployed_processes())
