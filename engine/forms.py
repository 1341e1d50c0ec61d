"""JSON Schema forms of user tasks: loaded from the task's deployed version, validated on submit."""
import json
from functools import lru_cache

import jsonschema

from .errors import Invalid
from .models import ModelFile


@lru_cache(maxsize=512)
def _load(version_id, name):
    row = ModelFile.query.filter_by(version_id=version_id, name=name).first()
    return json.loads(row.content.decode('utf-8-sig')) if row else None


def load_form(version_id, name):
    return _load(version_id, name) if name else None


def validator_for(schema):
    validator_cls = jsonschema.validators.validator_for(schema)
    return validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)


@lru_cache(maxsize=512)
def _validator(version_id, name):
    return validator_for(_load(version_id, name))


def field_errors(schema, data, validator=None):
    validator = validator or validator_for(schema)
    errors = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        path = '/'.join(str(p) for p in error.absolute_path)
        if error.validator == 'required':
            # jsonschema reports a missing field on its parent; name the field itself.
            missing = error.message.split("'")[1] if "'" in error.message else ''
            path = '/'.join(p for p in (path, missing) if p)
        errors.append({'path': path, 'message': error.message})
    return errors


def validate_submission(version_id, form_file, data, task_title):
    if not isinstance(data, dict):
        raise Invalid('"data" must be a JSON object.', code='invalid_form_data',
                      details=[{'path': '', 'message': 'must be an object'}])
    schema = load_form(version_id, form_file)
    if schema is None:
        return
    errors = field_errors(schema, data, _validator(version_id, form_file))
    if errors:
        raise Invalid(f'The data does not fit the form of "{task_title}": '
                      + '; '.join(f"{e['path'] or '(form)'}: {e['message']}" for e in errors[:5]),
                      code='invalid_form_data', details=errors)
