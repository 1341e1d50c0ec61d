"""Errors on the pages leave as a plain page in the user's language, never a stack trace or
JSON. Attached to each page blueprint (the REST API keeps its JSON errors)."""
from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import EngineError


def _titles():
    return {400: _('The request could not be understood'), 403: _('You may not open this page'),
            404: _('Not found'), 405: _('Not allowed'), 409: _('Already done'),
            422: _('Please check what you entered'), 429: _('Too many attempts')}


def _messages():
    return {403: _('Your groups do not give you access to this page or action. If you think they '
                   'should, ask an administrator.'),
            404: _('There is nothing at this address. It may have been removed, or the link is wrong.'),
            429: _('Too many requests in a short time. Wait a few minutes and try again.')}


def error_page(status, message=None, code=None):
    title = _titles().get(status, _('Something went wrong'))
    text = message or _messages().get(status) or title
    if request.headers.get('HX-Request'):
        # htmx puts the message above the page instead of where the answer was going.
        body = render_template('errors/fragment.html', status=status, title=title, message=text, code=code)
        return body, status, {'HX-Retarget': '#htmx-errors', 'HX-Reswap': 'innerHTML'}
    return render_template('errors/page.html', status=status, title=title, message=text, code=code), status


def attach(bp):
    @bp.errorhandler(CSRFError)
    def csrf_error(e):
        return error_page(400, _('The form expired or was sent from another page. Go back, reload the '
                                 'page and try again.'), 'csrf_failed')

    @bp.errorhandler(EngineError)
    def engine_error(e):
        message = _messages().get(e.status) if e.status == 403 else e.message
        return error_page(e.status, message, e.code)

    @bp.errorhandler(HTTPException)
    def http_error(e):
        return error_page(e.code or 500, _messages().get(e.code), None)
