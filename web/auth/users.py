"""The signed-in person as the pages see them, and the roles their groups give them."""
from functools import wraps

from flask import abort, request
from flask_login import UserMixin, current_user

from accounts.models import User
from accounts.service import check_password
from engine.commands import Actor
from engine.db import db


class PageUser(UserMixin):
    """A detached copy of the account: pages never touch the ORM row after sign-in."""

    def __init__(self, user):
        self.id = user.id
        self.username = user.username
        self.display_name = user.display_name or user.username
        self.groups = tuple(sorted(user.groups or ()))
        self.locale = user.locale

    @property
    def is_admin(self):
        return 'admin' in self.groups

    def in_any(self, *groups):
        return self.is_admin or bool(set(groups) & set(self.groups))

    def actor(self):
        return Actor(self.username, self.groups, request.remote_addr)


def load_user(user_id):
    try:
        user = db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
    return PageUser(user) if user is not None and user.active else None


def authenticate(username, password):
    user = check_password((username or '').strip(), password or '')
    return PageUser(user) if user is not None else None


def set_locale(user_id, locale):
    user = db.session.get(User, user_id)
    if user is not None:
        user.locale = locale
        db.session.commit()


def display_names(usernames):
    """{username: display name} for the given usernames (unknown ones are left out)."""
    names = {u for u in usernames if u}
    if not names:
        return {}
    rows = db.session.execute(db.select(User.username, User.display_name).where(User.username.in_(names)))
    return {username: display or username for username, display in rows}


def admin_required(view):
    """Pages for members of the admin group only; everyone else gets the 403 page."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


def require_login():
    """before_request of the page blueprints: anonymous visitors go to the sign-in page (an htmx
    request is told to load it as a whole page)."""
    from flask import make_response, url_for
    from .extensions import login_manager
    if current_user.is_authenticated:
        return None
    if request.headers.get('HX-Request'):
        response = make_response('', 401)
        response.headers['HX-Redirect'] = url_for('auth.login')
        return response
    return login_manager.unauthorized()
