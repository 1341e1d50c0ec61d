"""Route metadata the OpenAPI document is generated from, and payload parsing against it."""
from flask import request
from marshmallow import ValidationError

from engine.errors import EngineError, Invalid


def doc(summary, body=None, query=None, response=None, status=200, many=False, multipart=None, errors=()):
    def mark(view):
        view._apidoc = dict(summary=summary, body=body, query=query, response=response, status=status,
                            many=many, multipart=multipart, errors=errors, description=view.__doc__)
        return view
    return mark


def _details(messages, prefix=''):
    out = []
    for key, value in messages.items():
        path = f'{prefix}{key}'
        if isinstance(value, dict):
            out += _details(value, path + '/')
        else:
            out += [{'path': path, 'message': m} for m in (value if isinstance(value, list) else [value])]
    return out


def load(schema_cls, source):
    try:
        return schema_cls().load(source)
    except ValidationError as e:
        details = _details(e.messages if isinstance(e.messages, dict) else {'': e.messages})
        raise Invalid('The request is not valid: ' + '; '.join(f"{d['path']}: {d['message']}" for d in details),
                      code='invalid_request', details=details)


def json_body(schema_cls):
    payload = request.get_json(silent=True)
    if payload is None:
        if request.content_length in (None, 0) and not request.data:
            payload = {}
        else:
            raise EngineError('The body is not valid JSON: send Content-Type: application/json and a JSON object.',
                              code='malformed_json', status=400)
    if not isinstance(payload, dict):
        raise EngineError('The body must be a JSON object.', code='malformed_json', status=400)
    return load(schema_cls, payload)


def query_args(schema_cls):
    return load(schema_cls, request.args.to_dict())
