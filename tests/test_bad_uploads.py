"""Bad uploads and bad requests: each answers its status with a JSON error naming the problem
(the file and, where there is one, the element id), and a refused deploy stores nothing."""
import io
import os

import pytest

from engine.db import db
from engine.models import AuditEvent, HumanTask, ModelFile, ModelVersion, ProcessModel
from tests.conftest import DATA
from tests.support.api import shipped_bundle

FOLDER = os.path.join(DATA, 'bad_uploads')
BPMN_NS = b'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def diagram(name):
    with open(os.path.join(FOLDER, name), 'rb') as f:
        return f.read()


def stored_rows(app):
    with app.app_context():
        return {model.__tablename__: db.session.query(model).count()
                for model in (ProcessModel, ModelVersion, ModelFile)}


@pytest.fixture
def deployed(api):
    """A model `orders` already at version 1, so a refused upload has something to leave alone."""
    r = api.deploy('orders', {'good.bpmn': diagram('good.bpmn')})
    assert r.status == 201, r
    return r.json


def error_of(response, status, code=None):
    assert response.status == status, response
    assert response.json is not None, f'not a JSON answer: {response.text[:300]}'
    assert set(response.json) == {'error'}, response.json
    err = response.json['error']
    assert isinstance(err.get('code'), str) and err['code'], err
    assert isinstance(err.get('message'), str) and err['message'], err
    assert 'details' in err, err  # API.md: always there, null when there is nothing more to say
    if code:
        assert err['code'] == code, err
    return err


def refused(api, app, files, status=422, code=None, key='orders'):
    """Deploys files under key, checks the error answer and that no row was stored; the error."""
    before = stored_rows(app)
    err = error_of(api.deploy(key, files), status, code)
    assert stored_rows(app) == before
    return err


def problem_for(err, file, element_id=None):
    """The detail entry naming file (and element_id when given)."""
    details = err.get('details')
    assert isinstance(details, list) and details, err
    for d in details:
        if d.get('file') == file and (element_id is None or d.get('element_id') == element_id):
            return d
    raise AssertionError(f'no problem for {file} {element_id or ""} in {details}')


def still_version_one(api):
    versions = api.get('/process-models/orders/versions')
    assert versions.status == 200, versions
    assert [v['version'] for v in versions.json] == [1]


# -- unsafe and unreadable XML -----------------------------------------------------------------

def test_malformed_xml_names_the_file_and_line(api, app, deployed):
    err = refused(api, app, {'malformed.bpmn': diagram('malformed.bpmn')})
    found = problem_for(err, 'malformed.bpmn')
    assert found['line'] == 6  # where </bpmn:process> fails to close the userTask
    assert 'malformed.bpmn' in err['message']
    still_version_one(api)


XXE = (b'<?xml version="1.0"?>\n<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
       b'<definitions ' + BPMN_NS + b' id="d" targetNamespace="x"><process id="leak" isExecutable="true">'
       b'<documentation>&secret;</documentation><startEvent id="leak_start"/></process></definitions>')

LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b''.join(b'<!ENTITY lol%d "%s">' % (i, (b'&lol%s;' % (str(i - 1).encode() if i > 1 else b'')) * 10)
                     for i in range(1, 10))
          + b']>\n<definitions ' + BPMN_NS + b' id="d" targetNamespace="x"><process id="bomb" isExecutable="true">'
          b'<documentation>&lol9;</documentation><startEvent id="bomb_start"/></process></definitions>')


@pytest.mark.parametrize('name, content, declared', [
    ('xxe.bpmn', XXE, 'DOCTYPE'),
    ('laughs.bpmn', LAUGHS, 'DOCTYPE'),
    ('utf16.bpmn', XXE.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>').decode()
     .encode('utf-16'), 'DOCTYPE'),
    ('utf16be-no-bom.bpmn', XXE.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16BE"?>')
     .decode().encode('utf-16-be'), 'DOCTYPE'),
    ('entity.dmn', b'<?xml version="1.0"?><!ENTITY x "y"><definitions '
                   b'xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x"/>', 'ENTITY'),
], ids=['xxe', 'billion-laughs', 'utf16-bom', 'utf16be-no-bom', 'dmn-entity'])
def test_declarations_are_refused_as_unsafe_xml(api, app, deployed, name, content, declared):
    files = {'good.bpmn': diagram('good.bpmn'), name: content}
    err = refused(api, app, files, 422, 'unsafe_xml')
    assert name in err['message']
    found = problem_for(err, name)
    assert declared in found['message']
    assert 'good.bpmn' not in [d['file'] for d in err['details']]
    still_version_one(api)


@pytest.mark.parametrize('reference', [b'', b'<documentation>&secret;</documentation>'],
                         ids=['declared-only', 'referenced'])
def test_utf32_doctype_is_refused_as_unsafe_xml(api, app, deployed, reference):
    text = (b'<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE d [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<definitions ' + BPMN_NS + b' id="d" targetNamespace="x"><process id="p32" isExecutable="true">'
            + reference + b'<startEvent id="s32"/></process></definitions>')
    err = refused(api, app, {'utf32.bpmn': text.decode().encode('utf-32')}, 422, 'unsafe_xml')
    assert 'DOCTYPE' in problem_for(err, 'utf32.bpmn')['message']
    still_version_one(api)


# -- diagrams the schema or the engine refuses ----------------------------------------------------

def default_namespace(content):
    """The same diagram with BPMN as the default namespace instead of the "bpmn:" prefix."""
    return (content.replace(b'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"', BPMN_NS)
            .replace(b'<bpmn:', b'<').replace(b'</bpmn:', b'</'))


@pytest.mark.parametrize('style', ['prefixed', 'default-namespace'])
@pytest.mark.parametrize('name, element_id, words', [
    ('unknown_element.bpmn', 'odd_teleport', 'teleportTask'),
    ('flow_without_source.bpmn', 'dangling_flow', 'sourceRef'),
], ids=['unknown-element', 'flow-without-sourceRef'])
def test_schema_violation_names_the_element(api, app, deployed, name, element_id, words, style):
    content = diagram(name) if style == 'prefixed' else default_namespace(diagram(name))
    assert (b'<bpmn:' in content) == (style == 'prefixed')
    err = refused(api, app, {name: content}, 422)
    found = problem_for(err, name, element_id)
    assert words in found['message']
    assert found['line']
    assert name in err['message'] and element_id in err['message']


def test_executable_process_without_start_event(api, app, deployed):
    err = refused(api, app, {'no_start_event.bpmn': diagram('no_start_event.bpmn')}, 422)
    found = problem_for(err, 'no_start_event.bpmn', 'startless_process')
    assert 'start event' in found['message'].lower()
    assert 'startless_process' in err['message']


def test_unsupported_file_type(api, app, deployed):
    err = refused(api, app, {'good.bpmn': diagram('good.bpmn'), 'notes.txt': b'remember the milk'}, 422)
    found = problem_for(err, 'notes.txt')
    assert '.bpmn' in found['message'] and 'type' in found['message'].lower()


def test_missing_called_process_names_the_call_activity(api, app, deployed):
    err = refused(api, app, {'missing_called_process.bpmn': diagram('missing_called_process.bpmn')}, 422)
    found = problem_for(err, 'missing_called_process.bpmn', 'call_credit_check')
    assert 'credit_check' in found['message']
    assert 'call_credit_check' in err['message']


def test_missing_decision_names_the_business_rule_task(api, app, deployed):
    err = refused(api, app, {'missing_decision.bpmn': diagram('missing_decision.bpmn')}, 422)
    found = problem_for(err, 'missing_decision.bpmn', 'decide_discount')
    assert 'discount_table' in found['message']
    assert 'missing_decision.bpmn' in err['message'] and 'decide_discount' in err['message']


def test_missing_form_file_names_the_user_task(api, app, deployed):
    err = refused(api, app, {'form_task.bpmn': diagram('form_task.bpmn')}, 422)
    found = problem_for(err, 'form_task.bpmn', 'enter_order')
    assert 'enter_order.json' in found['message']


def test_form_file_that_is_not_json(api, app, deployed):
    files = {'form_task.bpmn': diagram('form_task.bpmn'), 'enter_order.json': diagram('enter_order_broken.json')}
    err = refused(api, app, files, 422)
    found = problem_for(err, 'enter_order.json')
    assert 'JSON' in found['message'] and 'line 4' in found['message']
    assert 'enter_order.json' in err['message']


def test_problems_leave_the_key_free_for_a_good_version(api, app):
    """Nothing half-stored: after a refused first upload, the key's first good upload is version 1."""
    refused(api, app, {'missing_called_process.bpmn': diagram('missing_called_process.bpmn')}, 422, key='fresh')
    assert api.get('/process-models/fresh/versions').status == 404
    r = api.deploy('fresh', {'good.bpmn': diagram('good.bpmn')})
    assert r.status == 201 and r.json['version'] == 1, r


# -- stored but not (simply) startable ------------------------------------------------------------

def test_descriptive_diagram_is_stored_and_refuses_to_start(api, app):
    before = stored_rows(app)
    r = api.deploy('how-orders-flow', {'descriptive.bpmn': diagram('descriptive.bpmn')})
    assert r.status == 201, r
    assert r.json['executable'] is False and r.json['process_ids'] == []
    assert stored_rows(app) == {'process_model': before['process_model'] + 1,
                                'model_version': before['model_version'] + 1,
                                'model_file': before['model_file'] + 1}
    err = error_of(api.start('how-orders-flow'), 422, 'not_executable')
    assert 'how-orders-flow' in err['message'] and 'isExecutable' in err['message']
    assert api.get('/process-instances').json['total'] == 0


def test_two_executable_processes_without_primary(api):
    r = api.deploy('billing', {'two_processes.bpmn': diagram('two_processes.bpmn')})
    assert r.status == 201, r
    assert sorted(r.json['process_ids']) == ['invoice_process', 'quote_process']
    assert r.json['primary_process_id'] is None
    err = error_of(api.start('billing'), 422)
    assert err['code'] == 'ambiguous_process'
    assert sorted(err['details']['candidates']) == ['invoice_process', 'quote_process']
    assert 'process_id' in err['message']
    assert api.get('/process-instances').json['total'] == 0
    chosen = api.start('billing', process_id='invoice_process')
    assert chosen.status == 201, chosen
    assert [t['title'] for t in chosen.json['ready_tasks']] == ['Write invoice']


def test_unknown_primary_process_is_refused(api, app, deployed):
    files = {'two_processes.bpmn': diagram('two_processes.bpmn')}
    before = stored_rows(app)
    err = error_of(api.deploy('billing', files, primary_process_id='refund_process'), 422)
    assert 'refund_process' in err['details'][0]['message']
    assert stored_rows(app) == before


# -- malformed requests ----------------------------------------------------------------------------

def test_bad_key_slug(api, app, deployed):
    err = refused(api, app, {'good.bpmn': diagram('good.bpmn')}, 422, 'invalid_key', key='orders/../etc passwd')
    assert 'orders/../etc passwd' in err['message']
    assert err['details'][0]['field'] == 'key'


def test_multipart_without_files(api, app, deployed):
    before = stored_rows(app)
    raw = api.client.post('/api/v1/process-models', data={'key': 'orders'}, headers=api._headers(),
                          content_type='multipart/form-data')
    assert raw.status_code in (400, 422)
    err = raw.get_json()['error']
    assert err['code'] and 'files' in err['message']
    assert stored_rows(app) == before


def test_json_instead_of_multipart(api, app, deployed):
    before = stored_rows(app)
    err = error_of(api.post('/process-models', {'key': 'orders', 'files': ['good.bpmn']}), 400)
    assert 'multipart' in err['message']
    assert stored_rows(app) == before


def test_upload_over_the_limit(api, app, deployed):
    assert app.config['MAX_CONTENT_LENGTH'] == 1024 * 1024
    padded = diagram('good.bpmn') + b'<!--' + b'x' * (1024 * 1024) + b'-->\n'
    err = refused(api, app, {'good.bpmn': padded}, 413, 'payload_too_large')
    assert '1 MB' in err['message']
    still_version_one(api)


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Bearer not-a-real-token'}, {'Authorization': 'Basic x'}],
                         ids=['none', 'unknown', 'not-bearer'])
def test_no_valid_token(api, app, deployed, headers):
    before = stored_rows(app)
    raw = api.client.post('/api/v1/process-models', headers=headers, content_type='multipart/form-data',
                          data={'key': 'orders', 'files': [(io.BytesIO(diagram('good.bpmn')), 'good.bpmn')]})
    assert raw.status_code == 401
    assert raw.get_json()['error']['code'] == 'unauthorized'
    assert stored_rows(app) == before
    assert api.client.get('/api/v1/process-models', headers=headers).status_code == 401


def test_every_kind_of_error_has_the_same_shape(api, deployed):
    too_big = {'good.bpmn': diagram('good.bpmn') + b'<!--' + b'x' * (1024 * 1024) + b'-->'}
    for response, status in ((api.post('/process-models', {'key': 'orders'}), 400),
                             (api.get('/process-models', token=False), 401),
                             (api.get('/process-instances/424242'), 404),
                             (api.get('/process-models/no-such-model/versions'), 404),
                             (api.deploy('orders', too_big), 413),
                             (api.start('orders', data='not an object'), 422)):
        error_of(response, status)


# -- bad task and instance requests ----------------------------------------------------------------

@pytest.fixture
def intake(api):
    """An order_lifecycle instance waiting at its "Order intake" form."""
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    inst = api.start('order_lifecycle')
    assert inst.status == 201, inst
    return inst.json['id'], api.ready_task(inst.json['id'], 'Order intake')


def test_unknown_task_id_on_complete(api, intake):
    for task_id in ('00000000-0000-0000-0000-000000000000', 'not-a-uuid'):
        err = error_of(api.complete(task_id, {}), 404, 'task_not_found')
        assert task_id in err['message']
    assert error_of(api.post('/tasks/00000000-0000-0000-0000-000000000000/claim'), 404)


def test_form_data_failing_its_schema_lists_every_field(api, app, intake):
    instance_id, task = intake
    bad = {'amount': -5, 'customer': 42, 'order_type': 'whatever', 'urgency': 'normal', 'description': 7,
           'requested_date': '2026-02-30', 'line_items': 'one crane'}
    err = error_of(api.complete(task['id'], bad), 422, 'invalid_form_data')
    paths = {d['path'] for d in err['details']}
    assert {'title', 'amount', 'customer', 'order_type', 'description', 'requested_date', 'line_items'} <= paths, \
        err['details']
    assert all(d['message'] for d in err['details'])
    assert 'Order intake' in err['message']
    nested = {'title': 'Crane', 'customer': 'ACME', 'order_type': 'standard', 'urgency': 'normal', 'amount': 10,
              'description': '', 'requested_date': '2026-05-01',
              'line_items': [{'description': 'Crane day', 'quantity': 0, 'unit': 'day', 'unit_price': 'a lot'}]}
    err = error_of(api.complete(task['id'], nested), 422, 'invalid_form_data')
    assert {'line_items/0/quantity', 'line_items/0/unit_price'} <= {d['path'] for d in err['details']}
    # nothing moved: the task is still ready and nobody completed it
    assert [t['id'] for t in api.ready(instance_id)] == [task['id']]
    with app.app_context():
        assert AuditEvent.query.filter_by(instance_id=instance_id, kind='task_completed').count() == 0
        assert HumanTask.query.filter_by(instance_id=instance_id).count() == 1


@pytest.mark.parametrize('body', [b'{"data": {"title": ', b'not json at all', b'["data"]'],
                         ids=['truncated', 'text', 'array'])
def test_non_json_body_on_complete(api, intake, body):
    instance_id, task = intake
    raw = api.client.post(f'/api/v1/tasks/{task["id"]}/complete', data=body, headers=api._headers(),
                          content_type='application/json')
    assert raw.status_code == 400
    err = raw.get_json()['error']
    assert err['code'] == 'malformed_json' and 'JSON' in err['message']
    assert [t['id'] for t in api.ready(instance_id)] == [task['id']]


def test_data_that_is_not_an_object(api, intake):
    _, task = intake
    err = error_of(api.post(f'/tasks/{task["id"]}/complete', {'data': ['a', 'b']}), 422)
    assert err['details'][0]['path'] == 'data'


def test_unknown_instance(api, intake):
    instance_id, _ = intake
    missing = instance_id + 1000
    for r in (api.get(f'/process-instances/{missing}'), api.get(f'/process-instances/{missing}/events'),
              api.post(f'/process-instances/{missing}/terminate', {'reason': 'typo'}),
              api.post(f'/process-instances/{missing}/timers/fire', {})):
        err = error_of(r, 404, 'instance_not_found')
        assert str(missing) in err['message']
    err = error_of(api.start('no-such-model'), 404)
    assert 'no-such-model' in err['message']


def test_descriptive_diagrams_with_data_stores_are_stored_for_viewing(api):
    """A diagram whose processes all say isExecutable="false" is kept for viewing even when it holds
    elements the engine could not run (a data store here), and starting it says why it cannot."""
    ns = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
    xml = (f'<?xml version="1.0"?><bpmn:definitions {ns} id="d" targetNamespace="x">'
           '<bpmn:dataStore id="ledger" name="Ledger"/>'
           '<bpmn:process id="book_keeping" isExecutable="false"><bpmn:startEvent id="s"/>'
           '<bpmn:dataStoreReference id="ledger_ref" dataStoreRef="ledger"/></bpmn:process>'
           '</bpmn:definitions>').encode()
    stored = api.deploy('book-keeping', {'book_keeping.bpmn': xml})
    assert stored.status == 201 and stored.json['executable'] is False, stored
    refused = api.start('book-keeping')
    assert refused.status == 422 and refused.json['error']['code'] == 'not_executable'
