"""The process owners' workspace: the models list, the BPMN and DMN modelers, the form editor,
drafts, validation before publishing, version history and diffs, uploads from other modelers and
moving running instances to a newer version."""
from flask import Blueprint

from ..auth.error_pages import attach
from ..auth.users import require_login

bp = Blueprint('modeler', __name__, url_prefix='/models')
bp.before_request(require_login)
attach(bp)

from . import actions, moves, routes  # noqa: E402,F401
