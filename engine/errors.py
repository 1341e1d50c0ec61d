"""One error type for the whole system: a stable snake_case code, a sentence, an HTTP status."""


class EngineError(Exception):
    status = 400
    code = 'bad_request'

    def __init__(self, message, code=None, status=None, details=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details

    def to_dict(self):
        return {'error': {'code': self.code, 'message': self.message, 'details': self.details}}


class NotFound(EngineError):
    status, code = 404, 'not_found'


class Forbidden(EngineError):
    status, code = 403, 'forbidden'


class Conflict(EngineError):
    status, code = 409, 'conflict'


class Invalid(EngineError):
    """Semantic validation failed: diagram problems, form data, unsafe XML."""
    status, code = 422, 'validation_failed'


class ScriptError(Exception):
    """A script, condition or expression broke a sandbox rule or failed; becomes an incident."""
