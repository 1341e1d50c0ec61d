"""Form errors in the user's language, next to their fields. The engine decides whether a
submission is valid (it refuses it with the failing paths); this module says why, per field,
from the same schema."""
import jsonschema
from flask_babel import gettext as _

from engine.forms import FILE_REFERENCE, with_file_references


def _required_name(error):
    for name in error.validator_value or ():
        if f'{name!r} is a required property' == error.message:
            return name
    return None


def _is_file(node):
    return isinstance(node, dict) and (node.get('properties') or {}).keys() == FILE_REFERENCE['properties'].keys()


def _file_message(error):
    """What a file field needs, or None when the error is not about one."""
    kind, node = error.validator, error.schema
    if kind == 'required':
        name = _required_name(error)
        if _is_file(((node or {}).get('properties') or {}).get(name)):
            return _('Attach a file.')
    elif kind == 'minItems' and _is_file((node or {}).get('items')):
        return _('Attach at least %(n)s file(s).', n=error.validator_value)
    elif kind == 'maxItems' and _is_file((node or {}).get('items')):
        return _('Attach at most %(n)s file(s).', n=error.validator_value)
    elif _is_file(node):
        return _('This is not a file of this order; attach it again.')
    return None


def _message(error):
    kind, value = error.validator, error.validator_value
    if kind == 'required':
        return _('This field is required.')
    if kind == 'minLength':
        return _('This field is required.') if value == 1 else _('Enter at least %(n)s characters.', n=value)
    if kind == 'maxLength':
        return _('Enter at most %(n)s characters.', n=value)
    if kind == 'pattern':
        return _('This field cannot be blank.') if value == r'\S' else _('This value is not in the expected format.')
    if kind == 'minimum':
        return _('Enter %(n)s or more.', n=value)
    if kind == 'exclusiveMinimum':
        return _('Enter more than %(n)s.', n=value)
    if kind == 'maximum':
        return _('Enter %(n)s or less.', n=value)
    if kind == 'exclusiveMaximum':
        return _('Enter less than %(n)s.', n=value)
    if kind == 'type':
        return {'number': _('Enter a number.'), 'integer': _('Enter a whole number.')}.get(
            value if isinstance(value, str) else '', _('This value has the wrong type.'))
    if kind == 'format':
        return {'date': _('Enter a date as YYYY-MM-DD.'), 'email': _('Enter an e-mail address.')}.get(
            value, _('This value is not in the expected format.'))
    if kind in ('enum', 'const', 'oneOf', 'anyOf'):
        return _('Choose one of the options.')
    if kind == 'minItems':
        return _('Add at least %(n)s row(s).', n=value)
    if kind == 'maxItems':
        return _('Enter at most %(n)s rows.', n=value)
    if kind == 'additionalProperties':
        return _('The form has a field it does not expect.')
    return error.message


def localized_errors(schema, data):
    """{dotted field path: [message]}; '' holds errors of the form as a whole."""
    schema = with_file_references(schema)
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    found = {}
    for error in validator.iter_errors(data):
        parts = [str(p) for p in error.absolute_path]
        if error.validator == 'required':
            name = _required_name(error)
            if name is not None:
                parts.append(str(name))
        path = '.'.join(parts)
        message = _file_message(error) or _message(error)
        if message not in found.setdefault(path, []):
            found[path].append(message)
    return found


def from_engine(details):
    """{dotted path: [message]} from the engine's error details, for when the schema check here
    finds nothing (the engine had other reasons)."""
    found = {}
    for item in details or []:
        if isinstance(item, dict):
            path = str(item.get('path') or '').replace('/', '.')
            found.setdefault(path, []).append(item.get('message') or '')
    return found
