"""The email.send operator against a real SMTP server (aiosmtpd on 127.0.0.1), through the
development outbox, and from a diagram run by a real RQ worker."""
import email
import email.policy
import os
import shutil
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tasks.operators import REGISTRY, OperatorError, check_params, load_all
from tasks.redis_server import free_port
from tests.conftest import DATA
from tests.support.api import read_files
from tests.test_service_tasks import clean_queue, run_jobs

load_all()
OPERATOR = REGISTRY['email.send']


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; refuses recipients at @refused.test."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith('@refused.test'):
            return '550 5.1.1 no such mailbox'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.messages.append({'from': envelope.mail_from, 'to': list(envelope.rcpt_tos),
                              'message': email.message_from_bytes(envelope.content, policy=email.policy.default),
                              'tls': session.ssl is not None, 'authenticated': session.authenticated})
        return '250 Message accepted'


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b'eoms' and auth_data.password == b'mail-pw'
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on a free port; the app's SMTP settings point at it."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname='127.0.0.1', port=port)
    controller.start()
    for name, value in {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': port, 'SMTP_USER': '', 'SMTP_PASSWORD': '',
                        'SMTP_STARTTLS': False, 'MAIL_FROM': 'EOMS <eoms@factory.test>'}.items():
        monkeypatch.setitem(app.config, name, value)
    mailbox.port = port
    yield mailbox
    controller.stop()


def body(mail):
    return mail['message'].get_content().replace('\r\n', '\n')  # SMTP sends CRLF line ends


def send(app, **given):
    with app.app_context():
        return OPERATOR.function(**check_params(OPERATOR, given))


def failure(app, **given):
    with pytest.raises(OperatorError) as caught:
        send(app, **given)
    return caught.value


def test_sends_a_rendered_plain_text_mail(app, smtp):
    result = send(app, to='Li Wei <li.wei@customer.test>', subject='Order EO-5 shipped',
                  template='Hello {{ name }},\norder {{ order.no }} left on {{ day }}.',
                  context={'name': 'Li Wei', 'order': {'no': 'EO-5'}, 'day': '2026-11-21'})
    [mail] = smtp.messages
    assert result == {'message_id': mail['message']['Message-ID'], 'to': ['Li Wei <li.wei@customer.test>'],
                      'locale': 'en'}
    assert mail['from'] == 'eoms@factory.test' and mail['to'] == ['li.wei@customer.test']
    message = mail['message']
    assert message['Subject'] == 'Order EO-5 shipped' and message['From'] == 'EOMS <eoms@factory.test>'
    assert message.get_content_type() == 'text/plain'
    assert body(mail) == 'Hello Li Wei,\norder EO-5 left on 2026-11-21.\n'
    assert result['message_id'].endswith('@factory.test>') and message['Date']


def test_html_mail_escapes_values_and_takes_several_recipients(app, smtp):
    result = send(app, to=['a@customer.test', 'b@customer.test'], subject='Quote', html=True,
                  template='<p>Item: {{ item }}</p>', context={'item': '<script>alert(1)</script>'})
    assert result['to'] == ['a@customer.test', 'b@customer.test']
    [mail] = smtp.messages
    assert mail['to'] == ['a@customer.test', 'b@customer.test']
    assert mail['message'].get_content_type() == 'text/html'
    assert '&lt;script&gt;' in mail['message'].get_content() and '<script>' not in mail['message'].get_content()
    send(app, to='c@customer.test, d@customer.test', subject='Two', template='x')
    assert smtp.messages[1]['to'] == ['c@customer.test', 'd@customer.test']


@pytest.mark.filterwarnings('ignore:Requiring AUTH while not requiring TLS')
def test_logs_in_when_a_user_is_configured(app, monkeypatch):
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname='127.0.0.1', port=port, authenticator=authenticate,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    try:
        for name, value in {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': port, 'SMTP_USER': 'eoms',
                            'SMTP_PASSWORD': 'mail-pw', 'SMTP_STARTTLS': False}.items():
            monkeypatch.setitem(app.config, name, value)
        send(app, to='x@customer.test', subject='s', template='t')
        assert len(mailbox.messages) == 1 and mailbox.messages[0]['authenticated']
        monkeypatch.setitem(app.config, 'SMTP_PASSWORD', 'wrong')
        refused = failure(app, to='x@customer.test', subject='s', template='t')
        assert (refused.code, refused.retry) == ('smtp_auth', False)
        assert len(mailbox.messages) == 1
    finally:
        controller.stop()


@pytest.mark.skipif(not shutil.which('openssl'), reason='needs the openssl command for a test certificate')
def test_starttls_then_login(app, monkeypatch, tmp_path):
    import ssl
    cert, key = tmp_path / 'cert.pem', tmp_path / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', str(key), '-out',
                    str(cert), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname='127.0.0.1', port=port, tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_required=True)
    controller.start()
    try:
        monkeypatch.setenv('SSL_CERT_FILE', str(cert))  # the worker trusts the test certificate
        for name, value in {'SMTP_HOST': '127.0.0.1', 'SMTP_PORT': port, 'SMTP_USER': 'eoms',
                            'SMTP_PASSWORD': 'mail-pw', 'SMTP_STARTTLS': True}.items():
            monkeypatch.setitem(app.config, name, value)
        send(app, to='x@customer.test', subject='tls', template='secret terms')
        [mail] = mailbox.messages
        assert mail['tls'] and mail['authenticated'] and mail['message']['Subject'] == 'tls'
    finally:
        controller.stop()


def test_partly_refused_recipients_are_reported_wholly_refused_fail(app, smtp):
    result = send(app, to=['ok@customer.test', 'gone@refused.test'], subject='s', template='t')
    assert list(result['refused']) == ['gone@refused.test'] and '550' in result['refused']['gone@refused.test']
    assert smtp.messages[0]['to'] == ['ok@customer.test']
    refused = failure(app, to='gone@refused.test', subject='s', template='t')
    assert (refused.code, refused.retry) == ('smtp_recipients_refused', False)
    assert 'gone@refused.test' in str(refused)


def test_an_unreachable_server_is_retryable(app, monkeypatch):
    monkeypatch.setitem(app.config, 'SMTP_HOST', '127.0.0.1')
    monkeypatch.setitem(app.config, 'SMTP_PORT', free_port())
    down = failure(app, to='x@customer.test', subject='s', template='t')
    assert (down.code, down.retry) == ('smtp_unreachable', True)


@pytest.mark.parametrize('given, code, words', [
    ({'template': '{{ missing_name }}'}, 'template_error', "'missing_name' is undefined"),
    ({'template': '{% for x in %}'}, 'template_error', 'TemplateSyntaxError'),
    ({'template': "{{ ''.__class__.__mro__[1].__subclasses__() }}"}, 'template_error', 'SecurityError'),
    ({'template': '{{ lipsum.__globals__["os"] }}'}, 'template_error', 'unsafe'),
    ({'template': '{{ range(10**9)|list|length }}'}, 'template_error', 'MAX_RANGE'),
    ({'template': '{{ total / 0 }}', 'context': {'total': 1}}, 'template_error', 'ZeroDivisionError'),
    ({'to': 'not-an-address'}, 'bad_parameters', 'not an e-mail address'),
    ({'to': []}, 'bad_parameters', 'no recipient'),
    ({'to': 42}, 'bad_parameters', 'not int'),
    ({'to': 'a@b.test\r\nBcc: c@d.test'}, 'bad_parameters', 'line break'),
    ({'subject': 'Hi\r\nBcc: c@d.test'}, 'bad_parameters', 'headers'),
    ({'html': 'yes'}, 'bad_parameters', 'must be bool'),
])
def test_bad_input_fails_at_once_and_sends_nothing(app, smtp, given, code, words):
    error = failure(app, **{'to': 'x@customer.test', 'subject': 's', 'template': 't', **given})
    assert (error.code, error.retry) == (code, False)
    assert words in str(error)
    assert smtp.messages == []


def test_without_an_smtp_host_mail_goes_to_the_development_outbox(app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, 'SMTP_HOST', '')
    monkeypatch.setattr(app, 'instance_path', str(tmp_path))
    result = send(app, to='dev@customer.test', subject='Order EO-8', template='Total {{ total }} CNY',
                  context={'total': 120})
    assert os.path.dirname(result['path']) == str(tmp_path / 'mail') and result['path'].endswith('.eml')
    with open(result['path'], 'rb') as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    assert message['To'] == 'dev@customer.test' and message['Subject'] == 'Order EO-8'
    assert message['Message-ID'] == result['message_id']
    assert message.get_content().strip() == 'Total 120 CNY'


def test_a_diagram_mails_the_confirmation_through_a_worker(api, app, smtp):
    clean_queue(app)
    files = read_files(os.path.join(DATA, 'service_email', 'order_confirmation.bpmn'))
    assert api.deploy('order_confirmation', files).status == 201
    inst = api.start('order_confirmation', {
        'customer': 'Li Wei', 'customer_email': 'li.wei@customer.test', 'order_no': 'EO-31',
        'lines': [{'sku': 'FL-100', 'qty': 4}, {'sku': 'BO-12', 'qty': 40}]}).json
    assert inst['status'] == 'running' and smtp.messages == []
    run_jobs(app)
    inst = api.instance(inst['id'])
    assert [t['title'] for t in inst['ready_tasks']] == ['File the confirmation']
    [mail] = smtp.messages
    assert mail['to'] == ['li.wei@customer.test', 'sales@eoms.test']
    assert mail['message']['Subject'] == 'Order EO-31 confirmed'
    assert body(mail) == 'Dear Li Wei,\n\nwe confirm order EO-31:\n- 4 x FL-100\n- 40 x BO-12\n'
    sent = inst['data']['confirmation_mail']
    assert sent['message_id'] == mail['message']['Message-ID']
    assert sent['to'] == ['li.wei@customer.test', 'sales@eoms.test']


def test_a_diagram_whose_mail_server_is_down_gets_an_incident(api, app, monkeypatch):
    clean_queue(app)
    monkeypatch.setitem(app.config, 'SMTP_HOST', '127.0.0.1')
    monkeypatch.setitem(app.config, 'SMTP_PORT', free_port())
    files = read_files(os.path.join(DATA, 'service_email', 'order_confirmation.bpmn'))
    assert api.deploy('order_confirmation', files).status == 201
    inst = api.start('order_confirmation', {'customer': 'Li', 'customer_email': 'li@customer.test',
                                            'order_no': 'EO-32', 'lines': []}).json
    assert run_jobs(app) == [1]  # <spiffworkflow:retry retries="1" backoff_base="1">
    [incident] = api.instance(inst['id'])['incidents']
    assert incident['task_name'] == 'Mail the confirmation'
    assert 'after 2 attempt(s)' in incident['message'] and 'email.send' in incident['message']
