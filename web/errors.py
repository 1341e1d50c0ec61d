"""Every error leaves as {"error": {"code", "message", "details"}}: JSON for the API, a plain page
otherwise; never a stack trace."""
import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError

log = logging.getLogger(__name__)

HTTP_CODES = {400: 'bad_request', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found',
              405: 'method_not_allowed', 409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type',
              422: 'validation_failed', 429: 'too_many_requests'}


def error_response(status, code, message, details=None):
    return jsonify({'error': {'code': code, 'message': message, 'details': details}}), status


def register(app):
    @app.errorhandler(EngineError)
    def engine_error(e):
        return error_response(e.status, e.code, e.message, e.details)

    @app.errorhandler(HTTPException)
    def http_error(e):
        message = e.description or e.name
        if e.code == 413:
            limit = app.config.get('MAX_CONTENT_LENGTH') or 0
            message = f'The upload is larger than the limit of {limit // (1024 * 1024) or limit} ' \
                      f'{"MB" if limit >= 1024 * 1024 else "bytes"}; split the bundle or raise EOMS_MAX_UPLOAD_BYTES.'
        return error_response(e.code, HTTP_CODES.get(e.code, 'http_error'), message)

    @app.errorhandler(Exception)
    def unexpected(e):
        log.exception('unhandled error on %s %s', request.method, request.path)
        return error_response(500, 'internal_error', 'Something went wrong on the server; it has been logged.')
