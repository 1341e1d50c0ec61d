"""`email.send`: render a mail and send it by SMTP (SMTP_* and MAIL_FROM settings), in each
recipient's language.

The mail is either inline (`subject` and a Jinja `template`, each a text or a text per language,
`{"en": ..., "zh": ...}`) or a shipped one (`mail`: tasks/mail_templates/<name>.txt, whose
`subject` and `body` blocks are translated through the catalog, web/translations). A recipient
is an address or the username of a user: a known user gets the mail in their own language,
everyone else in the `locale` parameter's, else MAIL_DEFAULT_LOCALE's; recipients in different
languages get one message per language.

With no SMTP_HOST (development), the message is written as an .eml file into
`<instance>/mail/`, the development outbox, and the result names the file.
Templates run in Jinja's sandbox and see only the `context` they are given (plus `locale`); an
undefined name is an error rather than a blank in a mail sent to a customer.
"""
import os
import re
import smtplib
import ssl
import time
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask import current_app
from flask_babel import force_locale, get_translations
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, or_, select

from accounts.models import User
from engine.db import db
from . import OperatorError, Param, operator

SMTP_TIMEOUT = 30  # seconds for connecting and each SMTP command
LANGUAGES = ('en', 'zh')  # the languages the catalog ships
MAIL_TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'mail_templates')
_MAIL_NAME = re.compile(r'^[a-z0-9_]{1,64}$')
_ADDRESS = re.compile(r'^[^@\s<>]+@[^@\s<>]+$')


def _bad(message, code='bad_parameters'):
    return OperatorError(f'email.send: {message}', code=code, retry=False)


def language(value):
    """'zh-CN', 'zh_Hans' -> 'zh'; 'en-GB' -> 'en'; anything else -> None."""
    primary = str(value or '').replace('_', '-').split('-')[0].lower()
    return primary if primary in LANGUAGES else None


# -- recipients -------------------------------------------------------------------------------

def _items(to):
    if isinstance(to, str):
        items = to.split(',')
    elif isinstance(to, (list, tuple)):
        items = list(to)
    else:
        raise _bad(f'"to" must be an address or a list of addresses, not {type(to).__name__}')
    found = []
    for item in items:
        if not isinstance(item, str):
            raise _bad(f'recipient {item!r} is not a string')
        item = item.strip()
        if not item:
            continue
        if '\r' in item or '\n' in item:
            raise _bad(f'recipient {item!r} contains a line break')
        found.append(item)
    if not found:
        raise _bad('"to" names no recipient')
    return found


def _users(items):
    """{lowercased username or e-mail: User} of the active users the recipients may name."""
    keys = {(parseaddr(i)[1] or i).lower() for i in items}
    rows = db.session.execute(select(User).where(User.active.is_(True), or_(
        func.lower(User.username).in_(keys), func.lower(User.email).in_(keys)))).scalars()
    found = {}
    for user in rows:
        for key in (user.username, user.email):
            if key and key.lower() in keys:
                found.setdefault(key.lower(), user)
    return found


def recipients(to):
    """[(recipient as given or as the user's address, the known user or None)]; OperatorError
    when one is neither an e-mail address nor a user with one."""
    items = _items(to)
    users = _users(items)
    found = []
    for item in items:
        address = parseaddr(item)[1]
        if '@' in item:
            if not _ADDRESS.match(address or ''):
                raise _bad(f'"{item}" is not an e-mail address')
            found.append((item, users.get(address.lower())))
            continue
        user = users.get(item.lower())
        if user is None:
            raise _bad(f'"{item}" is not an e-mail address nor the username of an active user')
        if not user.email:
            raise _bad(f'user "{user.username}" has no e-mail address: set one (flask users create --email)')
        found.append((formataddr((user.display_name or user.username, user.email)), user))
    return found


def by_language(found, fallback):
    """{language: [recipient]} in the order the languages first appear."""
    groups = {}
    for recipient, user in found:
        groups.setdefault(language(user.locale if user else None) or fallback, []).append(recipient)
    return groups


# -- rendering --------------------------------------------------------------------------------

def _environment(lang, html, shipped):
    env = SandboxedEnvironment(autoescape=html, undefined=StrictUndefined, extensions=['jinja2.ext.i18n'],
                               trim_blocks=shipped, lstrip_blocks=shipped)
    env.install_gettext_translations(get_translations(), newstyle=True)
    env.filters.update(
        money=lambda value, currency='CNY': format_currency(value, currency, locale=lang),
        number=lambda value: format_decimal(value, locale=lang),
        day=lambda value: format_date(value, 'long', locale=lang) if not isinstance(value, str)
        else format_date(_date(value), 'long', locale=lang))
    return env


def _date(text):
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f'{text!r} is not a date (YYYY-MM-DD)') from None


def variant(value, lang, name):
    """A text, or the one for this language from {"en": ..., "zh": ...} (else the default's, else the first)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        texts = {language(k): v for k, v in value.items() if language(k)}
        default = language(current_app.config.get('MAIL_DEFAULT_LOCALE'))
        return texts.get(lang) or texts.get(default) or next(iter(value.values()))
    raise _bad(f'"{name}" must be a text or texts by language like {{"en": "...", "zh": "..."}}')


def render(template, context, html=False, lang='en'):
    """The template rendered in Jinja's sandbox with `context`, its `_()` and trans blocks in `lang`;
    OperatorError (no retry) when it fails."""
    with force_locale(lang):
        try:
            env = _environment(lang, html, shipped=False)
            return env.from_string(template).render(**{'locale': lang, **(context or {})})
        except Exception as error:  # syntax errors, undefined names, sandbox violations, 1/0 in an expression
            raise _bad(f'the template cannot be rendered: {type(error).__name__}: {error}', code='template_error')


def shipped(name):
    if not isinstance(name, str) or not _MAIL_NAME.match(name):
        raise _bad(f'"mail" must name a shipped mail (letters, digits and "_"), not {name!r}')
    path = os.path.join(MAIL_TEMPLATES, f'{name}.txt')
    if not os.path.isfile(path):
        known = sorted(n[:-4] for n in os.listdir(MAIL_TEMPLATES) if n.endswith('.txt'))
        raise _bad(f'there is no shipped mail "{name}" (shipped: {", ".join(known)})')
    with open(path, encoding='utf-8') as f:
        return f.read()


def render_shipped(source, context, lang):
    """(subject, body) of a shipped mail in `lang`."""
    with force_locale(lang):
        try:
            template = _environment(lang, False, shipped=True).from_string(source)
            scope = template.new_context({'locale': lang, **(context or {})})
            subject = ''.join(template.blocks['subject'](scope))
            body = ''.join(template.blocks['body'](scope))
        except Exception as error:
            raise _bad(f'the mail cannot be rendered: {type(error).__name__}: {error}', code='template_error')
    return ' '.join(subject.split()), body.strip('\n') + '\n'


def build_message(sender, to, subject, body, html):
    message = EmailMessage()
    try:
        message['From'] = sender
        message['To'] = ', '.join(to)
        message['Subject'] = subject
    except (ValueError, TypeError) as error:  # a line break in a header, a malformed address
        raise _bad(f'cannot build the message headers: {error}')
    message['Date'] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition('@')[2] or 'localhost'
    message['Message-ID'] = make_msgid(domain=domain)
    message.set_content(body, subtype='html' if html else 'plain')
    return message


def _write_outbox(message):
    folder = os.path.join(current_app.instance_path, 'mail')
    os.makedirs(folder, exist_ok=True)
    stem = re.sub(r'[^A-Za-z0-9.-]+', '_', message['Message-ID'].strip('<>'))
    path = os.path.join(folder, f'{time.strftime("%Y%m%d-%H%M%S")}-{stem}.eml')
    with open(path, 'wb') as f:
        f.write(bytes(message))
    return path


def _smtp_send(config, message, to):
    """Refused recipients {address: (code, text)}; OperatorError for failures, retryable when temporary."""
    host, port = config['SMTP_HOST'], int(config['SMTP_PORT'])
    where = f'SMTP server {host}:{port}'
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            if config.get('SMTP_STARTTLS'):
                smtp.starttls(context=ssl.create_default_context())
            if config.get('SMTP_USER'):
                smtp.login(config['SMTP_USER'], config.get('SMTP_PASSWORD') or '')
            return smtp.send_message(message, to_addrs=[parseaddr(t)[1] for t in to])
    except smtplib.SMTPAuthenticationError as error:
        raise OperatorError(f'{where} refused the login of SMTP_USER: {error.smtp_code} {_text(error.smtp_error)}',
                            code='smtp_auth', retry=False) from None
    except smtplib.SMTPRecipientsRefused as error:
        refused = '; '.join(f'{a}: {c} {_text(t)}' for a, (c, t) in error.recipients.items())
        temporary = all(400 <= c < 500 for c, _ in error.recipients.values())
        raise OperatorError(f'{where} refused every recipient ({refused})', code='smtp_recipients_refused',
                            retry=temporary) from None
    except smtplib.SMTPResponseException as error:  # a 4xx is temporary, a 5xx permanent
        raise OperatorError(f'{where} answered {error.smtp_code} {_text(error.smtp_error)}',
                            code=f'smtp_{error.smtp_code}', retry=400 <= error.smtp_code < 500) from None
    except (smtplib.SMTPException, OSError) as error:  # cannot connect, disconnected, TLS failure
        raise OperatorError(f'{where}: {type(error).__name__}: {error}', code='smtp_unreachable') from None


def _text(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value)


@operator('email.send', 'Send an e-mail in each recipient\'s language: an inline Jinja template or a shipped mail '
          '(SMTP from the settings; with no SMTP host, written to the development outbox instance/mail/).',
          params=[Param('to', 'any', 'Recipients: addresses ("Name <address>" too) or usernames of users with an e-mail '
                                     'address; a list or a comma-separated string.'),
                  Param('subject', 'any', 'Subject line: a text, or texts by language {"en": ..., "zh": ...}. Needed '
                                          'unless "mail" is given.', required=False, default=None),
                  Param('template', 'any', 'Body: a Jinja template (or templates by language), rendered in a sandbox '
                                           'with `context` and `locale`; _() and {% trans %} use the catalog. Needed '
                                           'unless "mail" is given.', required=False, default=None),
                  Param('mail', 'str', 'A shipped mail instead of subject and template: the name of a file in '
                                       'tasks/mail_templates/ (order_confirmation, task_waiting).',
                        required=False, default=None),
                  Param('context', 'dict', 'Names the template may use.', required=False, default=None),
                  Param('html', 'bool', 'Send an inline body as HTML (values are escaped) instead of plain text.',
                        required=False, default=False),
                  Param('locale', 'str', 'Language (en or zh) for recipients who are not users with a language of '
                                         'their own; default: the EOMS_MAIL_LOCALE setting.',
                        required=False, default=None)],
          retries=3, backoff_seconds=5.0, timeout_seconds=90)
def send(to, subject=None, template=None, mail=None, context=None, html=False, locale=None):
    fallback = _fallback_language(locale)
    if mail is not None:
        if html:
            raise _bad('shipped mails are plain text: leave out "html" with "mail"')
        source = shipped(mail)
    elif subject is None or template is None:
        raise _bad('give "subject" and "template", or "mail" (a shipped mail)')
    groups = by_language(recipients(to), fallback)
    config = current_app.config
    messages = []
    for lang, group in groups.items():
        if mail is not None:
            title, body = render_shipped(source, context, lang)
        else:
            title, body = variant(subject, lang, 'subject'), render(variant(template, lang, 'template'), context,
                                                                    html, lang)
        messages.append((lang, group, build_message(config['MAIL_FROM'], group, title, body, html and mail is None)))
    return _deliver(config, messages)


def _fallback_language(locale):
    if locale is not None and language(locale) is None:
        raise _bad(f'"locale" must be one of {", ".join(LANGUAGES)}, not {locale!r}')
    return language(locale) or language(current_app.config.get('MAIL_DEFAULT_LOCALE')) or 'en'


def _deliver(config, messages):
    """Send (or write) every message. A failure before anything went out is raised, so the job
    is retried; after one went out, the rest are reported as refused (a retry would send the
    first one twice)."""
    sent, refused = [], {}
    for lang, group, message in messages:
        try:
            if not config.get('SMTP_HOST'):
                entry = {'path': _write_outbox(message)}
            else:
                entry = {}
                for address, (code, text) in (_smtp_send(config, message, group) or {}).items():
                    refused[address] = f'{code} {_text(text)}'
        except OperatorError as error:
            if not sent:
                raise
            refused.update({recipient: str(error) for recipient in group})
            continue
        sent.append({'message_id': message['Message-ID'], 'to': group, 'locale': lang, **entry})
    result = {'message_id': sent[0]['message_id'], 'to': [r for m in sent for r in m['to']],
              'locale': sent[0]['locale']}
    if 'path' in sent[0]:
        result['path'] = sent[0]['path']
    if len(sent) > 1:
        result['messages'] = sent
    if refused:
        result['refused'] = refused
    return result
