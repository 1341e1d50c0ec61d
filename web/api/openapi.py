"""The OpenAPI document, generated from the marshmallow schemas the routes declare."""
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, jsonify

from . import bp, schemas
from .docs import doc

_cache = {}


def _operation(view, rule_args):
    meta = view._apidoc
    op = {'summary': meta['summary'], 'responses': {}, 'security': [{'bearer': []}]}
    if meta['description']:
        op['description'] = meta['description'].strip()
    params = [{'in': 'path', 'name': a, 'required': True, 'schema': {'type': 'string'}} for a in rule_args]
    if meta['query']:
        params.append({'in': 'query', 'schema': meta['query']})
    if params:
        op['parameters'] = params
    if meta['body']:
        op['requestBody'] = {'required': True, 'content': {'application/json': {'schema': meta['body']}}}
    if meta['multipart']:
        op['requestBody'] = {'required': True, 'content': {'multipart/form-data': {'schema': meta['multipart']}}}
    if meta['response']:
        schema = {'type': 'array', 'items': meta['response']} if meta['many'] else meta['response']
        op['responses'][str(meta['status'])] = {'description': 'OK', 'content': {'application/json': {'schema': schema}}}
    for status in sorted(set(meta['errors']) | {401}):
        op['responses'][str(status)] = {'description': 'Error', 'content': {'application/json': {'schema': 'Error'}}}
    return op


def build(app):
    spec = APISpec(title='EOMS REST API', version='1.0.0', openapi_version='3.0.3', plugins=[MarshmallowPlugin()],
                   info={'description': 'Engineering-order management: process models, instances, human tasks.'})
    spec.components.security_scheme('bearer', {'type': 'http', 'scheme': 'bearer'})
    spec.components.schema('Error', schema=schemas.Error)
    paths = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        if not rule.rule.startswith('/api/v1') or not hasattr(view, '_apidoc'):
            continue
        path = re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', rule.rule)
        for method in sorted(rule.methods - {'HEAD', 'OPTIONS'}):
            paths.setdefault(path, {})[method.lower()] = _operation(view, list(rule.arguments))
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get('/openapi.json')
@doc('This OpenAPI document (no token needed)')
def openapi_document():
    if 'doc' not in _cache:
        _cache['doc'] = build(current_app)
    return jsonify(_cache['doc'])
