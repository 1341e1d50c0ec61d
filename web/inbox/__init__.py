"""The approver's pages: the inbox of ready tasks and the task page with its form."""
from flask import Blueprint

from ..auth.error_pages import attach
from ..auth.users import require_login

bp = Blueprint('inbox', __name__)
bp.before_request(require_login)
attach(bp)


@bp.record_once
def _register_filters(state):
    from .. import uploads
    from .names import register
    register(state.app)
    uploads.register(state.app)

from . import routes, task_routes  # noqa: E402,F401
