"""The Flask extensions behind the pages, and the one call that sets them up on an app."""
from flask_babel import Babel, lazy_gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from config import Config

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Counters live in the shared Redis (so every web worker counts the same attempts), in memory
# while Redis does not answer.
limiter = Limiter(key_func=get_remote_address, in_memory_fallback_enabled=True, swallow_errors=True,
                  storage_options={'socket_connect_timeout': 1, 'socket_timeout': 1})

def init_app(app):
    """Session cookie settings, CSRF (the bearer-token REST API is exempt), sign-in sessions,
    the sign-in rate limit and translations."""
    from .locale import register_filters, select_locale
    from .users import load_user

    secure = app.config.get('SECURE_COOKIES', 'auto')
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE='Lax',
                      SESSION_COOKIE_SECURE=(not (app.debug or app.testing)) if secure == 'auto'
                      else secure in ('1', 'true', 'yes'),
                      REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE='Lax')
    app.config.setdefault('RATELIMIT_STORAGE_URI', app.config.get('REDIS_URL') or 'memory://')
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = 'auth.login'
    login_manager.login_message = lazy_gettext('Please sign in to see this page.')
    login_manager.login_message_category = 'info'
    login_manager.session_protection = 'basic'
    login_manager.user_loader(load_user)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone=app.config.get('BABEL_DEFAULT_TIMEZONE', Config.BABEL_DEFAULT_TIMEZONE))
    register_filters(app)


def exempt_from_csrf(blueprint):
    csrf.exempt(blueprint)
