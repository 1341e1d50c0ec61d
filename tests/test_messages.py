"""Messages through the REST API: delivery to the waiting instance whose correlation matches, message
start events, `no_receiver`, messages thrown in one instance routed to another, an interrupting
message boundary (a change request) and an event-based gateway racing a message against a timer."""
import os

import pytest

from tests.conftest import DATA
from tests.support.api import read_files

MESSAGES = os.path.join(DATA, 'messages')
ROUTING = os.path.join(DATA, 'message_routing')


def deploy(api, key, path):
    deployed = api.deploy(key, read_files(path))
    assert deployed.status == 201, deployed
    return deployed.json


def titles(inst):
    return [t['title'] for t in inst['ready_tasks']]


def send(api, name, payload=None, correlation=None):
    body = {'payload': payload or {}}
    if correlation is not None:
        body['correlation'] = correlation
    return api.post(f'/messages/{name}', body)


@pytest.fixture
def contracts(api):
    deploy(api, 'contract', os.path.join(MESSAGES, 'contract.bpmn'))
    return {no: api.start('contract', {'order_no': no}).json for no in ('EO-1', 'EO-2')}


def test_a_message_goes_only_to_the_instance_whose_correlation_matches(api, contracts):
    first, second = contracts['EO-1'], contracts['EO-2']
    for no, inst in contracts.items():
        assert inst['status'] == 'waiting' and inst['ready_tasks'] == []
        assert inst['message_waits'] == [{'name': 'contract_signed', 'correlation': {'order_no': no}}]

    sent = send(api, 'contract_signed', {'order_no': 'EO-2', 'signed_by': 'Zhang Min'}, {'order_no': 'EO-2'})
    assert sent.status == 200, sent
    assert sent.json == {'delivered_to': [second['id']], 'started': []}
    second = api.instance(second['id'])
    assert titles(second) == ['Start production'] and second['message_waits'] == []
    assert second['data']['contract'] == {'order_no': 'EO-2', 'signed_by': 'Zhang Min'}
    first = api.instance(first['id'])
    assert first['ready_tasks'] == [] and first['message_waits'][0]['correlation'] == {'order_no': 'EO-1'}
    kinds = [e['kind'] for e in api.get(f'/process-instances/{second["id"]}/events').json]
    assert 'message_received' in kinds

    again = send(api, 'contract_signed', {'order_no': 'EO-2'}, {'order_no': 'EO-2'})
    assert again.status == 404 and again.json['error']['code'] == 'no_receiver'
    nobody = send(api, 'contract_signed', {'order_no': 'EO-9'}, {'order_no': 'EO-9'})
    assert nobody.status == 404 and nobody.json['error']['code'] == 'no_receiver'
    assert api.instance(first['id'])['ready_tasks'] == []


def test_the_correlation_can_come_from_the_payload(api, contracts):
    """No "correlation" in the request: the property's retrieval expression reads the payload."""
    sent = send(api, 'contract_signed', {'order_no': 'EO-1', 'signed_by': 'Li'})
    assert sent.json['delivered_to'] == [contracts['EO-1']['id']]
    assert api.instance(contracts['EO-2']['id'])['ready_tasks'] == []


def test_a_message_starts_the_process_with_that_message_start_event(api):
    deploy(api, 'change_request', os.path.join(MESSAGES, 'change_request.bpmn'))
    payload = {'order_no': 'EO-4', 'change': 'plate thickness 12 mm'}
    sent = send(api, 'change_requested', payload)
    assert sent.status == 200, sent
    assert sent.json['delivered_to'] == [] and len(sent.json['started']) == 1
    inst = api.instance(sent.json['started'][0])
    assert inst['model'] == 'change_request' and titles(inst) == ['Assess change']
    assert inst['data']['change'] == payload
    second = send(api, 'change_requested', {'order_no': 'EO-5'})
    assert len(second.json['started']) == 1 and second.json['started'] != sent.json['started']
    assert api.get('/process-instances?model=change_request').json['total'] == 2


def test_a_message_nobody_takes_is_404_no_receiver(api):
    unknown = send(api, 'no_such_message', {'x': 1})
    assert unknown.status == 404 and unknown.json['error']['code'] == 'no_receiver'
    assert 'no_such_message' in unknown.json['error']['message']
    assert api.post('/messages/anything', {'payload': 'not an object'}).status in (400, 422)
    assert api.post('/messages/anything', {}, token=False).status == 401


def test_a_thrown_message_is_routed_to_the_instance_waiting_for_it(api):
    """The order throws "quote_requested" (it starts a supplier instance, correlated by order
    number); the supplier's end event throws "quote_ready", which reaches only its own order."""
    deploy(api, 'order_quote', os.path.join(ROUTING, 'order_quote.bpmn'))
    deploy(api, 'supplier_quote', os.path.join(ROUTING, 'supplier_quote.bpmn'))
    orders = {no: api.start('order_quote', {'order_no': no, 'item': item}).json
              for no, item in (('EO-10', 'steel beams'), ('EO-11', 'glass panes'))}
    for no, inst in orders.items():
        assert inst['status'] == 'waiting' and inst['ready_tasks'] == []
        assert inst['message_waits'] == [{'name': 'quote_ready', 'correlation': {'order_no': no}}]
    suppliers = {}
    for item in api.get('/process-instances?model=supplier_quote').json['items']:
        inst = api.instance(item['id'])
        assert titles(inst) == ['Prepare quote'], inst
        suppliers[inst['data']['request']['order_no']] = inst
    assert sorted(suppliers) == ['EO-10', 'EO-11']
    assert suppliers['EO-11']['data']['request'] == {'order_no': 'EO-11', 'item': 'glass panes'}

    done = api.complete(suppliers['EO-11']['ready_tasks'][0]['id'], {'price': 1250})
    assert done.status == 200 and done.json['status'] == 'completed'
    eleven, ten = api.instance(orders['EO-11']['id']), api.instance(orders['EO-10']['id'])
    assert titles(eleven) == ['Review quote'] and eleven['data']['quote'] == {'order_no': 'EO-11', 'price': 1250}
    assert ten['ready_tasks'] == [] and ten['message_waits'][0]['correlation'] == {'order_no': 'EO-10'}

    api.complete(suppliers['EO-10']['ready_tasks'][0]['id'], {'price': 800})
    ten = api.instance(orders['EO-10']['id'])
    assert titles(ten) == ['Review quote'] and ten['data']['quote']['price'] == 800
    for inst in (ten, eleven):
        assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'
    received = [e for e in api.get(f'/process-instances/{ten["id"]}/events').json if e['kind'] == 'message_received']
    assert len(received) == 1 and received[0]['detail']['message'] == 'quote_ready'


def test_a_change_request_interrupts_the_running_task(api):
    deploy(api, 'production', os.path.join(MESSAGES, 'production_change.bpmn'))
    running = api.start('production', {'order_no': 'EO-20'}).json
    other = api.start('production', {'order_no': 'EO-21'}).json
    [manufacture] = running['ready_tasks']
    sent = send(api, 'order_changed', {'order_no': 'EO-20', 'change': 'add a second coat'}, {'order_no': 'EO-20'})
    assert sent.json == {'delivered_to': [running['id']], 'started': []}
    inst = api.instance(running['id'])
    assert titles(inst) == ['Replan production'] and inst['data']['change']['change'] == 'add a second coat'
    late = api.complete(manufacture['id'])
    assert late.status == 409 and late.json['error']['code'] == 'task_not_ready'
    assert titles(api.instance(other['id'])) == ['Manufacture']
    assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'


def test_event_based_gateway_takes_the_timer_or_the_message(api):
    deploy(api, 'await_payment', os.path.join(MESSAGES, 'await_payment.bpmn'))
    late = api.start('await_payment', {'order_no': 'EO-30'}).json
    paid = api.start('await_payment', {'order_no': 'EO-31'}).json
    for inst in (late, paid):
        assert [t['name'] for t in inst['timers']] == ['Payment overdue']
        assert [w['name'] for w in inst['message_waits']] == ['payment_received']

    fired = api.post(f'/process-instances/{late["id"]}/timers/fire', {})
    assert fired.status == 200, fired
    assert titles(fired.json) == ['Send reminder']
    assert fired.json['timers'] == [] and fired.json['message_waits'] == []
    assert api.post(f'/process-instances/{late["id"]}/timers/fire', {}).status == 409

    sent = send(api, 'payment_received', {'amount': 5000})
    assert sent.json == {'delivered_to': [paid['id']], 'started': []}, 'the late order no longer listens'
    inst = api.instance(paid['id'])
    assert titles(inst) == ['Release order'] and inst['data']['payment'] == {'amount': 5000}
    assert inst['timers'] == [] and inst['message_waits'] == []
    assert api.post(f'/process-instances/{paid["id"]}/timers/fire', {}).status == 409
    for inst in (fired.json, inst):
        assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'



def test_a_message_starts_only_the_process_of_the_file_that_starts_with_it(api):
    deploy(api, 'delay_report', os.path.join(MESSAGES, 'delay_report.bpmn'))
    sent = send(api, 'order_delayed', {'order_no': 'EO-40', 'reason': 'steel late'})
    assert sent.status == 200, sent
    [started] = sent.json['started']
    inst = api.instance(started)
    assert inst['process_id'] == 'qa_review' and titles(inst) == ['Analyse the delay']


def test_a_thrown_message_starts_the_process_with_that_message_start_event(api):
    deploy(api, 'delay_report', os.path.join(MESSAGES, 'delay_report.bpmn'))
    reporter = api.start('delay_report', {'order_no': 'EO-41'}, process_id='delay_report').json
    done = api.complete(reporter['ready_tasks'][0]['id'], {'reason': 'steel late'})
    assert done.status == 200 and done.json['status'] == 'completed'
    items = api.get('/process-instances?model=delay_report').json['items']
    [qa] = [api.instance(i['id']) for i in items if i['id'] != reporter['id']]
    assert qa['process_id'] == 'qa_review' and titles(qa) == ['Analyse the delay']
    assert qa['data']['delay'] == {'order_no': 'EO-41', 'reason': 'steel late'}
