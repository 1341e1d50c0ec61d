"""`http.request`: call an HTTP endpoint (the ERP, a supplier's API) from a service task.

Secrets never appear in a diagram, its parameters or the result: `secret_headers` maps a header
to the NAME of a secret, whose value comes from the environment variable `EOMS_SECRET_<NAME>`
of the worker that runs the request.

Outcomes: a 2xx answer, after redirects (which never carry secret or credential headers to
another origin), returns {"status", "headers", "json" or "text"}; 4xx fail at once with the code
`http_<status>` (an error boundary can catch it); 5xx answers, timeouts and connection failures
fail with a code too (`http_<status>`, `http_timeout`, `http_unreachable`) but are retried first,
with the operator's backoff.
"""
import http.client
import json as jsonlib
import os
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message

from . import OperatorError, Param, operator

METHODS = ('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')
MAX_TIMEOUT = 120.0          # seconds; the RQ job gets the operator's timeout_seconds on top
MAX_BODY = 5 * 1024 * 1024   # bytes of an answer kept in the result
SECRET_PREFIX = 'EOMS_SECRET_'
_SECRET_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9_]*$')
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def secret(name):
    """The value of secret `name` from the environment; OperatorError (no retry) naming it when unset."""
    if not isinstance(name, str) or not _SECRET_NAME.match(name):
        raise OperatorError(f'secret name {name!r} is not valid: use letters, digits and underscores',
                            code='bad_secret_name', retry=False)
    variable = SECRET_PREFIX + name.upper()
    value = os.environ.get(variable)
    if not value:
        raise OperatorError(f'secret "{name}" is not configured on this worker (set the environment variable '
                            f'{variable})', code='missing_secret', retry=False)
    return value


def _bad(message, code='bad_parameters'):
    return OperatorError(f'http.request: {message}', code=code, retry=False)


def _request_headers(headers, secret_headers, has_body):
    """{name: value} to send and the names of the secret ones; the caller's names win over defaults,
    whatever their case."""
    final = {'user-agent': ('User-Agent', 'EOMS'),
             'accept': ('Accept', 'application/json, text/*;q=0.9, */*;q=0.5')}
    if has_body:
        final['content-type'] = ('Content-Type', 'application/json')
    given = [(n, v, False) for n, v in (headers or {}).items()]
    given += [(n, v, True) for n, v in (secret_headers or {}).items()]
    secret_names = set()
    for name, value, is_secret in given:
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise _bad(f'header name {name!r} is not valid')
        if is_secret:
            value = secret(value)
            secret_names.add(name.lower())
        value = str(value)
        if '\r' in value or '\n' in value:
            raise _bad(f'header "{name}" contains a line break')
        final[name.lower()] = (name, value)
    return dict(final.values()), secret_names


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects like urllib, but never carries secret or credential headers to another
    origin (scheme, host and port)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ('http', 'https'):
            raise OperatorError(f'{req.get_method()} {req.full_url} redirects to {newurl}, which is not http(s)',
                                code='http_bad_redirect', retry=False)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            secret_names = getattr(req, 'eoms_secret_headers', set())
            new.eoms_secret_headers = secret_names
            if _origin(newurl) != _origin(req.full_url):
                for name in list(new.headers):
                    if name.lower() in secret_names | {'authorization', 'cookie', 'proxy-authorization'}:
                        del new.headers[name]
        return new


def _origin(url):
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port or {'http': 80, 'https': 443}.get(parts.scheme.lower())


_OPENER = urllib.request.build_opener(_Redirects)


def _headers_dict(message):
    found = {}
    for name, value in message.items():
        found[name] = f'{found[name]}, {value}' if name in found else value
    return found


def _body(raw, message):
    """{"json": ...} for a JSON answer, else {"text": ...}."""
    if isinstance(message, Message):
        content_type = message.get_content_type()
        charset = message.get_content_charset() or 'utf-8'
    else:
        content_type, charset = 'text/plain', 'utf-8'
    try:
        text = raw.decode(charset, 'replace')
    except LookupError:  # an unknown charset name
        text = raw.decode('utf-8', 'replace')
    if content_type == 'application/json' or content_type.endswith('+json'):
        try:
            return {'json': jsonlib.loads(text) if text.strip() else None}
        except ValueError:
            pass
    return {'text': text}


def _excerpt(raw, limit=300):
    text = raw.decode('utf-8', 'replace').strip().replace('\n', ' ')
    return text[:limit] + ('...' if len(text) > limit else '')


@operator('http.request', 'Call an HTTP endpoint and return its status, headers and body (JSON when it answers '
          'JSON). 4xx answers fail at once with error code http_<status>; 5xx answers, timeouts and '
          'connection failures are retried first.',
          params=[Param('method', 'str', 'HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS.'),
                  Param('url', 'str', 'Absolute http:// or https:// URL.'),
                  Param('headers', 'dict', 'Request headers {name: value}; never put secrets here.',
                        required=False),
                  Param('json', 'any', 'Request body, sent as JSON.', required=False),
                  Param('timeout', 'float', f'Seconds to wait for the answer (at most {MAX_TIMEOUT:g}).',
                        required=False, default=10.0),
                  Param('secret_headers', 'dict', 'Headers whose values are secrets: {header name: secret NAME}; '
                        'the value is read on the worker from the environment variable EOMS_SECRET_<NAME>.',
                        required=False)],
          retries=3, backoff_seconds=2.0, timeout_seconds=int(MAX_TIMEOUT))
def http_request(method, url, headers=None, json=None, timeout=10.0, secret_headers=None):
    method = method.strip().upper()
    if method not in METHODS:
        raise _bad(f'method "{method}" is not one of {", ".join(METHODS)}')
    if not re.match(r'^https?://[^/\s]+', url or '', re.IGNORECASE):
        raise _bad(f'URL "{url}" is not an absolute http:// or https:// URL')
    if not 0 < timeout <= MAX_TIMEOUT:
        raise _bad(f'timeout must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {timeout}')
    data = None if json is None else jsonlib.dumps(json).encode('utf-8')
    final_headers, secret_names = _request_headers(headers, secret_headers, data is not None)
    request = urllib.request.Request(url, data=data, method=method, headers=final_headers)
    request.eoms_secret_headers = secret_names
    where = f'{method} {url}'
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            raw = response.read(MAX_BODY + 1)
            status, message = response.status, response.headers
    except urllib.error.HTTPError as answer:
        status = answer.code
        try:
            raw = answer.read(MAX_BODY)
        except Exception:  # noqa: BLE001 - the status says enough
            raw = b''
        text = f'{where} answered {status} {answer.reason}' + (f': {_excerpt(raw)}' if raw else '')
        # 5xx: the server may recover, try again; 4xx (and a 3xx urllib does not follow): it will not
        raise OperatorError(text, code=f'http_{status}', retry=status >= 500) from None
    except (TimeoutError, socket.timeout) as error:
        raise OperatorError(f'{where}: no answer within {timeout:g} s ({error})', code='http_timeout') from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise OperatorError(f'{where}: no answer within {timeout:g} s', code='http_timeout') from None
        raise OperatorError(f'{where}: cannot connect ({reason})', code='http_unreachable') from None
    except (OSError, http.client.HTTPException) as error:  # reset mid-answer, closed without answering
        raise OperatorError(f'{where}: connection failed ({type(error).__name__}: {error})',
                            code='http_unreachable') from None
    if len(raw) > MAX_BODY:
        raise OperatorError(f'{where}: the answer is larger than {MAX_BODY} bytes', code='http_too_large',
                            retry=False)
    return {'status': status, 'headers': _headers_dict(message), **_body(raw, message)}
