"""Server-side parts of the pages that need no browser: the sign-in rate limit, cookie settings,
the catalogs, form data conversion and the inbox queries."""
import os
import re
import uuid

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from werkzeug.datastructures import MultiDict

from engine.commands import Actor
from engine.inbox import InboxQuery, list_inbox, tab_counts
from tests.conftest import ROOT
from web.inbox.schema_form import (add_row, data_from_values, is_approval, remove_row, values_from_data,
                                   values_from_form)
from .orders import age, make_overdue, start_approval

TRANSLATIONS = os.path.join(ROOT, 'web', 'translations')


def _login(client, username, password):
    page = client.get('/auth/login').get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post('/auth/login', data={'csrf_token': token, 'username': username, 'password': password})


def test_failed_sign_ins_are_rate_limited_per_username(app, people):
    client = app.test_client()
    username = f'li.wei.{uuid.uuid4().hex[:6]}'  # counters live in Redis for the whole test session
    statuses = [_login(client, username, 'wrong-password').status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert 'Too many failed sign-in attempts' in _login(client, username, 'wrong').get_data(as_text=True)


class _Browserless:
    """Plain HTTP with cookies against the live server (the test client would share `g`
    between requests under the fixtures' app context)."""

    def __init__(self, base):
        import http.cookiejar
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  NoRedirect())

    def request(self, path, data=None):
        import urllib.error
        import urllib.parse
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + path, body)
        except urllib.error.HTTPError as e:
            response = e
        return response.status, response.headers, response.read().decode()

    def sign_in(self, username, password):
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.request('/auth/login')[2]).group(1)
        return self.request('/auth/login', {'csrf_token': token, 'username': username, 'password': password})


def test_a_good_password_is_not_counted(live_server, people):
    for _ in range(12):
        status, headers, _body = _Browserless(live_server).sign_in('li.wei', 'eoms-demo-2026')
        assert (status, headers['Location']) == (302, '/inbox')


def test_cookies_are_secure_outside_debug_and_tests():
    from web.auth.extensions import init_app
    production = Flask('production')
    production.config.update(SECRET_KEY='x', REDIS_URL='memory://')
    init_app(production)
    assert production.config['SESSION_COOKIE_SECURE'] is True
    assert production.config['SESSION_COOKIE_HTTPONLY'] is True
    assert production.config['SESSION_COOKIE_SAMESITE'] == 'Lax'


def test_the_api_keeps_bearer_tokens_without_csrf(api):
    assert api.get('/process-models').status == 200
    assert api.post('/process-instances', {'model': 'missing'}).status == 404  # not 400 for a CSRF token


def test_the_next_parameter_never_leaves_the_site(live_server, people):
    client = _Browserless(live_server)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.request('/auth/login?next=https://evil.example/')[2]).group(1)
    status, headers, _body = client.request('/auth/login', {'csrf_token': token, 'username': 'li.wei',
                                                            'password': 'eoms-demo-2026', 'next': '//evil.example/x'})
    assert (status, headers['Location']) == (302, '/inbox')
    assert client.request('/inbox')[0] == 200


def test_every_message_has_a_chinese_translation_and_the_mo_is_compiled():
    template = read_po(open(os.path.join(TRANSLATIONS, 'messages.pot'), 'rb'))
    po = read_po(open(os.path.join(TRANSLATIONS, 'zh', 'LC_MESSAGES', 'messages.po'), 'rb'))
    mo = read_mo(open(os.path.join(TRANSLATIONS, 'zh', 'LC_MESSAGES', 'messages.mo'), 'rb'))
    missing = [m.id for m in template if m.id and not (po.get(m.id) and po.get(m.id).string)]
    assert not missing, f'untranslated: {missing}'
    def text(message):
        return tuple(message.string) if isinstance(message.string, (list, tuple)) else message.string
    stale = [m.id for m in po if m.id and (mo.get(m.id) is None or text(mo.get(m.id)) != text(m))]
    assert not stale, f'run `pybabel compile -d web/translations`: {stale}'


INTAKE = {
    'type': 'object', 'required': ['title', 'line_items'],
    'properties': {
        'title': {'type': 'string'}, 'amount': {'type': 'number'}, 'days': {'type': 'integer'},
        'paid': {'type': 'boolean'}, 'accepted': {'type': 'boolean', 'oneOf': [{'const': True}, {'const': False}]},
        'line_items': {'type': 'array', 'minItems': 1, 'items': {'type': 'object', 'properties': {
            'description': {'type': 'string'}, 'quantity': {'type': 'number'}}}},
    },
}


def test_form_texts_become_typed_json_and_bad_numbers_stay_text():
    form = MultiDict({'title': ' Pump ', 'amount': '2400000', 'days': '30', 'accepted': 'false',
                      'line_items.__len': '2', 'line_items.0.description': 'Pump', 'line_items.0.quantity': '1.5',
                      'line_items.1.description': '', 'line_items.1.quantity': 'two', 'unknown': 'x'})
    values = values_from_form(INTAKE, form)
    assert 'unknown' not in values
    assert data_from_values(INTAKE, values) == {
        'title': 'Pump', 'amount': 2400000, 'days': 30, 'paid': False, 'accepted': False,
        'line_items': [{'description': 'Pump', 'quantity': 1.5}, {'quantity': 'two'}]}


def test_rows_are_added_and_removed_keeping_the_others():
    values = values_from_data(INTAKE, {'line_items': [{'description': 'a'}, {'description': 'b'},
                                                      {'description': 'c'}]})
    assert values['line_items.__len'] == '3'
    values = remove_row(INTAKE, values, 'line_items', 1)
    assert data_from_values(INTAKE, values)['line_items'] == [{'description': 'a'}, {'description': 'c'}]
    values = add_row(INTAKE, values, 'line_items')
    assert data_from_values(INTAKE, values)['line_items'] == [{'description': 'a'}, {'description': 'c'}, {}]


def test_approval_forms_are_recognised():
    import json
    schema = json.load(open(os.path.join(ROOT, 'forms', 'approval_decision.json')))
    assert is_approval(schema)
    assert not is_approval(INTAKE)


@pytest.fixture
def orders(people):
    ids = {'pump': start_approval('Pump station retrofit', 'Suzhou Water Works', 460000),
           'office': start_approval('Office fit-out', 'Hangzhou Lakeside Offices', 80000, urgency='urgent'),
           'grid': start_approval('Substation expansion', 'Jiangsu Grid Services', 2400000),
           'roof': start_approval('Warehouse roof repair', 'Ningbo Port Logistics', 150000)}
    age(ids['roof'], days=4)
    make_overdue(ids['grid'])
    return ids


PM = Actor('li.wei', ('project_manager',))


def _order_ids(q, actor=PM):
    rows, total = list_inbox(actor, q.clean(actor.is_admin))
    return [r.instance_id for r in rows], total


def test_the_inbox_sorts_by_due_date_age_amount_and_priority(orders):
    o = orders
    assert _order_ids(InboxQuery(sort='due'))[0][0] == o['grid']  # overdue first
    assert _order_ids(InboxQuery(sort='age'))[0][0] == o['roof']
    assert _order_ids(InboxQuery(sort='amount'))[0] == [o['grid'], o['pump'], o['roof'], o['office']]
    assert _order_ids(InboxQuery(sort='amount', descending=True))[0][0] == o['office']
    assert _order_ids(InboxQuery(sort='priority'))[0][0] == o['office']


def test_the_inbox_filters_and_pages(orders):
    assert _order_ids(InboxQuery(order=str(orders['pump']))) == ([orders['pump']], 1)
    assert _order_ids(InboxQuery(order='ROOF')) == ([orders['roof']], 1)
    assert _order_ids(InboxQuery(process='order_lifecycle')) == ([], 0)
    assert _order_ids(InboxQuery(lane='finance')) == ([], 0)
    first, total = _order_ids(InboxQuery(sort='amount', per_page=5, page=1))
    assert total == 4 and len(first) == 4
    page, total = list_inbox(PM, InboxQuery(sort='amount', page=2, per_page=5).clean(False))
    assert page == [] and total == 4


def test_tabs_count_what_each_person_may_see(orders):
    assert tab_counts(PM) == {'mine': 0, 'groups': 4}
    assert tab_counts(Actor('wang.fang', ('finance',))) == {'mine': 0, 'groups': 0}
    assert tab_counts(Actor('root', ('admin',)))['all'] == 4
    assert InboxQuery(tab='all').clean(is_admin=False).tab == 'groups'
