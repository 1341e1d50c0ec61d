"""Sign-in for the pages: sessions (Flask-Login), CSRF on every form, rate-limited sign-in,
roles from groups, and the user's language."""
from flask import Blueprint

bp = Blueprint('auth', __name__, url_prefix='/auth')

from . import routes  # noqa: E402,F401
