"""Order pages: the list (search, filters, export), the board, the order page and the web intake form."""
from flask import Blueprint

from ..auth.error_pages import attach
from ..auth.users import require_login

bp = Blueprint('orders_ui', __name__)
bp.before_request(require_login)
attach(bp)

from . import attachments, bulk_import, changes, routes, signature  # noqa: E402,F401
