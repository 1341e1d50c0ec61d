"""Following orders: the instance page (diagram, timeline, data, open tasks) and the operators'
list of instances with retry and terminate."""
from flask import Blueprint

from ..auth.error_pages import attach
from ..auth.users import require_login

bp = Blueprint('instances_ui', __name__)
bp.before_request(require_login)
attach(bp)

from . import routes  # noqa: E402,F401
