"""`email.send`: render a Jinja template and send it by SMTP (SMTP_* and MAIL_FROM settings).

With no SMTP_HOST (development), the message is written as an .eml file into
`<instance>/mail/`, the development outbox, and the result names the file.
The template runs in Jinja's sandbox and sees only the `context` it is given; an undefined name
is an error rather than a blank in a mail sent to a customer.
"""
import os
import re
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from . import OperatorError, Param, operator

SMTP_TIMEOUT = 30  # seconds for connecting and each SMTP command
_ENVIRONMENTS = {}


def _bad(message, code='bad_parameters'):
    return OperatorError(f'email.send: {message}', code=code, retry=False)


def recipients(to):
    """A list of addresses from a list or a comma-separated string; OperatorError when one is not valid."""
    if isinstance(to, str):
        items = [part for part in to.split(',')]
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
        name, address = parseaddr(item)
        if not re.match(r'^[^@\s<>]+@[^@\s<>]+$', address or ''):
            raise _bad(f'"{item}" is not an e-mail address')
        found.append(item)
    if not found:
        raise _bad('"to" names no recipient')
    return found


def render(template, context, html=False):
    """The template rendered in Jinja's sandbox with `context`; OperatorError (no retry) when it fails."""
    env = _ENVIRONMENTS.get(html)
    if env is None:
        env = _ENVIRONMENTS[html] = SandboxedEnvironment(autoescape=html, undefined=StrictUndefined)
    try:
        return env.from_string(template).render(**(context or {}))
    except Exception as error:  # syntax errors, undefined names, sandbox violations, 1/0 in an expression
        raise _bad(f'the template cannot be rendered: {type(error).__name__}: {error}', code='template_error')


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


@operator('email.send', 'Render a Jinja template with a context and send it by e-mail (SMTP from the settings; '
          'with no SMTP host, written to the development outbox instance/mail/).',
          params=[Param('to', 'any', 'Recipient address, a comma-separated string of them, or a list.'),
                  Param('subject', 'str', 'Subject line.'),
                  Param('template', 'str', 'Body: a Jinja template, rendered in a sandbox with `context`.'),
                  Param('context', 'dict', 'Names the template may use.', required=False, default=None),
                  Param('html', 'bool', 'Send the body as HTML (values are escaped) instead of plain text.',
                        required=False, default=False)],
          retries=3, backoff_seconds=5.0, timeout_seconds=90)
def send(to, subject, template, context=None, html=False):
    to = recipients(to)
    body = render(template, context, html)
    config = current_app.config
    message = build_message(config['MAIL_FROM'], to, subject, body, html)
    result = {'message_id': message['Message-ID'], 'to': to}
    if not config.get('SMTP_HOST'):
        result['path'] = _write_outbox(message)
        return result
    refused = _smtp_send(config, message, to)
    if refused:  # some were accepted: the mail went out, so no retry (it would send it twice)
        result['refused'] = {a: f'{c} {_text(t)}' for a, (c, t) in refused.items()}
    return result
