"""The process owners' workspace in Chromium: a decision table changed and published by an
analyst, invalid diagrams refused with their elements highlighted, the shipped models saved
unchanged, instances moved after a safe change and refused after an unsafe one, and the MIWG
reference models uploaded and rendered."""
import glob
import os
import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from engine import commands, deployments, versions
from engine.commands import Actor
from engine.models import ModelVersion
from tests.conftest import DATA, SHARED_CORPUS
from .conftest import _HASH, screenshot, sign_in
from .orders import ready_task, start_approval

MIGRATION = os.path.join(DATA, 'migration')
MODELER = os.path.join(DATA, 'modeler')
MIWG = os.path.join(SHARED_CORPUS, 'bpmn-miwg')


@pytest.fixture
def editors(people, db_session):
    for username, groups in (('an.na', ['analyst']), ('po.lin', ['process_owner'])):
        db_session.add(User(username=username, password_hash=_HASH, groups=groups, display_name=username))
    db_session.commit()
    return people


def _approve(instance_id, title, username, groups):
    commands.complete_task(ready_task(instance_id, title).id, {'decision': 'approve', 'comment': 'ok'},
                           Actor(username, tuple(groups)))


def _set_cell(page, old, new, row):
    """Type `new` over the amount cell of the table's row `row` (1-based), which shows `old`."""
    cell = page.locator('.tjs-table tbody tr').nth(row - 1).locator('td', has_text=re.compile('^' + re.escape(old) + '$'))
    expect(cell).to_have_count(1)
    cell.click()
    page.keyboard.press('Control+A')
    page.keyboard.type(new)
    page.locator('.tjs-table th').first.click()  # leave the cell
    expect(page.locator('.tjs-table td', has_text=re.compile('^' + re.escape(new) + '$'))).to_have_count(1)


def test_an_analyst_moves_the_finance_threshold_and_only_new_orders_follow_it(editors, new_context, db_session):
    before = start_approval('Pump station retrofit', 'Suzhou Water Works', 700000)
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'an.na')
    page.goto('/models/')
    page.locator('tr[data-model=order_approval]').get_by_role('link', name='order_approval').click()
    page.locator('tr', has_text='approval_levels.dmn').get_by_role('link', name='Edit').click()
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    _set_cell(page, '100000 < ? <= 1000000', '100000 < ? <= 500 000', row=2)   # a typo: saved, listed, outlined
    page.locator('#save-button').click()
    expect(page.locator('#problems [data-element=rule_standard_medium_amount]')).to_contain_text('not a Python expression')
    expect(page.locator('#canvas')).to_have_attribute('data-problems', 'rule_standard_medium_amount')
    assert page.locator('td[data-element-id=rule_standard_medium_amount]').evaluate(
        'cell => getComputedStyle(cell).outlineStyle') == 'solid'
    _set_cell(page, '100000 < ? <= 500 000', '100000 < ? <= 500000', row=2)   # standard, medium
    _set_cell(page, '> 1000000', '> 500000', row=3)                           # standard, large
    page.locator('#publish-message').fill('Finance approval from 500,000 CNY')
    page.locator('#publish-button').click()
    expect(page.locator('#editor-status')).to_have_text('Published version 2.')
    screenshot(page, 'modeler-dmn.png')
    db_session.expire_all()
    v2 = ModelVersion.query.filter_by(model_key='order_approval', version=2).one()
    assert (v2.created_by, v2.message) == ('an.na', 'Finance approval from 500,000 CNY')

    after = start_approval('Substation expansion', 'Jiangsu Grid Services', 700000)
    for inst in (before, after):
        _approve(inst, 'Project manager approval', 'li.wei', ['project_manager'])
        _approve(inst, 'Department head approval', 'zhang.min', ['department_head'])
    ready_task(after, 'Finance approval')   # above the new threshold: finance must approve
    db_session.expire_all()
    from engine.models import ProcessInstance
    old = db_session.get(ProcessInstance, before)
    assert old.version == 1 and old.data['approval_status'] == 'approved'   # the old table: no finance
    assert old.data['needs_finance'] is False


def test_an_invalid_diagram_is_listed_highlighted_and_not_published(editors, new_context, db_session):
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'po.lin')
    page.goto('/models/')
    page.locator('#new-key').fill('quote_check')
    page.locator('#new-name').fill('Quote check')
    page.get_by_role('button', name='Create from a blank diagram').click()
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    bad = open(os.path.join(MODELER, 'invalid_gateway_and_service.bpmn'), encoding='utf-8').read()
    page.evaluate('xml => window.EomsEditor.modeler.importXML(xml)', bad)
    page.locator('#save-button').click()
    expect(page.locator('#editor-status')).to_contain_text('2 problem(s) to fix before publishing')
    problems = page.locator('#problems .problem')
    expect(problems).to_have_count(2)
    expect(page.locator('#problems [data-element=gw]')).to_contain_text('without a condition')
    expect(page.locator('#problems [data-element=svc]')).to_contain_text('operator')
    expect(page.locator('.djs-element.eoms-problem[data-element-id=gw]')).to_have_count(1)
    expect(page.locator('.djs-element.eoms-problem[data-element-id=svc]')).to_have_count(1)
    page.locator('#publish-message').fill('first try')
    page.locator('#publish-button').click()
    expect(page.locator('#editor-status')).to_contain_text('nothing was published')
    screenshot(page, 'modeler-problems.png')
    db_session.expire_all()
    assert ModelVersion.query.filter_by(model_key='quote_check').count() == 0

    # Fixed in the properties panel: a condition on one flow, the other the default; an operator.
    page.evaluate("window.EomsEditor.select('f2')")   # a flow's middle may be empty canvas
    expect(page.locator('#bio-properties-panel-id')).to_have_value('f2')
    page.locator('#bio-properties-panel-conditionExpression').fill('amount > 100000')
    page.locator('#bio-properties-panel-conditionExpression').press('Tab')
    page.evaluate("window.EomsEditor.select('f3')")
    expect(page.locator('#bio-properties-panel-id')).to_have_value('f3')
    page.locator('#bio-properties-panel-defaultFlow').check()
    page.locator('.djs-element[data-element-id=svc]').click()
    expect(page.locator('[data-group-id=group-eoms-service-task]')).to_be_visible()
    expect(page.locator('#bio-properties-panel-serviceTaskOperator option[value="http.request"]')).to_have_count(1)
    page.locator('#bio-properties-panel-serviceTaskOperator').select_option('http.request')
    expect(page.locator('#bio-properties-panel-serviceTaskParameter-url')).to_be_visible()
    page.locator('#bio-properties-panel-serviceTaskParameter-url').fill('"http://127.0.0.1:9/erp"')
    page.locator('#bio-properties-panel-serviceTaskParameter-method').fill('"GET"')
    page.locator('#bio-properties-panel-serviceTaskParameter-method').press('Tab')
    page.locator('#validate-button').click()
    expect(page.locator('#editor-status')).to_have_text('No problems found.')
    expect(page.locator('.djs-element.eoms-problem')).to_have_count(0)
    page.locator('#publish-button').click()
    expect(page.locator('#editor-status')).to_have_text('Published version 1.')
    db_session.expire_all()
    content = deployments.file_content(deployments.latest('quote_check'), 'quote_check.bpmn').decode()
    assert '<spiffworkflow:serviceTaskOperator id="http.request">' in content
    assert 'id="url" type="str" value="&#34;http://127.0.0.1:9/erp&#34;"' in content
    assert 'id="headers"' not in content   # optional and empty: left out, the operator's default applies
    assert '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">amount &gt; 100000</bpmn:conditionExpression>' in content
    assert 'default="f3"' in content


def test_the_shipped_models_survive_an_unchanged_save(editors, new_context, db_session):
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'po.lin')
    for key, name in (('order_approval', 'order_approval.bpmn'), ('order_lifecycle', 'order_lifecycle.bpmn')):
        original = deployments.file_content(deployments.latest(key), name).decode()
        page.goto(f'/models/{key}/edit/{name}')
        expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
        assert page.locator('#canvas').get_attribute('data-warnings') == '0'
        page.locator('#publish-message').fill('saved unchanged in the modeler')
        page.locator('#publish-button').click()
        expect(page.locator('#editor-status')).to_have_text('Published version 2.')
        db_session.expire_all()
        saved = deployments.file_content(deployments.get_version(key, 2), name).decode()
        for tag in ('spiffworkflow:properties', 'spiffworkflow:property', 'spiffworkflow:instructionsForEndUser',
                    'spiffworkflow:calledDecisionId', 'spiffworkflow:preScript', 'spiffworkflow:postScript',
                    'spiffworkflow:scriptsOnInstances', 'spiffworkflow:messagePayload',
                    'spiffworkflow:messageVariable', 'spiffworkflow:processVariableCorrelation',
                    'bpmn:correlationPropertyRetrievalExpression', 'bpmn:eventBasedGateway', 'bpmn:timeDuration'):
            assert original.count(tag) == saved.count(tag), (key, tag)
        result = versions.diff(key, 1, 2)
        for pid, process in result['processes'].items():
            assert process['status'] == 'compared', (key, pid)
            assert process['added'] == process['removed'] == process['changed'] == [], (key, pid, process)


def _migration_model():
    deployments.deploy('survey', {'site_survey.bpmn': open(os.path.join(MIGRATION, 'v1.bpmn'), 'rb').read()},
                       actor='po.lin', message='first')
    waiting = commands.start('survey', Actor('po.lin', ('process_owner',))).id
    deployments.deploy('survey', {'site_survey.bpmn': open(os.path.join(MIGRATION, 'v2_safe.bpmn'), 'rb').read()},
                       actor='po.lin', message='sign-off added')
    deployments.deploy('survey', {'site_survey.bpmn': open(os.path.join(MIGRATION, 'v3_unsafe.bpmn'), 'rb').read()},
                       actor='po.lin', message='measuring dropped')
    return waiting


def test_instances_move_after_a_safe_change_and_not_after_an_unsafe_one(editors, new_context, db_session):
    waiting = _migration_model()
    page = sign_in(new_context().new_page(), 'po.lin')
    page.goto('/models/survey')
    page.get_by_role('link', name='Move running instances').click()
    page.locator('#m-from').select_option('1')
    page.locator('#m-to').select_option('3')
    page.get_by_role('button', name='Preview').click()
    row = page.locator(f'tr[data-instance="{waiting}"]')
    expect(row).to_have_class('cannot-move')
    expect(row.locator('.reasons')).to_contain_text('Measure site')
    expect(row.locator('.reasons')).to_contain_text('removed')
    expect(page.locator('#move-all')).to_have_count(0)
    screenshot(page, 'modeler-migration-refused.png')

    page.locator('#m-to').select_option('2')
    page.get_by_role('button', name='Preview').click()
    expect(row).to_have_class('can-move')
    row.get_by_role('button', name='Move').click()
    expect(page.locator('.notice-success')).to_contain_text(f'Instance {waiting} now runs version 2')
    db_session.expire_all()
    from engine.models import ProcessInstance
    assert db_session.get(ProcessInstance, waiting).version == 2
    page.goto(f'/instances/{waiting}')
    expect(page.locator('.timeline')).to_contain_text('po.lin')


def test_an_analyst_cannot_publish_a_diagram_change(editors, new_context, db_session):
    page = sign_in(new_context().new_page(), 'an.na')
    page.goto('/models/order_approval/edit/order_approval.bpmn')
    expect(page.locator('#read-only')).to_be_visible()
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    status = page.evaluate("""async () => {
        const xml = (await window.EomsEditor.modeler.saveXML()).xml.replace('Finance approval', 'Finance sign-off');
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
        const r = await fetch('/models/order_approval/publish', {method: 'POST', headers: {
            'Content-Type': 'application/json', 'X-CSRFToken': token},
            body: JSON.stringify({files: {'order_approval.bpmn': xml}, message: 'rename'})});
        return [r.status, (await r.json()).error.code];
    }""")
    assert status == [403, 'diagram_change_not_allowed']
    db_session.expire_all()
    assert ModelVersion.query.filter_by(model_key='order_approval').count() == 1


def test_the_miwg_reference_models_upload_and_render(editors, new_context, db_session):
    if not os.path.isdir(MIWG):
        pytest.skip(f'the MIWG corpus is not beside the checkout ({MIWG} is missing)')
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'po.lin')
    outcomes = {}
    for path in sorted(glob.glob(os.path.join(MIWG, '*', '*.bpmn'))):
        name = os.path.basename(path)
        key = 'miwg-' + re.sub(r'[^A-Za-z0-9.]+', '-', name[:-5]).strip('-')
        page.goto('/models/')
        page.locator('#upload-files').set_input_files(path)
        page.locator('#upload-key').fill(key)
        page.locator('#upload-form button[type=submit]').click()
        if page.locator('#problems').count():   # cannot run: refused naming the elements; keep it for viewing
            outcomes[name] = 'refused'
            expect(page.locator('#problems li').first).to_be_visible()
            page.goto('/models/')
            page.locator('#upload-files').set_input_files(path)
            page.locator('#upload-key').fill(key)
            page.locator('#upload-form input[name=mode][value=view]').check()
            page.locator('#upload-form button[type=submit]').click()
        expect(page.locator('h1')).to_contain_text(key)
        flash = page.locator('.flashes').inner_text()
        if 'viewing only' in flash or 'for viewing' in flash:
            expect(page.locator('#not-executable, .notice-warning').first).to_be_visible()
            outcomes.setdefault(name, 'view')
        else:
            outcomes.setdefault(name, 'runs')
        expect(page.locator('#diagram[data-ready=true]')).to_be_visible()
        assert page.locator('#diagram .djs-element').count() > 2, name
    screenshot(page, 'modeler-miwg.png')
    assert len(outcomes) == 15, outcomes
    assert outcomes['A.1.0.bpmn'] == 'view'


def test_the_form_editor_previews_with_the_task_page_fields(editors, new_context, db_session):
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'an.na')
    page.goto('/models/order_approval/edit/approval_decision.json')
    expect(page.locator('#code [data-editor=codemirror]')).to_be_visible()
    expect(page.locator('#preview[data-ready=true] #f-comment')).to_be_visible()
    schema = page.evaluate('window.EomsEditor.getContent()')
    page.evaluate('text => window.EomsEditor.setContent(text)',
                  schema.replace('"title": "Comment"', '"title": "Comment for the requester"'))
    expect(page.locator('#preview label[for=f-comment]')).to_contain_text('Comment for the requester')
    page.evaluate("window.EomsEditor.setContent('{\"type\": ')")
    expect(page.locator('#json-error')).to_be_visible()
    screenshot(page, 'modeler-form.png')


def _select(page, element_id):
    page.evaluate('id => window.EomsEditor.select(id)', element_id)
    expect(page.locator('#bio-properties-panel-id')).to_have_value(element_id)


def _type(page, entry, value):
    field = page.locator(f'#bio-properties-panel-{entry}')
    field.fill(value)
    field.press('Tab')


def test_the_properties_panel_shows_and_changes_what_the_engine_reads(editors, new_context, db_session):
    deployments.deploy('await_contract', {'await_contract.bpmn': open(os.path.join(MODELER, 'await_contract.bpmn'),
                                                                      'rb').read()}, actor='tests')
    page = sign_in(new_context(viewport={'width': 1400, 'height': 950}).new_page(), 'po.lin')
    page.goto('/models/order_approval/edit/order_approval.bpmn')
    expect(page.locator('#canvas[data-ready=true][data-choices=true]')).to_be_visible()
    _select(page, 'pm_approval')
    expect(page.locator('#bio-properties-panel-formJsonSchemaFilename')).to_have_value('approval_decision.json')
    expect(page.locator('#bio-properties-panel-formUiSchemaFilename')).to_have_value('approval_decision.uischema.json')
    expect(page.locator('#bio-properties-panel-instructionsForEndUser')).to_have_value(re.compile(r'### \{\{ title \}\}'))
    _type(page, 'instructionsForEndUser', 'Check **{{ customer }}** and approve.')
    _select(page, 'pm_sla_expired')
    expect(page.locator('#bio-properties-panel-timerKind')).to_have_value('timeDuration')
    expect(page.locator('#bio-properties-panel-timerValue')).to_have_value('approval_sla')
    _type(page, 'timerValue', '"P3D"')
    _select(page, 'determine_approval_levels')
    expect(page.locator('#bio-properties-panel-calledDecisionId')).to_have_value('approval_levels')
    _select(page, 'lane_finance')
    expect(page.locator('#bio-properties-panel-laneGroup')).to_have_value('finance')
    _select(page, 'set_approval_defaults')
    expect(page.locator('#bio-properties-panel-script')).to_have_value(re.compile('approval_sla = "P2D"'))
    screenshot(page, 'modeler-bpmn.png')
    page.locator('#publish-message').fill('PM instructions and a three-day SLA')
    page.locator('#publish-button').click()
    expect(page.locator('#editor-status')).to_have_text('Published version 2.')
    db_session.expire_all()
    saved = deployments.file_content(deployments.get_version('order_approval', 2), 'order_approval.bpmn').decode()
    assert 'Check **{{ customer }}** and approve.</spiffworkflow:instructionsForEndUser>' in saved
    assert saved.count('"P3D"') == 1 and saved.count('>approval_sla</bpmn:timeDuration>') == 2

    page.goto('/models/order_lifecycle/edit/order_lifecycle.bpmn')
    expect(page.locator('#canvas[data-ready=true][data-choices=true]')).to_be_visible()
    _select(page, 'approval')
    expect(page.locator('#bio-properties-panel-calledElement')).to_have_value('order_approval')
    expect(page.locator('#bio-properties-panel-calledElement option[value=await_contract]')).to_have_count(1)

    page.goto('/models/await_contract/edit/await_contract.bpmn')
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    _select(page, 'wait_contract')
    expect(page.locator('#bio-properties-panel-messageName')).to_have_value('contract_signed')
    expect(page.locator('#bio-properties-panel-messageVariable')).to_have_value('contract')
    expect(page.locator('#bio-properties-panel-messageCorrelation')).to_have_value('order_no = order_no')
    expect(page.locator('#bio-properties-panel-processCorrelation')).to_have_value('order_no = order_no')
    _type(page, 'messageName', 'contract_countersigned')
    _type(page, 'messageCorrelation', 'order_no = contract_no')
    _type(page, 'processCorrelation', 'order_no = order_number')
    page.locator('#publish-message').fill('countersigned contracts')
    page.locator('#publish-button').click()
    expect(page.locator('#editor-status')).to_have_text('Published version 2.')
    db_session.expire_all()
    saved = deployments.file_content(deployments.get_version('await_contract', 2), 'await_contract.bpmn').decode()
    assert 'name="contract_countersigned"' in saved
    assert '<spiffworkflow:expression>order_number</spiffworkflow:expression>' in saved
    assert saved.count('<bpmn:message ') == 1   # renamed, not a second message
    assert '<bpmn:formalExpression>contract_no</bpmn:formalExpression>' in saved
    # The engine reads it back: the waiting instance is found by its order_number.
    inst = commands.start('await_contract', Actor('po.lin', ('process_owner',)), data={'order_number': 'EO-7'})
    from engine.models import MessageWait
    wait = MessageWait.query.filter_by(instance_id=inst.id).one()
    assert wait.name == 'contract_countersigned' and wait.correlation == {'order_no': 'EO-7'}


def test_the_modeler_speaks_chinese(editors, new_context, db_session):
    db_session.query(User).filter_by(username='po.lin').update({'locale': 'zh'})
    db_session.commit()
    page = sign_in(new_context(locale='zh-CN', viewport={'width': 1400, 'height': 950}).new_page(), 'po.lin')
    page.goto('/models/order_approval/edit/order_approval.bpmn')
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    expect(page.locator('.djs-palette [aria-label="创建开始事件"]')).to_have_count(1)
    _select(page, 'pm_approval')
    expect(page.locator('[data-group-id=group-eoms-user-task] .bio-properties-panel-group-header-title')).to_have_text('表单和说明')
    expect(page.locator('#validate-button')).to_have_text('校验')
    screenshot(page, 'modeler-zh.png')
    page.goto('/models/order_approval/edit/approval_levels.dmn')
    expect(page.locator('#canvas[data-ready=true]')).to_be_visible()
    expect(page.locator('.dmn-decision-table-container')).to_contain_text('命中策略')
    expect(page.locator('.dmn-decision-table-container th.annotation')).to_contain_text('注释')
    screenshot(page, 'modeler-dmn-zh.png')
