"""The customer's signed contract arrives as the message `contract_signed`: after "Prepare contract"
the order waits at an event-based gateway (stage contract, no ready task) until the message for its
order number moves it to "Plan milestones" with the signing date in the data; a message for
another order, or for none, moves nothing; a bad payload is refused with its field; after the reminder timer,
sales chase the signature and the order waits again."""
import pytest

from tests.support.contracts import sign_contract, signed
from tests.test_order_changes import PM, new_order, people  # noqa: F401
from tests.test_orders_fixtures import orders_api  # noqa: F401


def sent_for_signature(people, amount=80000):
    """An order whose contract went to the customer: the lifecycle waits for the signature."""
    order = new_order(people, amount)
    iid = order['instance_id']
    people.do(people.sales, iid, 'Prepare quotation', {'quoted_amount': amount, 'validity_days': 30})
    people.approve(people.pm, iid, PM)
    done = people.do(people.sales, iid, 'Prepare contract', {'contract_number': 'HT-2026-031',
                                                             'payment_terms': 'net_30'})
    assert done['ready_tasks'] == []
    assert done['message_waits'] == [{'name': 'contract_signed', 'correlation': {'order_number': order['number']}}]
    assert [t['name'] for t in done['timers']] == ['Signature overdue']
    return order


def stage(people, number):
    return people.admin.get(f'/orders/{number}').json['stage']


def test_the_signature_moves_the_order_from_contract_to_execution(people):
    order = sent_for_signature(people)
    number, iid = order['number'], order['instance_id']
    other = sent_for_signature(people)
    assert stage(people, number) == 'contract'

    answer = signed(people.admin, number, '2026-11-20', signed_by='Wang Jun, purchasing', note='Signed in Suzhou')
    assert answer == {'delivered_to': [iid], 'started': []}
    inst = people.admin.instance(iid)
    assert [t['title'] for t in inst['ready_tasks']] == ['Plan milestones']
    assert inst['message_waits'] == [] and inst['timers'] == []
    data = inst['data']
    assert (data['signed_date'], data['signed_by'], data['signature_note']) == \
        ('2026-11-20', 'Wang Jun, purchasing', 'Signed in Suzhou')
    assert data['signature_recorded_by'] == people.admin.username
    assert data['contract_number'] == 'HT-2026-031' and data['payment_terms'] == 'net_30'
    assert stage(people, number) == 'execution'
    assert '2026-11-20' in inst['ready_tasks'][0]['instructions'], 'Plan milestones shows the signing date'
    kinds = [e['kind'] for e in people.admin.get(f'/process-instances/{iid}/events').json]
    assert 'message_received' in kinds

    assert stage(people, other['number']) == 'contract', 'the other order still waits'
    again = sign_contract(people.admin, number)
    assert again.status == 404 and again.json['error']['code'] == 'no_receiver'


def test_a_message_for_another_order_number_moves_nothing(people):
    order = sent_for_signature(people)
    r = sign_contract(people.admin, 'EO-1999-0001')
    assert r.status == 404 and r.json['error']['code'] == 'no_receiver'
    unnamed = people.admin.post('/messages/contract_signed', {'payload': {'signed_date': '2026-11-20'}})
    assert unnamed.status == 404 and unnamed.json['error']['code'] == 'no_receiver', 'no order number, no order'
    inst = people.admin.instance(order['instance_id'])
    assert inst['ready_tasks'] == [] and [w['name'] for w in inst['message_waits']] == ['contract_signed']
    assert 'signed_date' not in inst['data']


def test_the_order_number_may_come_in_the_payload(people):
    order = sent_for_signature(people)
    r = people.admin.post('/messages/contract_signed',
                          {'payload': {'signed_date': '2026-11-21', 'order_number': order['number']}})
    assert r.status == 200 and r.json['delivered_to'] == [order['instance_id']], r
    data = people.admin.instance(order['instance_id'])['data']
    assert data['signed_date'] == '2026-11-21' and data['signed_by'] is None


@pytest.mark.parametrize('payload, path', [
    ({}, 'payload/signed_date'),
    ({'signed_date': '20/11/2026'}, 'payload/signed_date'),
    ({'signed_date': '2026-02-30'}, 'payload/signed_date'),
    ({'signed_date': '2026-11-20', 'signed_by': 'x' * 201}, 'payload/signed_by'),
    ({'signed_date': '2026-11-20', 'stamp': 'red'}, 'payload/stamp'),
])
def test_a_bad_payload_is_refused_with_its_field_and_the_order_keeps_waiting(people, payload, path):
    order = sent_for_signature(people)
    r = people.admin.post('/messages/contract_signed', {'payload': payload,
                                                        'correlation': {'order_number': order['number']}})
    assert r.status == 422, r
    assert r.json['error']['code'] == 'invalid_request'
    assert [d['path'] for d in r.json['error']['details']] == [path]
    assert 'YYYY-MM-DD' in r.json['error']['message']
    inst = people.admin.instance(order['instance_id'])
    assert inst['status'] == 'waiting' and [w['name'] for w in inst['message_waits']] == ['contract_signed']


def test_after_the_reminder_sales_chase_the_signature_and_the_message_still_works(people):
    order = sent_for_signature(people)
    number, iid = order['number'], order['instance_id']
    fired = people.admin.post(f'/process-instances/{iid}/timers/fire', {})
    assert fired.status == 200, fired
    [chase] = fired.json['ready_tasks']
    assert chase['title'] == "Chase the customer's signature" and chase['lane'] == 'sales'
    assert 'HT-2026-031' in chase['instructions'] and 'P7D' in chase['instructions']
    assert fired.json['message_waits'] == [], 'the gateway waits no more while sales chase'
    assert stage(people, number) == 'contract'
    assert sign_contract(people.admin, number).status == 404

    assert people.pm.complete(chase['id'], {'chase_note': 'Called them.'}).status == 403
    empty = people.sales.complete(chase['id'], {'chase_note': '  '})
    assert empty.status == 422
    chased = people.do(people.sales, iid, "Chase the customer's signature",
                       {'chase_note': 'Called the purchasing manager: they sign on Friday.'})
    assert chased['ready_tasks'] == [] and [w['name'] for w in chased['message_waits']] == ['contract_signed']
    assert [t['name'] for t in chased['timers']] == ['Signature overdue'], 'the reminder is armed again'
    assert chased['data']['signature_chases'] == [{'note': 'Called the purchasing manager: they sign on Friday.',
                                                   'chased_by': 'zhao'}]
    assert stage(people, number) == 'contract'

    signed(people.admin, number, '2026-11-27', signed_by='Wang Jun')
    inst = people.admin.instance(iid)
    assert [t['title'] for t in inst['ready_tasks']] == ['Plan milestones'] and inst['timers'] == []
    assert inst['data']['signed_date'] == '2026-11-27'
    assert stage(people, number) == 'execution'
