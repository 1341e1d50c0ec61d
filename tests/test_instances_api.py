"""Process instances through the REST API: the list with paging and filters, the instance view of
API.md, terminating, the audit trail, and the OpenAPI document covering the contract."""
import os
import re
from datetime import datetime, timedelta

import pytest

from tests.conftest import DATA
from tests.support.api import shipped_bundle

FOLDER = os.path.join(DATA, 'instances')
UTC_STAMP = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00')


def diagram(name):
    with open(os.path.join(FOLDER, name), 'rb') as f:
        return {name: f.read()}


def stamp(value):
    assert isinstance(value, str) and UTC_STAMP.fullmatch(value), f'not ISO 8601 UTC with +00:00: {value!r}'
    return datetime.fromisoformat(value)


def error_code(response, status):
    assert response.status == status, response
    return response.json['error']['code']


@pytest.fixture
def two_steps(api):
    assert api.deploy('two-steps', diagram('two_steps.bpmn')).status == 201
    return 'two-steps'


def start(api, model, data=None, **extra):
    r = api.start(model, data, **extra)
    assert r.status == 201, r
    return r.json


# -- the list -------------------------------------------------------------------------------------

def test_list_pages_newest_first_with_total(api, two_steps):
    ids = [start(api, two_steps, {'quantity': i})['id'] for i in range(5)]
    page = api.get('/process-instances?per_page=2')
    assert page.status == 200, page
    assert page.json['total'] == 5 and page.json['page'] == 1 and page.json['per_page'] == 2
    assert [i['id'] for i in page.json['items']] == ids[::-1][:2]
    second = api.get('/process-instances?per_page=2&page=2').json
    third = api.get('/process-instances?per_page=2&page=3').json
    beyond = api.get('/process-instances?per_page=2&page=4').json
    assert [i['id'] for i in second['items']] == ids[::-1][2:4]
    assert [i['id'] for i in third['items']] == ids[:1]
    assert beyond['items'] == [] and beyond['total'] == 5
    every = api.get('/process-instances').json
    assert every['per_page'] == 50 and [i['id'] for i in every['items']] == ids[::-1]
    starts = [stamp(i['started_at']) for i in every['items']]
    assert starts == sorted(starts, reverse=True)
    row = every['items'][0]
    assert set(row) == {'id', 'model', 'version', 'status', 'started_at', 'ended_at'}
    assert (row['model'], row['version'], row['status'], row['ended_at']) == (two_steps, 1, 'waiting', None)


def test_list_filters_by_model_and_status(api, two_steps):
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    waiting = [start(api, two_steps)['id'] for _ in range(3)]
    lifecycle = start(api, 'order_lifecycle')['id']
    finished = start(api, two_steps, {'quantity': 2})['id']
    api.complete(api.ready_task(finished, 'First step')['id'])
    assert api.complete(api.ready_task(finished, 'Second step')['id']).json['status'] == 'completed'
    stopped = waiting.pop()
    assert api.post(f'/process-instances/{stopped}/terminate', {'reason': 'duplicate'}).status == 200

    def ids(query):
        r = api.get('/process-instances?' + query)
        assert r.status == 200, r
        assert r.json['total'] == len(r.json['items'])
        return [i['id'] for i in r.json['items']]

    assert ids(f'model={two_steps}') == sorted(waiting + [stopped, finished], reverse=True)
    assert ids('model=order_lifecycle') == [lifecycle]
    assert ids('model=nothing-here') == []
    assert ids('status=completed') == [finished]
    assert ids('status=terminated') == [stopped]
    assert ids(f'model={two_steps}&status=waiting') == sorted(waiting, reverse=True)
    assert ids('model=order_lifecycle&status=completed') == []
    paged = api.get(f'/process-instances?model={two_steps}&per_page=1&page=2').json
    assert paged['total'] == 4 and [i['id'] for i in paged['items']] == [stopped]


@pytest.mark.parametrize('query', ['status=paused', 'page=0', 'per_page=0', 'per_page=501', 'page=first'])
def test_list_refuses_bad_query(api, query):
    r = api.get('/process-instances?' + query)
    assert r.status in (400, 422), r
    details = r.json['error']['details']
    assert details and details[0]['path'] == query.split('=')[0]


# -- the instance view ----------------------------------------------------------------------------

def test_view_of_a_waiting_instance_with_a_form(api):
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    inst = start(api, 'order_lifecycle', {'customer': 'Harbour Works Ltd'})
    assert {'id', 'model', 'version', 'status', 'data', 'ready_tasks', 'timers', 'message_waits', 'incidents',
            'started_at', 'ended_at'} <= set(inst)
    assert (inst['model'], inst['version'], inst['status']) == ('order_lifecycle', 1, 'waiting')
    assert inst['data']['customer'] == 'Harbour Works Ltd'
    stamp(inst['started_at'])
    assert inst['ended_at'] is None
    assert inst['timers'] == [] and inst['message_waits'] == [] and inst['incidents'] == []
    [task] = inst['ready_tasks']
    assert {'id', 'instance_id', 'name', 'title', 'lane', 'groups', 'assignee', 'created_at', 'due_at',
            'instructions', 'form'} <= set(task)
    assert (task['instance_id'], task['name'], task['title']) == (inst['id'], 'order_intake', 'Order intake')
    assert (task['lane'], task['groups'], task['assignee'], task['due_at']) == ('requester', ['requester'], None, None)
    stamp(task['created_at'])
    assert 'for Harbour Works Ltd:' in task['instructions'] and '{{' not in task['instructions']
    schema = task['form']['schema']
    assert schema['title'] == 'Order intake' and 'line_items' in schema['required']
    assert schema['properties']['amount']['minimum'] == 0
    assert task['form']['ui_schema']['ui:order'][0] == 'title'
    assert api.get(f'/process-instances/{inst["id"]}').json == inst


def test_instructions_follow_the_process_data(api):
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    plain = start(api, 'order_lifecycle')
    assert plain['ready_tasks'][0]['instructions'].startswith('Describe the engineering order: customer')
    intake = {'title': 'Quay wall repair', 'customer': 'Harbour Works Ltd', 'order_type': 'standard',
              'urgency': 'urgent', 'amount': 120000, 'description': 'Repair 40 m of quay wall',
              'requested_date': '2026-09-30',
              'line_items': [{'description': 'Sheet piling', 'quantity': 40, 'unit': 'm', 'unit_price': 3000}]}
    moved = api.complete(plain['ready_tasks'][0]['id'], intake)
    assert moved.status == 200, moved
    quote = api.ready_task(plain['id'], 'Prepare quotation')
    assert quote['lane'] == 'sales'
    text = quote['instructions']
    assert text.startswith('### Quay wall repair')
    assert 'Customer **Harbour Works Ltd**' in text and '120000 CNY' in text
    assert '- Sheet piling: 40 m × 3000 CNY' in text
    assert quote['form']['schema']['title'] == 'Prepare quotation'
    assert moved.json['data']['title'] == 'Quay wall repair'


def test_view_shows_timers_and_message_waits(api):
    assert api.deploy('waits', diagram('waits.bpmn')).status == 201
    inst = start(api, 'waits', {'order_no': 'EO-7', 'customer': 'ACME'})
    assert inst['status'] == 'waiting'
    assert [t['title'] for t in inst['ready_tasks']] == ['Review order']
    assert inst['ready_tasks'][0]['instructions'] == 'Review order EO-7 for ACME.'
    assert inst['ready_tasks'][0]['form'] is None
    [timer] = inst['timers']
    assert set(timer) == {'task_id', 'name', 'due_at'} and timer['name'] == 'Cooling-off period'
    due = stamp(timer['due_at']) - stamp(inst['started_at'])
    assert timedelta(minutes=59) < due <= timedelta(hours=1, minutes=1)
    assert inst['message_waits'] == [{'name': 'payment_received', 'correlation': {}}]
    # the waits outlive the human task
    after = api.complete(inst['ready_tasks'][0]['id'], {'checked': True}).json
    assert after['status'] == 'waiting' and after['ready_tasks'] == []
    assert [t['task_id'] for t in after['timers']] == [timer['task_id']]
    assert [w['name'] for w in after['message_waits']] == ['payment_received']
    assert after['data']['checked'] is True


def test_view_shows_incidents(api):
    assert api.deploy('failing', diagram('failing_script.bpmn')).status == 201
    inst = start(api, 'failing', {'divisor': 0})
    failed = api.complete(inst['ready_tasks'][0]['id'], {'amount': 100})
    assert failed.status == 200, failed
    view = api.instance(inst['id'])
    assert view['status'] == 'error' and view['ended_at'] is None
    [incident] = view['incidents']
    assert {'id', 'task_name', 'message', 'created_at'} <= set(incident)
    assert incident['task_name'] == 'Compute discount'
    assert 'Compute discount' in incident['message'] and 'division' in incident['message']
    stamp(incident['created_at'])
    assert api.get('/process-instances?status=error').json['total'] == 1
    kinds = [e['kind'] for e in api.get(f'/process-instances/{inst["id"]}/events').json]
    assert kinds == ['started', 'incident']
    # the failed step was rolled back: the task it came from is still there to retry
    assert [t['title'] for t in view['ready_tasks']] == ['Enter amount']


def test_view_of_a_completed_instance(api, two_steps):
    inst = start(api, two_steps, {'quantity': 3})
    api.complete(inst['ready_tasks'][0]['id'], {'note': 'first'})
    middle = api.instance(inst['id'])
    assert middle['data']['total'] == 6 and middle['data']['note'] == 'first'
    done = api.complete(api.ready_task(inst['id'], 'Second step')['id'], {'note': 'second'}).json
    assert done['status'] == 'completed' and done['ready_tasks'] == []
    assert done['data']['total'] == 6 and done['data']['note'] == 'second'
    assert stamp(done['ended_at']) >= stamp(done['started_at'])
    assert api.instance(inst['id']) == done


# -- terminate ------------------------------------------------------------------------------------

def test_terminate(api, app):
    assert api.deploy('waits', diagram('waits.bpmn')).status == 201
    inst = start(api, 'waits', {'order_no': 'EO-8', 'customer': 'ACME'})
    task = inst['ready_tasks'][0]
    bob = api.as_user('bob', ['sales'])
    assert error_code(bob.post(f'/process-instances/{inst["id"]}/terminate', {'reason': 'mine'}), 403) == 'admin_only'
    assert api.instance(inst['id'])['status'] == 'waiting'

    done = api.post(f'/process-instances/{inst["id"]}/terminate', {'reason': 'customer withdrew the order'})
    assert done.status == 200, done
    assert done.json['status'] == 'terminated'
    assert done.json['ready_tasks'] == [] and done.json['timers'] == [] and done.json['message_waits'] == []
    assert stamp(done.json['ended_at']) >= stamp(done.json['started_at'])
    assert api.instance(inst['id']) == done.json
    assert api.get(f'/tasks?scope=all&instance_id={inst["id"]}').json == []

    again = api.post(f'/process-instances/{inst["id"]}/terminate', {'reason': 'twice'})
    assert error_code(again, 409) == 'instance_finished'
    late = api.complete(task['id'], {})
    assert error_code(late, 409) == 'task_not_ready'
    assert 'no longer ready' in late.json['error']['message']
    assert error_code(api.post(f'/process-instances/{inst["id"]}/timers/fire', {}), 409) == 'timer_not_armed'

    events = api.get(f'/process-instances/{inst["id"]}/events').json
    assert [e['kind'] for e in events] == ['started', 'terminated']
    assert events[1]['actor'] == 'alice' and events[1]['detail']['reason'] == 'customer withdrew the order'


def test_terminate_refuses_a_completed_instance(api, two_steps):
    inst = start(api, two_steps, {'quantity': 1})
    api.complete(inst['ready_tasks'][0]['id'])
    api.complete(api.ready_task(inst['id'], 'Second step')['id'])
    r = api.post(f'/process-instances/{inst["id"]}/terminate', {'reason': 'too late'})
    assert error_code(r, 409) == 'instance_finished'
    assert 'completed' in r.json['error']['message']
    assert api.instance(inst['id'])['status'] == 'completed'


# -- the audit trail ------------------------------------------------------------------------------

def test_events_trail(api, two_steps):
    bob = api.as_user('bob', ['sales'])
    inst = start(bob, two_steps, {'quantity': 2})
    bob.complete(inst['ready_tasks'][0]['id'], {'note': 'by bob'})
    api.complete(api.ready_task(inst['id'], 'Second step')['id'])
    events = api.get(f'/process-instances/{inst["id"]}/events')
    assert events.status == 200, events
    assert [(e['kind'], e['actor'], e['task_name']) for e in events.json] == [
        ('started', 'bob', None),
        ('task_completed', 'bob', 'First step'),
        ('task_completed', 'alice', 'Second step'),
        ('completed', 'alice', None)]
    for e in events.json:
        assert {'at', 'actor', 'kind', 'task_name', 'detail'} <= set(e)
        stamp(e['at'])
        assert isinstance(e['detail'], dict)
    ats = [stamp(e['at']) for e in events.json]
    assert ats == sorted(ats)
    assert events.json[1]['detail']['fields'] == ['note']
    assert events.json[2]['detail']['as_admin'] is True and events.json[1]['detail']['as_admin'] is False
    assert error_code(api.get('/process-instances/987654/events'), 404) == 'instance_not_found'


# -- the OpenAPI document -------------------------------------------------------------------------

CONTRACT = {  # API.md: process models, process instances, human tasks
    '/api/v1/process-models': {'get', 'post'},
    '/api/v1/process-models/{}/versions': {'get'},
    '/api/v1/process-instances': {'get', 'post'},
    '/api/v1/process-instances/{}': {'get'},
    '/api/v1/process-instances/{}/events': {'get'},
    '/api/v1/process-instances/{}/timers/fire': {'post'},
    '/api/v1/process-instances/{}/terminate': {'post'},
    '/api/v1/tasks': {'get'},
    '/api/v1/tasks/{}/claim': {'post'},
    '/api/v1/tasks/{}/unclaim': {'post'},
    '/api/v1/tasks/{}/complete': {'post'},
}
METHODS = {'get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'}


def refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == '$ref':
                yield v
            else:
                yield from refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from refs(v)


def test_openapi_document_covers_the_contract(api):
    r = api.get('/openapi.json', token=False)
    assert r.status == 200, r
    doc = r.json
    assert re.fullmatch(r'3\.\d+\.\d+', doc['openapi'])
    assert doc['info']['title'] and doc['info']['version']
    assert isinstance(doc['paths'], dict)

    found = {}
    for path, item in doc['paths'].items():
        assert path.startswith('/'), path
        operations = {m: op for m, op in item.items() if m in METHODS}
        assert operations, path
        params = set(re.findall(r'{(\w+)}', path))
        for method, op in operations.items():
            assert op['responses'], (path, method)
            for status, response in op['responses'].items():
                assert re.fullmatch(r'[1-5]\d\d|default', status), (path, method, status)
                assert response['description'], (path, method, status)
            declared = {p['name'] for p in op.get('parameters', []) + item.get('parameters', [])
                        if p.get('in') == 'path'}
            assert declared == params, (path, method, declared)
            for p in op.get('parameters', []):
                assert p.get('in') in ('path', 'query', 'header', 'cookie'), p
                assert p['in'] != 'path' or p.get('required') is True, p
        found[re.sub(r'{\w+}', '{}', path)] = set(operations)

    for path, methods in CONTRACT.items():
        assert path in found, f'{path} is not in the OpenAPI document'
        assert methods <= found[path], (path, found[path])

    schemes = doc['components']['securitySchemes']
    for path, item in doc['paths'].items():
        for method, op in item.items():
            for requirement in op.get('security', []) if method in METHODS else []:
                assert set(requirement) <= set(schemes), (path, method)
    assert schemes['bearer'] == {'type': 'http', 'scheme': 'bearer'}

    schemas = doc['components']['schemas']
    for ref in set(refs(doc)):
        assert ref.startswith('#/components/'), ref
        section, name = ref.split('/')[2:4]
        assert name in doc['components'][section], f'{ref} does not resolve'

    instance = schemas['Instance']['properties']
    assert {'id', 'model', 'version', 'status', 'data', 'ready_tasks', 'timers', 'message_waits', 'incidents',
            'started_at', 'ended_at'} <= set(instance)
    complete = doc['paths']['/api/v1/tasks/{task_id}/complete']['post']
    assert {'200', '401', '403', '404', '409', '422'} <= set(complete['responses'])
    deploy = doc['paths']['/api/v1/process-models']['post']
    assert 'multipart/form-data' in deploy['requestBody']['content']
    assert {'201', '413', '422'} <= set(deploy['responses'])
