"""Creating users and checking their credentials."""
import hashlib
import re
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from engine.db import db
from engine.errors import Conflict, Invalid, NotFound
from .models import ApiToken, User

USERNAME = re.compile(r'^[A-Za-z0-9_.@-]{2,100}$')
EMAIL = re.compile(r'^[^@\s<>,]+@[^@\s<>,]+\.[^@\s<>,]+$')
GROUP = re.compile(r'^[A-Za-z0-9_. -]{1,100}$')


def create_user(username, password, groups=(), admin=False, display_name=None, email=None, locale=None):
    if not USERNAME.match(username or ''):
        raise Invalid(f'Username {username!r} is not allowed: use 2-100 letters, digits, "_", ".", "@" or "-".')
    if not password or len(password) < 8:
        raise Invalid('The password must have at least 8 characters.')
    groups = sorted({g.strip() for g in groups if g and g.strip()} | ({'admin'} if admin else set()))
    bad = [g for g in groups if not GROUP.match(g)]
    if bad:
        raise Invalid(f'Group names not allowed: {", ".join(bad)}.')
    if email is not None and (len(email) > 200 or not EMAIL.match(email)):
        raise Invalid(f'{email!r} is not an e-mail address.')
    if User.query.filter_by(username=username).first():
        raise Conflict(f'A user named {username!r} already exists.')
    user = User(username=username, password_hash=generate_password_hash(password),
                groups=groups, display_name=display_name or username, email=email, locale=locale)
    db.session.add(user)
    db.session.commit()
    return user


def get_user(username):
    user = User.query.filter_by(username=username).first()
    if not user:
        raise NotFound(f'No user named {username!r}.')
    return user


def check_password(username, password):
    user = User.query.filter_by(username=username, active=True).first()
    if user and check_password_hash(user.password_hash, password or ''):
        return user
    return None


def _digest(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(username):
    user = get_user(username)
    token = 'eoms_' + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(token)))
    db.session.commit()
    return token


def user_for_token(token):
    if not token:
        return None
    row = ApiToken.query.filter_by(token_hash=_digest(token), revoked_at=None).first()
    if row is None or not row.user.active:
        return None
    return row.user
