"""Bearer tokens on every API path but the OpenAPI document."""
from flask import g, request

from accounts.service import user_for_token
from engine.commands import Actor
from engine.errors import EngineError
from . import bp

PUBLIC = {'api.openapi_document'}


def actor_for(user):
    return Actor(user.username, tuple(user.groups or ()), request.remote_addr)


@bp.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get('Authorization', '')
    scheme, _, token = header.partition(' ')
    if scheme.lower() != 'bearer' or not token.strip():
        raise EngineError('Send an API token: "Authorization: Bearer <token>" (create one with '
                          '`flask --app wsgi users token NAME`).', code='unauthorized', status=401)
    user = user_for_token(token.strip())
    if user is None:
        raise EngineError('The API token is unknown or revoked.', code='unauthorized', status=401)
    g.user = user
    g.actor = actor_for(user)
    return None
