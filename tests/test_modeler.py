"""The process owners' workspace through its pages and JSON actions: who may do what, validation
before publishing, drafts, uploads from other modelers, history, diffs and moving instances."""
import io
import json
import os
import re

import pytest

from tests.conftest import DATA
from tests.support.api import shipped_bundle, wipe_tables

MODELER = os.path.join(DATA, 'modeler')
MIGRATION = os.path.join(DATA, 'migration')
PASSWORD = 'password-123'


class Page:
    """A signed-in browser stand-in: cookies, the CSRF token, JSON actions. Requests run outside
    any app context, so each gets its own `g` (and its own signed-in user)."""

    def __init__(self, app, username, groups):
        from accounts.service import create_user
        with app.app_context():
            create_user(username, PASSWORD, groups)
        self.client = app.test_client()
        self.username = username
        login = self.client.get('/auth/login').get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        answer = self.client.post('/auth/login', data={'csrf_token': token, 'username': username,
                                                       'password': PASSWORD})
        assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
        page = self.client.get('/models/').get_data(as_text=True)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def form(self, path, data, **kwargs):
        return self.client.post(path, data={'csrf_token': self.token, **data}, **kwargs)

    def action(self, path, body):
        answer = self.client.post(path, json=body, headers={'X-CSRFToken': self.token})
        return answer.status_code, answer.get_json(silent=True)

    def upload(self, files, mode='run', key='', message=''):
        data = {'csrf_token': self.token, 'mode': mode, 'key': key, 'message': message,
                'files': [(io.BytesIO(content), name) for name, content in files.items()]}
        return self.client.post('/models/upload', data=data, content_type='multipart/form-data')


@pytest.fixture
def clean(app):
    with app.app_context():
        wipe_tables()
    yield app
    with app.app_context():
        wipe_tables()


@pytest.fixture
def approval(clean):
    from engine import deployments
    with clean.app_context():
        deployments.deploy('order_approval', shipped_bundle('order_approval.bpmn'), actor='tests', message='shipped')
    return clean


def versions_of(app, key):
    from engine.models import ModelVersion
    with app.app_context():
        return [(v.version, v.created_by, v.message, v.executable) for v in
                ModelVersion.query.filter_by(model_key=key).order_by(ModelVersion.version)]


def text(path):
    return open(path, encoding='utf-8').read()


def test_everyone_signed_in_sees_the_models_and_their_history(approval):
    viewer = Page(approval, 'li.wei', ['project_manager'])
    listing = viewer.get('/models/').get_data(as_text=True)
    assert 'order_approval' in listing and 'v1' in listing and 'tests' in listing
    assert 'Create from a blank diagram' not in listing and 'Upload and publish' not in listing
    page = viewer.get('/models/order_approval').get_data(as_text=True)
    assert 'approval_levels.dmn' in page and 'shipped' in page
    download = viewer.get('/models/order_approval/versions/1/files/approval_levels.dmn')
    assert download.status_code == 200 and b'approval_levels' in download.data
    assert 'attachment' in download.headers['Content-Disposition']
    editor = viewer.get('/models/order_approval/edit/order_approval.bpmn').get_data(as_text=True)
    assert 'id="read-only"' in editor and 'id="publish-button"' not in editor
    assert viewer.get('/models/nope').status_code == 404
    assert Page(approval, 'anon-check', []).get('/models/order_approval/versions/1/files/x.bpmn').status_code == 404


def test_only_editors_change_models(approval):
    viewer = Page(approval, 'li.wei', ['project_manager'])
    dmn = text(os.path.join('bpmn', 'approval_levels.dmn')).replace('&gt; 1000000', '&gt; 500000')
    status, body = viewer.action('/models/order_approval/publish', {'files': {'approval_levels.dmn': dmn},
                                                                    'message': 'lower finance threshold'})
    assert status == 403 and body['error']['code'] == 'not_an_editor'
    assert viewer.action('/models/order_approval/draft', {'files': {}})[0] == 403
    assert viewer.form('/models/new', {'key': 'mine'}).status_code == 403
    assert viewer.upload({'x.bpmn': b'<x/>'}).status_code == 403
    assert viewer.get('/models/order_approval/migrations').status_code == 403
    assert versions_of(approval, 'order_approval') == [(1, 'tests', 'shipped', True)]


def test_an_analyst_publishes_decision_tables_and_forms_but_not_diagrams(approval):
    analyst = Page(approval, 'an.na', ['analyst'])
    diagram = text(os.path.join('bpmn', 'order_approval.bpmn')).replace('name="Finance approval"',
                                                                        'name="Finance sign-off"')
    status, body = analyst.action('/models/order_approval/publish', {'files': {'order_approval.bpmn': diagram},
                                                                     'message': 'rename'})
    assert status == 403, body
    assert body['error']['code'] == 'diagram_change_not_allowed' and 'order_approval.bpmn' in body['error']['message']
    assert analyst.action('/models/order_approval/draft', {'files': {'order_approval.bpmn': diagram}})[0] == 403
    assert analyst.form('/models/new', {'key': 'analyst_model'}).status_code == 403

    dmn = text(os.path.join('bpmn', 'approval_levels.dmn')).replace('&gt; 1000000</text>', '&gt; 500000</text>')
    dmn = dmn.replace('100000 &lt; ? &lt;= 1000000', '100000 &lt; ? &lt;= 500000')
    status, body = analyst.action('/models/order_approval/publish', {'files': {'approval_levels.dmn': dmn},
                                                                     'message': 'Finance from 500,000 CNY'})
    assert status == 201, body
    assert body['version'] == 2 and body['executable'] is True
    form = json.loads(text(os.path.join('forms', 'approval_decision.json')))
    form['properties']['comment']['title'] = 'Comment for the requester'
    status, body = analyst.action('/models/order_approval/publish', {
        'files': {'approval_decision.json': json.dumps(form, indent=2)}, 'message': 'clearer comment label'})
    assert status == 201 and body['version'] == 3
    assert versions_of(approval, 'order_approval')[1:] == [(2, 'an.na', 'Finance from 500,000 CNY', True),
                                                          (3, 'an.na', 'clearer comment label', True)]


def test_an_invalid_diagram_lists_each_problem_and_publishes_nothing(clean):
    owner = Page(clean, 'po', ['process_owner'])
    answer = owner.form('/models/new', {'key': 'quote_check', 'name': 'Quote check'})
    assert answer.status_code == 302 and '/models/quote_check/edit/quote_check.bpmn' in answer.headers['Location']
    bad = text(os.path.join(MODELER, 'invalid_gateway_and_service.bpmn'))
    status, body = owner.action('/models/quote_check/validate', {'files': {'quote_check.bpmn': bad}})
    assert status == 200 and body['ok'] is False
    assert {p['element_id'] for p in body['problems']} == {'gw', 'svc'}
    assert all(p['file'] == 'quote_check.bpmn' for p in body['problems'])
    status, body = owner.action('/models/quote_check/draft', {'files': {'quote_check.bpmn': bad}})
    assert status == 200 and body['saved'] is True and len(body['validation']['problems']) == 2
    status, body = owner.action('/models/quote_check/publish', {'files': {}, 'message': 'first try'})
    assert status == 422 and body['error']['code'] == 'invalid_model'
    assert {p['element_id'] for p in body['error']['details']} == {'gw', 'svc'}
    assert versions_of(clean, 'quote_check') == []
    status, body = owner.action('/models/quote_check/publish', {'files': {}, 'message': ''})
    assert status == 422 and body['error']['code'] == 'message_required'


def test_a_new_model_from_a_blank_diagram_is_published_and_its_draft_dropped(clean):
    from web.modeler import drafts
    owner = Page(clean, 'po', ['process_owner'])
    owner.form('/models/new', {'key': 'site_visit', 'name': 'Site visit'})
    editor = owner.get('/models/site_visit/edit/site_visit.bpmn').get_data(as_text=True)
    assert 'id="publish-button"' in editor and 'site_visit_start' in editor
    status, body = owner.action('/models/site_visit/publish', {'files': {}, 'message': 'first version',
                                                               'source': 'mine'})
    assert status == 201, body
    assert versions_of(clean, 'site_visit') == [(1, 'po', 'first version', True)]
    with clean.app_context():
        assert drafts.get('site_visit', 'po') is None
    assert 'site_visit' in owner.get('/models/').get_data(as_text=True)


def test_drafts_are_personal_or_shared(approval):
    first, second = Page(approval, 'po1', ['process_owner']), Page(approval, 'po2', ['process_owner'])
    diagram = text(os.path.join('bpmn', 'order_approval.bpmn')).replace('name="Finance approval"',
                                                                        'name="Finance sign-off"')
    assert first.action('/models/order_approval/draft', {'files': {'order_approval.bpmn': diagram},
                                                         'scope': 'mine'})[0] == 200
    assert 'Finance sign-off' in first.get('/models/order_approval/edit/order_approval.bpmn').get_data(as_text=True)
    assert 'Finance sign-off' not in second.get('/models/order_approval/edit/order_approval.bpmn').get_data(as_text=True)
    assert first.action('/models/order_approval/draft', {'files': {'order_approval.bpmn': diagram},
                                                         'scope': 'shared'})[0] == 200
    shared = second.get('/models/order_approval/edit/order_approval.bpmn').get_data(as_text=True)
    assert 'Finance sign-off' in shared and 'shared draft' in shared
    assert first.form('/models/order_approval/drafts/discard', {'scope': 'mine'}).status_code == 302
    assert versions_of(approval, 'order_approval') == [(1, 'tests', 'shipped', True)]
    status, body = second.action('/models/order_approval/publish', {'files': {}, 'source': 'shared',
                                                                    'message': 'rename finance task'})
    assert status == 201 and body['version'] == 2
    from web.modeler import drafts
    with approval.app_context():
        assert drafts.visible('order_approval', 'po1') == []  # the shared draft became version 2
    assert 'Finance sign-off' in first.get('/models/order_approval/edit/order_approval.bpmn').get_data(as_text=True)


def test_a_camunda_diagram_that_would_run_is_refused_naming_each_element(clean):
    owner = Page(clean, 'po', ['process_owner'])
    content = open(os.path.join(MODELER, 'camunda_executable.bpmn'), 'rb').read()
    answer = owner.upload({'invoice_check.bpmn': content})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for element in ('post_to_erp', 'approve_invoice', 'large'):
        assert f'data-element="{element}"' in page
    assert 'camunda:class' in page and 'JUEL/FEEL' in page
    assert versions_of(clean, 'invoice_check') == []

    answer = owner.upload({'invoice_check.bpmn': content}, mode='view', message='for the handbook')
    assert answer.status_code == 302
    assert versions_of(clean, 'invoice_check') == [(1, 'po', 'for the handbook', False)]
    page = owner.get('/models/invoice_check').get_data(as_text=True)
    assert 'id="not-executable"' in page and 'Published &#34;invoice_check&#34; version 1 for viewing only' in page


def test_a_descriptive_diagram_is_stored_and_says_it_is_not_executable(clean):
    owner = Page(clean, 'po', ['process_owner'])
    content = open(os.path.join(DATA, 'bad_uploads', 'descriptive.bpmn'), 'rb').read()
    answer = owner.upload({'descriptive.bpmn': content}, key='handbook')
    assert answer.status_code == 302
    assert versions_of(clean, 'handbook')[0][3] is False
    assert 'for viewing only' in owner.get('/models/handbook').get_data(as_text=True)


def test_a_form_preview_uses_the_task_page_macros(approval):
    analyst = Page(approval, 'an.na', ['analyst'])
    schema = {'type': 'object', 'required': ['reason'], 'properties': {
        'reason': {'type': 'string', 'title': 'Reason', 'title_zh': '原因'},
        'kind': {'type': 'string', 'title': 'Kind', 'enum': ['a', 'b']}}}
    answer = analyst.client.post('/models/order_approval/form-preview', json={'schema': json.dumps(schema)},
                                 headers={'X-CSRFToken': analyst.token})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'id="f-reason"' in html and 'Reason' in html and '<select id="f-kind"' in html
    assert 'aria-required="true"' in html
    broken = analyst.client.post('/models/order_approval/form-preview', json={'schema': '{"type": '},
                                 headers={'X-CSRFToken': analyst.token}).get_data(as_text=True)
    assert 'error-summary' in broken


def test_history_and_diff_pages(clean):
    owner = Page(clean, 'po', ['process_owner'])
    for name in ('v1.bpmn', 'v2_safe.bpmn'):
        owner.upload({'site_survey.bpmn': open(os.path.join(MIGRATION, name), 'rb').read()}, key='survey',
                     message=f'from {name}')
    page = owner.get('/models/survey').get_data(as_text=True)
    assert 'from v1.bpmn' in page and 'from v2_safe.bpmn' in page and 'data-version="2"' in page
    diff = owner.get('/models/survey/diff?from=1&to=2').get_data(as_text=True)
    assert 'class="diff-added" data-element="sign"' in diff
    assert 'class="diff-changed" data-element="report"' in diff
    assert 'site_survey.bpmn: changed' in diff
    assert owner.get('/models/survey/diff?from=1&to=7').status_code == 404


def test_moving_instances_safe_one_by_one_unsafe_refused_with_the_reason(clean):
    from engine import commands
    from engine.commands import Actor
    from engine.models import AuditEvent, ProcessInstance
    owner = Page(clean, 'po', ['process_owner'])
    owner.upload({'site_survey.bpmn': open(os.path.join(MIGRATION, 'v1.bpmn'), 'rb').read()}, key='survey')
    with clean.app_context():
        waiting = commands.start('survey', Actor('po', ('process_owner',))).id
    owner.upload({'site_survey.bpmn': open(os.path.join(MIGRATION, 'v2_safe.bpmn'), 'rb').read()}, key='survey')
    owner.upload({'site_survey.bpmn': open(os.path.join(MIGRATION, 'v3_unsafe.bpmn'), 'rb').read()}, key='survey')

    unsafe = owner.get('/models/survey/migrations?from=1&to=3').get_data(as_text=True)
    assert f'data-instance="{waiting}" class="cannot-move"' in unsafe and 'Measure site' in unsafe
    assert 'id="move-all"' not in unsafe
    answer = owner.form('/models/survey/migrations', {'from': 1, 'to': 3, 'instance_id': waiting},
                        follow_redirects=True)
    assert 'was not moved' in answer.get_data(as_text=True) and 'Measure site' in answer.get_data(as_text=True)

    safe = owner.get('/models/survey/migrations?from=1&to=2').get_data(as_text=True)
    assert f'data-instance="{waiting}" class="can-move"' in safe
    answer = owner.form('/models/survey/migrations', {'from': 1, 'to': 2}, follow_redirects=True)
    assert 'Moved 1 instance(s) to version 2' in answer.get_data(as_text=True)
    with clean.app_context():
        from engine.db import db
        assert db.session.get(ProcessInstance, waiting).version == 2
        event = AuditEvent.query.filter_by(instance_id=waiting, kind='migrated').one()
        assert event.actor == 'po' and event.detail['to_version'] == 2


def test_a_call_activity_may_call_a_deployed_process(approval):
    owner = Page(approval, 'po', ['process_owner'])
    owner.form('/models/new', {'key': 'quick_order', 'name': 'Quick order'})
    diagram = text(os.path.join(MODELER, 'calls_order_approval.bpmn'))
    status, body = owner.action('/models/quick_order/publish', {'files': {'quick_order.bpmn': diagram},
                                                                'message': 'calls the approval'})
    assert status == 201, body
    from engine import deployments
    with approval.app_context():
        files = [f.name for f in deployments.latest('quick_order').files]
    assert 'order_approval.bpmn' in files and 'approval_levels.dmn' in files


def test_a_known_operator_without_its_required_parameters_is_refused(clean):
    owner = Page(clean, 'po', ['process_owner'])
    owner.form('/models/new', {'key': 'erp_ping'})
    diagram = text(os.path.join(MODELER, 'invalid_gateway_and_service.bpmn')).replace(
        '<bpmn:serviceTask id="svc" name="Call ERP">',
        '<bpmn:serviceTask id="svc" name="Call ERP"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="http.request"><spiffworkflow:parameters>'
        '<spiffworkflow:parameter id="method" type="str" value="&quot;GET&quot;" />'
        '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>')
    status, body = owner.action('/models/erp_ping/validate', {'files': {'erp_ping.bpmn': diagram}})
    svc = [p['message'] for p in body['problems'] if p['element_id'] == 'svc']
    assert svc == ['Service task "Call ERP" (svc) calls "http.request" without its required parameter(s) url (str).']


def test_the_published_version_opened_beside_a_draft_is_what_gets_published(approval):
    owner = Page(approval, 'po', ['process_owner'])
    dmn = text(os.path.join('bpmn', 'approval_levels.dmn'))
    assert owner.action('/models/order_approval/draft', {'files': {'approval_levels.dmn': dmn.replace(
        '&gt; 1000000</text>', '&gt; 2000000</text>')}})[0] == 200
    page = owner.get('/models/order_approval/edit/approval_levels.dmn?source=version').get_data(as_text=True)
    assert '"source": "version"' in page
    form = json.loads(text(os.path.join('forms', 'revise_order.json')))
    form['title'] = 'Revise the order'
    status, body = owner.action('/models/order_approval/publish', {
        'files': {'revise_order.json': json.dumps(form)}, 'message': 'title', 'source': 'version'})
    assert status == 201
    from engine import deployments
    with approval.app_context():
        published = deployments.file_content(deployments.latest('order_approval'), 'approval_levels.dmn').decode()
    assert '2000000' not in published   # the draft's change stays in the draft
    assert len(owner.client.get('/models/order_approval?source=mine').get_data(as_text=True)) > 0


def test_a_draft_published_after_a_newer_version_keeps_that_version_s_changes(approval):
    owner, analyst = Page(approval, 'po', ['process_owner']), Page(approval, 'an.na', ['analyst'])
    diagram = text(os.path.join('bpmn', 'order_approval.bpmn')).replace('name="Finance approval"',
                                                                        'name="Finance sign-off"')
    assert owner.action('/models/order_approval/draft', {'files': {'order_approval.bpmn': diagram}})[0] == 200
    dmn = text(os.path.join('bpmn', 'approval_levels.dmn')).replace('&gt; 1000000</text>', '&gt; 500000</text>')
    assert analyst.action('/models/order_approval/publish', {'files': {'approval_levels.dmn': dmn},
                                                             'message': 'threshold'})[0] == 201
    status, body = owner.action('/models/order_approval/publish', {'files': {}, 'message': 'rename'})
    assert status == 201 and body['version'] == 3, body
    from engine import deployments
    with approval.app_context():
        v3 = deployments.latest('order_approval')
        assert b'Finance sign-off' in deployments.file_content(v3, 'order_approval.bpmn')
        assert b'&gt; 500000</text>' in deployments.file_content(v3, 'approval_levels.dmn')   # not undone

    # Both sides changed the decision table: refused, nothing published.
    assert owner.action('/models/order_approval/draft', {'files': {'approval_levels.dmn': dmn.replace(
        'Approval levels', 'Approval levels (draft)')}})[0] == 200
    assert analyst.action('/models/order_approval/publish', {'files': {'approval_levels.dmn': dmn.replace(
        '&gt; 500000</text>', '&gt; 600000</text>')}, 'message': 'again'})[0] == 201
    status, body = owner.action('/models/order_approval/publish', {'files': {}, 'message': 'clash'})
    assert status == 409 and body['error']['code'] == 'draft_outdated'
    assert 'approval_levels.dmn' in body['error']['message']
    assert versions_of(approval, 'order_approval')[-1][0] == 4


def test_a_decision_table_cell_the_engine_cannot_evaluate_is_refused(approval):
    analyst = Page(approval, 'an.na', ['analyst'])
    dmn = text(os.path.join('bpmn', 'approval_levels.dmn')).replace('&gt; 1000000</text>', '[1000000..9000000]</text>', 1)
    status, body = analyst.action('/models/order_approval/publish', {'files': {'approval_levels.dmn': dmn},
                                                                     'message': 'FEEL range'})
    assert status == 422
    problem, = body['error']['details']
    assert problem['file'] == 'approval_levels.dmn' and problem['element_id'] == 'rule_standard_large_amount'
    assert "'[1000000..9000000]' (rule 3 of decision \"Approval levels\"" in problem['message']
    assert versions_of(approval, 'order_approval') == [(1, 'tests', 'shipped', True)]
