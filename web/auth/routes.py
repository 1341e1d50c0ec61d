from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from config import Config
from . import bp
from .error_pages import attach
from .extensions import limiter
from .forms import LoginForm
from .locale import normalize
from .users import authenticate, set_locale

attach(bp)

# Failed sign-ins only (answered 401) count towards these.


def _failed(response):
    return response.status_code == 401


def _username_key():
    return 'login-user:' + (request.form.get('username') or '').strip().lower()


def safe_next(target):
    """Only a path on this site: never an absolute URL someone slipped into ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith('/') or target.startswith('//') or '\\' in target:
        return None
    return target


@bp.route('/login', methods=['GET', 'POST'])
@limiter.limit(lambda: current_app.config.get('LOGIN_LIMIT_PER_ADDRESS', Config.LOGIN_LIMIT_PER_ADDRESS), methods=['POST'], deduct_when=_failed)
@limiter.limit(lambda: current_app.config.get('LOGIN_LIMIT_PER_USERNAME', Config.LOGIN_LIMIT_PER_USERNAME), key_func=_username_key, methods=['POST'],
               deduct_when=_failed)
def login():
    target = safe_next(request.values.get('next'))
    if current_user.is_authenticated and request.method == 'GET':
        return redirect(target or url_for('inbox.inbox'))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            locale = session.get('locale')
            session.clear()  # a fresh session for the signed-in user
            login_user(user)
            if locale and not user.locale:
                session['locale'] = locale
            return redirect(target or url_for('inbox.inbox'))
        return render_template('auth/login.html', form=form, next=target,
                               error=_('The username or password is not correct.')), 401
    status = 400 if request.method == 'POST' else 200
    return render_template('auth/login.html', form=form, next=target), status


@bp.errorhandler(429)
def too_many(e):
    form = LoginForm()
    return render_template('auth/login.html', form=form, next=safe_next(request.values.get('next')),
                           error=_('Too many failed sign-in attempts. Wait 15 minutes and try again.')), 429


@bp.post('/logout')
def logout():
    logout_user()
    session.clear()
    flash(_('You are signed out.'), 'info')
    return redirect(url_for('auth.login'))


@bp.post('/language')
def language():
    chosen = normalize(request.form.get('locale'))
    if chosen:
        if current_user.is_authenticated:
            set_locale(current_user.id, chosen)
        session['locale'] = chosen
    return redirect(safe_next(request.form.get('next')) or url_for('inbox.inbox'))
