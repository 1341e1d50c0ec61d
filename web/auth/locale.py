"""The user's language (their setting, else the browser's) and how dates, numbers and money
look in it."""
from datetime import datetime, timezone

from babel.dates import format_skeleton
from babel.numbers import format_currency as babel_currency
from flask import current_app, request, session
from flask_babel import format_date, format_datetime, format_decimal, format_timedelta, get_locale
from flask_login import current_user

LANGUAGES = {'en': 'English', 'zh': '中文'}
HTML_LANG = {'en': 'en', 'zh': 'zh-CN'}


def normalize(value):
    """'zh-CN', 'zh_Hans' -> 'zh'; 'en-GB' -> 'en'; anything else -> None."""
    primary = (value or '').replace('_', '-').split('-')[0].lower()
    return primary if primary in LANGUAGES else None


def select_locale():
    if current_user and current_user.is_authenticated and normalize(current_user.locale):
        return normalize(current_user.locale)
    if normalize(session.get('locale')):
        return normalize(session['locale'])
    return request.accept_languages.best_match(list(LANGUAGES)) or 'en'


def language():
    return str(get_locale() or 'en').split('_')[0]


def _aware(value):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def money(value, currency=None):
    if value is None or value == '':
        return '—'
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return babel_currency(number, currency or current_app.config.get('DEFAULT_CURRENCY', 'CNY'),
                          locale=str(get_locale() or 'en'))


def number(value):
    if value is None or value == '':
        return '—'
    try:
        return format_decimal(value)
    except (TypeError, ValueError, ArithmeticError):
        return str(value)


def when(value, style='medium'):
    value = _aware(value)
    return format_datetime(value, style) if value else '—'


def day(value, style='medium'):
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value).date()
        except ValueError:
            return value
    return format_date(value, style) if value else '—'


def month(value):
    """'Nov 2026' / '2026年11月'."""
    return format_skeleton('yMMM', value, locale=str(get_locale() or 'en')) if value else '—'


def ago(value, now=None):
    value = _aware(value)
    if not value:
        return '—'
    return format_timedelta(value - (now or datetime.now(timezone.utc)), add_direction=True, threshold=1.1)


def register_filters(app):
    app.jinja_env.filters.update(money=money, number=number, when=when, day=day, month=month, ago=ago)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_language=language,
                                 utcnow=lambda: datetime.now(timezone.utc),
                                 html_lang=lambda: HTML_LANG.get(language(), 'en'))
