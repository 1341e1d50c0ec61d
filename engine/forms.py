"""JSON Schema forms of user tasks: loaded from the task's deployed version, validated on submit.

A file field is `{"type": "string", "format": "data-url"}` (rjsf's convention), or an array of
them. The process data never holds the bytes: the application stores the file and puts a
reference in its place, `{"attachment_id": 12, "filename": "scan.pdf", "size": 1234,
"content_type": "application/pdf"}`, and that is what such a field is validated as."""
import copy
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


FILE_FORMAT = 'data-url'
FILE_REFERENCE = {
    'type': 'object', 'required': ['attachment_id', 'filename'],
    'properties': {'attachment_id': {'type': 'integer'}, 'filename': {'type': 'string', 'minLength': 1},
                   'size': {'type': 'integer', 'minimum': 0}, 'content_type': {'type': 'string'}},
}
_SCHEMA_KEYS = ('title', 'description', 'default', 'readOnly')


def is_file(node):
    return isinstance(node, dict) and node.get('type') == 'string' and node.get('format') == FILE_FORMAT


def is_file_list(node):
    return isinstance(node, dict) and node.get('type') == 'array' and is_file(node.get('items'))


def with_file_references(schema):
    """The schema with every file field (and array of them) expecting file references."""
    if not isinstance(schema, dict):
        return schema
    if is_file(schema):
        return {**{k: schema[k] for k in _SCHEMA_KEYS if k in schema}, **copy.deepcopy(FILE_REFERENCE)}
    out = {}
    for key, value in schema.items():
        if key in ('properties', 'patternProperties', '$defs', 'definitions') and isinstance(value, dict):
            out[key] = {name: with_file_references(node) for name, node in value.items()}
        elif key in ('items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains'):
            out[key] = with_file_references(value)
        elif key in ('allOf', 'anyOf', 'oneOf', 'prefixItems') and isinstance(value, list):
            out[key] = [with_file_references(node) for node in value]
        else:
            out[key] = value
    return out


def has_files(schema):
    return with_file_references(schema) != schema


def map_files(schema, data, replace, path=''):
    """The form data with each file field's value v (each item of a list of files) replaced by
    replace(path, v); paths as the validation errors give them (`photos/1`)."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for key, node in ((schema or {}).get('properties') or {}).items():
        if key not in data or not isinstance(node, dict):
            continue
        here, value = f'{path}{key}', data[key]
        if is_file(node):
            out[key] = replace(here, value)
        elif is_file_list(node) and isinstance(value, list):
            out[key] = [replace(f'{here}/{i}', v) for i, v in enumerate(value)]
        elif node.get('type') == 'object':
            out[key] = map_files(node, value, replace, f'{here}/')
        elif node.get('type') == 'array' and isinstance(value, list) and isinstance(node.get('items'), dict):
            out[key] = [map_files(node['items'], v, replace, f'{here}/{i}/') for i, v in enumerate(value)]
    return out


def validator_for(schema):
    schema = with_file_references(schema)
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
