"""Orders and customers through the REST API: creating an order starts its lifecycle with the order
as process data, bad data answers 422 with field paths, retries with an Idempotency-Key never make
two orders, the list filters, sorts and pages, stage and status follow the lifecycle, risk flags,
and an order and its instance are written together or not at all."""
import os
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text, update

from engine.db import db
from engine.models import HumanTask, ProcessInstance, utcnow
from engine.sandbox import _watchdog
from orders import stages
from orders.models import Customer, Order, OrderCounter
from tests.conftest import DATA
from tests.support.api import ApiClient, Response
from tests.test_orders_fixtures import create_order, make_customer, order_body, orders_api  # noqa: F401

def post_with_key(api, body, key):
    headers = {'Authorization': f'Bearer {api.token}', 'Idempotency-Key': key}
    return Response(api.client.post('/api/v1/orders', json=body, headers=headers))


def details(response):
    assert response.status == 422, response
    return {d['path']: d['message'] for d in response.json['error']['details']}


def counts():
    return (db.session.query(Order).count(), db.session.query(ProcessInstance).count())


# -- creating -------------------------------------------------------------------------------------

def test_create_starts_the_lifecycle_with_the_order_as_process_data(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    r = api.post('/orders', order_body('SWW', budget=400000, site='Xiangcheng pumping station',
                                       milestones=[{'name': 'Pumps delivered', 'planned_end': '2027-01-15'}]))
    assert r.status == 201, r
    order = r.json
    assert order['number'] == f'EO-{utcnow().year}-0001'
    assert order['customer'] == {'code': 'SWW', 'name': 'Suzhou Water Works'}
    assert order['amount'] == 460000 and order['budget'] == 400000 and order['currency'] == 'CNY'
    # Entered complete through a channel: the lifecycle skips its "Order intake" task.
    assert order['stage'] == 'quotation' and order['status'] == 'open' and order['revision'] == 1
    assert [t['title'] for t in order['tasks']] == ['Prepare quotation']
    assert [i['total'] for i in order['line_items']] == [370000, 90000]
    assert order['milestones'][0]['planned_end'] == '2027-01-15'

    inst = api.instance(order['instance_id'])
    assert inst['model'] == 'order_lifecycle' and inst['status'] == 'waiting'
    data = inst['data']
    assert data['order_number'] == order['number'] and data['customer'] == 'Suzhou Water Works'
    assert data['amount'] == 460000 and isinstance(data['amount'], int)
    assert data['line_items'][0] == {'description': 'Centrifugal pump DN150', 'quantity': 2, 'unit': 'set',
                                     'unit_price': 185000}
    assert data['order_type'] == 'standard' and data['work_type'] == 'construction'
    assert data['requested_date'] == '2027-03-31' and data['intake_complete'] is True

    again = api.get(f'/orders/{order["number"]}')
    assert again.status == 200 and again.json == order


def test_numbers_follow_the_configured_format(orders_api, app, monkeypatch):
    make_customer(orders_api, 'Ningbo Port Logistics', code='NPL')
    monkeypatch.setitem(app.config, 'ORDER_NUMBER_FORMAT', 'WO/{year}/{seq:06d}')
    first = create_order(orders_api, 'NPL')['number']
    second = create_order(orders_api, 'NPL')['number']
    year = utcnow().year
    assert (first, second) == (f'WO/{year}/000001', f'WO/{year}/000002')
    assert orders_api.get(f'/orders/{second}').json['number'] == second


def test_amount_defaults_to_the_sum_of_the_line_items_and_decimals_are_kept(orders_api):
    make_customer(orders_api, 'Wuxi Textile Mill', code='WTM')
    order = create_order(orders_api, 'WTM', line_items=[
        {'description': 'Boiler tubes', 'quantity': '2.5', 'unit': 't', 'unit_price': '1234.56'}])
    assert order['amount'] == 3086.4
    assert orders_api.instance(order['instance_id'])['data']['line_items'][0]['quantity'] == 2.5


@pytest.mark.parametrize('change, path', [
    ({'title': 12}, 'title'),
    ({'title': ''}, 'title'),
    ({'amount': 'a lot'}, 'amount'),
    ({'amount': -5}, 'amount'),
    ({'requested_date': '31/03/2027'}, 'requested_date'),
    ({'type': 'spaceflight'}, 'type'),
    ({'currency': 'yuan'}, 'currency'),
    ({'line_items': []}, 'line_items'),
    ({'line_items': 'pumps'}, 'line_items'),
    ({'line_items': [{'description': 'Pump', 'quantity': -2, 'unit': 'set', 'unit_price': 10}]},
     'line_items/0/quantity'),
    ({'line_items': [{'description': 'Pump', 'quantity': 0, 'unit': 'set', 'unit_price': 10}]},
     'line_items/0/quantity'),
    ({'line_items': [{'description': 'Pump', 'quantity': 1, 'unit': 'set', 'unit_price': 10},
                     {'description': 'Valve', 'quantity': 'two', 'unit': 'pc', 'unit_price': 10}]},
     'line_items/1/quantity'),
    ({'line_items': [{'description': 'Pump', 'quantity': 1, 'unit': 'set', 'unit_price': -1}]},
     'line_items/0/unit_price'),
    ({'line_items': [{'description': 'Pump', 'quantity': True, 'unit': 'set', 'unit_price': 1}]},
     'line_items/0/quantity'),
    ({'line_items': [{'quantity': 1, 'unit': 'set', 'unit_price': 1}]}, 'line_items/0/description'),
    ({'planned_start': '2027-02-01', 'planned_end': '2027-01-01'}, 'planned_end'),
    ({'milestones': [{'name': 'Done'}]}, 'milestones/0/planned_end'),
    ({'approval_status': 'approved'}, 'approval_status'),
])
def test_bad_data_answers_422_with_the_field_path(orders_api, change, path):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    r = orders_api.post('/orders', order_body('SWW', **change))
    assert path in details(r), r
    assert r.json['error']['code'] == 'invalid_request'
    assert counts() == (0, 0)


def test_unknown_customer_answers_422(orders_api):
    r = orders_api.post('/orders', order_body('NOBODY'))
    assert details(r) == {'customer': 'unknown customer "NOBODY"'}
    assert r.json['error']['code'] == 'unknown_customer'
    assert counts() == (0, 0)


def test_customer_by_exact_name_and_an_ambiguous_name(orders_api):
    make_customer(orders_api, 'Jiangsu Grid Services', code='JGS')
    assert create_order(orders_api, 'jiangsu grid services')['customer']['code'] == 'JGS'
    make_customer(orders_api, 'Jiangsu Grid Services', code='JGS2')
    r = orders_api.post('/orders', order_body('Jiangsu Grid Services'))
    assert r.status == 422 and r.json['error']['code'] == 'ambiguous_customer'


def test_malformed_json_answers_400(orders_api):
    headers = {'Authorization': f'Bearer {orders_api.token}', 'Content-Type': 'application/json'}
    raw = orders_api.client.post('/api/v1/orders', data='{"title": ', headers=headers)
    assert raw.status_code == 400 and raw.get_json()['error']['code'] == 'malformed_json'


def test_a_token_is_required(orders_api):
    assert orders_api.get('/orders', token=False).status == 401
    assert orders_api.post('/orders', {}, token=False).status == 401


# -- idempotency ----------------------------------------------------------------------------------

def test_same_key_and_body_give_back_the_same_order(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    body = order_body('SWW')
    first = post_with_key(orders_api, body, 'erp-4711')
    again = post_with_key(orders_api, dict(reversed(list(body.items()))), 'erp-4711')
    assert first.status == 201 and again.status == 200, (first, again)
    assert again.json['number'] == first.json['number']
    assert counts() == (1, 1)


def test_same_key_with_another_body_answers_409(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    first = post_with_key(orders_api, order_body('SWW'), 'erp-4712')
    clash = post_with_key(orders_api, order_body('SWW', title='Something else'), 'erp-4712')
    assert clash.status == 409, clash
    assert clash.json['error']['code'] == 'idempotency_key_reused'
    assert clash.json['error']['details'] == {'order_number': first.json['number']}
    assert counts() == (1, 1)


def test_keys_are_per_user(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    bob = orders_api.as_user('bob', ['requester'])
    a = post_with_key(orders_api, order_body('SWW'), 'same-key')
    b = post_with_key(bob, order_body('SWW'), 'same-key')
    assert a.status == b.status == 201 and a.json['number'] != b.json['number']


def test_a_bad_idempotency_key_answers_422(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    assert post_with_key(orders_api, order_body('SWW'), 'k' * 201).status == 422


def _race(app, token, bodies, key):
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def run(i):
        client = ApiClient(app, token)
        barrier.wait()
        results[i] = post_with_key(client, bodies[i], key)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_idempotency_race_makes_one_order(orders_api, app):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    body = order_body('SWW')
    results = _race(app, orders_api.token, [body] * 6, 'race-key')
    assert sorted(r.status for r in results) == [200] * 5 + [201], results
    assert len({r.json['number'] for r in results}) == 1
    assert counts() == (1, 1)


def test_idempotency_race_with_different_bodies(orders_api, app):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    bodies = [order_body('SWW', title=f'Variant {i}') for i in range(4)]
    results = _race(app, orders_api.token, bodies, 'race-key-2')
    assert sorted(r.status for r in results) == [201, 409, 409, 409], results
    assert counts() == (1, 1)


# -- one transaction --------------------------------------------------------------------------------

def test_without_the_lifecycle_model_nothing_is_written_and_no_number_used(api):
    make_customer(api, 'Suzhou Water Works', code='SWW')
    r = api.post('/orders', order_body('SWW'))
    assert r.status == 404 and r.json['error']['code'] == 'model_not_found', r
    assert counts() == (0, 0)
    assert all(c.value == 0 for c in db.session.query(OrderCounter).all())


def test_a_failing_first_step_keeps_order_and_instance_together_in_error(api):
    with open(os.path.join(DATA, 'orders', 'failing_lifecycle.bpmn'), 'rb') as f:
        assert api.deploy('order_lifecycle', {'failing_lifecycle.bpmn': f.read()}).status == 201
    make_customer(api, 'Suzhou Water Works', code='SWW')
    r = api.post('/orders', order_body('SWW'))
    # engine/sandbox._run leaves its deadline armed when a script raises anything but
    # ScriptTimeout, so the watchdog would interrupt this thread a second later: disarm it.
    _watchdog.disarm()
    assert r.status == 201, r
    assert r.json['status'] == 'error' and r.json['instance_status'] == 'error'
    inst = api.instance(r.json['instance_id'])
    assert inst['status'] == 'error' and inst['incidents'] and 'no_such_variable' in inst['incidents'][0]['message']
    assert counts() == (1, 1)
    following = api.post('/orders', order_body('SWW'))
    _watchdog.disarm()
    assert following.json['number'] != r.json['number'] and counts() == (2, 2)


# -- the list ----------------------------------------------------------------------------------------

@pytest.fixture
def three_orders(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    make_customer(orders_api, 'Hangzhou Lakeside Offices', code='HLO')
    a = create_order(orders_api, 'SWW', title='Pump station retrofit', amount=460000, owner='li.wei')
    b = create_order(orders_api, 'HLO', title='Office fit-out', type='design', amount=80000, owner='zhao.lei',
                     line_items=[{'description': 'Partition walls', 'quantity': 120, 'unit': 'm2',
                                  'unit_price': 500}])
    c = create_order(orders_api, 'SWW', title='Valve replacement', type='maintenance', amount=150000,
                     owner='li.wei', requested_date='2026-12-01')
    return a, b, c


def numbers(response):
    assert response.status == 200, response
    return [o['number'] for o in response.json['items']]


def test_list_filters(orders_api, three_orders):
    a, b, c = (o['number'] for o in three_orders)
    api = orders_api
    assert numbers(api.get('/orders')) == [c, b, a]
    assert numbers(api.get('/orders?customer=SWW')) == [c, a]
    assert numbers(api.get('/orders?customer=hangzhou%20lakeside%20offices')) == [b]
    assert numbers(api.get('/orders?type=design')) == [b]
    assert numbers(api.get('/orders?type=design,maintenance')) == [c, b]
    assert numbers(api.get('/orders?owner=li.wei')) == [c, a]
    assert numbers(api.get('/orders?amount_min=100000')) == [c, a]
    assert numbers(api.get('/orders?amount_min=100000&amount_max=200000')) == [c]
    assert numbers(api.get('/orders?stage=quotation')) == [c, b, a]
    assert numbers(api.get('/orders?stage=intake,approval')) == []
    assert numbers(api.get('/orders?status=open')) == [c, b, a]
    assert numbers(api.get('/orders?overdue=false')) == [c, b, a]
    assert numbers(api.get('/orders?q=valve')) == [c]
    assert numbers(api.get('/orders?q=water&type=construction')) == [a]


def test_list_sorts_and_pages(orders_api, three_orders):
    a, b, c = (o['number'] for o in three_orders)
    api = orders_api
    assert numbers(api.get('/orders?sort=amount')) == [b, c, a]
    assert numbers(api.get('/orders?sort=-amount')) == [a, c, b]
    assert numbers(api.get('/orders?sort=number')) == [a, b, c]
    assert numbers(api.get('/orders?sort=customer')) == [b, a, c]
    page = api.get('/orders?sort=number&per_page=2&page=2').json
    assert [o['number'] for o in page['items']] == [c] and page['total'] == 3 and page['per_page'] == 2


@pytest.mark.parametrize('query, path', [
    ('stage=nowhere', 'stage'), ('status=lost', 'status'), ('sort=colour', 'sort'), ('amount_min=lots', 'amount_min'),
    ('per_page=0', 'per_page'), ('overdue=perhaps', 'overdue'), ('colour=red', 'colour')])
def test_bad_list_queries_answer_422(orders_api, query, path):
    r = orders_api.get(f'/orders?{query}')
    assert path in details(r)


def test_unknown_order_answers_404(orders_api):
    r = orders_api.get('/orders/EO-1999-9999')
    assert r.status == 404 and r.json['error']['code'] == 'order_not_found'


# -- stage, status and risk flags ----------------------------------------------------------------------

def to_approval(api, order):
    """Complete the quotation: the project manager's approval is ready, due in 2 days."""
    iid = order['instance_id']
    data = api.instance(iid)['data']
    quotation = {'quoted_amount': data['amount'], 'validity_days': 30, 'quotation_notes': 'ok'}
    assert api.complete(api.ready_task(iid, 'Prepare quotation')['id'], quotation).status == 200


def test_stage_follows_the_lifecycle(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    order = create_order(api, 'SWW')
    iid = order['instance_id']
    to_approval(api, order)
    view = api.get(f'/orders/{order["number"]}').json
    assert view['stage'] == 'approval' and [t['title'] for t in view['tasks']] == ['Project manager approval']
    assert numbers(api.get('/orders?stage=approval')) == [order['number']]
    assert api.post(f'/process-instances/{iid}/terminate', {'reason': 'customer withdrew'}).status == 200
    view = api.get(f'/orders/{order["number"]}').json
    assert (view['stage'], view['status']) == ('cancelled', 'cancelled')
    assert numbers(api.get('/orders?status=cancelled')) == [order['number']]


def test_stage_and_status_of_finished_and_idle_instances(orders_api):
    """Any change to the instance saved through the session updates its order, in that transaction."""
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    done, withdrawn, idle = (create_order(api, 'SWW', title=t) for t in ('Done', 'Withdrawn', 'Idle'))
    for order, status, data in ((done, 'completed', {'approval_status': 'approved'}),
                                (withdrawn, 'completed', {'approval_status': 'withdrawn'})):
        inst = db.session.get(ProcessInstance, order['instance_id'])
        inst.status, inst.data = status, {**inst.data, **data}
    db.session.execute(update(HumanTask).where(HumanTask.instance_id == idle['instance_id'])
                       .values(state='completed'))  # e.g. a service task runs: no ready task
    db.session.get(ProcessInstance, idle['instance_id']).status = 'running'
    db.session.commit()
    got = {o['title']: (o['stage'], o['status']) for o in api.get('/orders').json['items']}
    assert got == {'Done': ('closed', 'closed'), 'Withdrawn': ('cancelled', 'cancelled'),
                   'Idle': ('quotation', 'open')}
    assert numbers(api.get('/orders?stage=closed')) == [done['number']]
    assert numbers(api.get('/orders?status=cancelled')) == [withdrawn['number']]
    assert numbers(api.get('/orders?stage=quotation')) == [idle['number']]


def test_overdue_when_a_ready_task_or_a_milestone_is_past_due(orders_api, monkeypatch):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    approval = create_order(api, 'SWW', title='Waits for approval')
    late_milestone = create_order(api, 'SWW', title='Late milestone',
                                  milestones=[{'name': 'Design frozen', 'planned_end': '2020-01-31'}])
    on_time = create_order(api, 'SWW', title='On time', milestones=[{'name': 'Later', 'planned_end': '2099-01-01'}])
    to_approval(api, approval)
    view = api.get(f'/orders/{approval["number"]}').json
    due = datetime.fromisoformat(view['next_due_at'])
    assert view['tasks'][0]['title'] == 'Project manager approval' and view['tasks'][0]['due_at'] == view['next_due_at']
    assert timedelta(days=1, hours=23) < due - utcnow() <= timedelta(days=2)
    assert numbers(api.get('/orders?overdue=true')) == [late_milestone['number']]
    real_now = utcnow()
    monkeypatch.setattr(stages, 'utcnow', lambda: real_now + timedelta(days=3))  # the approval SLA has passed
    assert numbers(api.get('/orders?overdue=true')) == [late_milestone['number'], approval['number']]
    assert numbers(api.get('/orders?overdue=false')) == [on_time['number']]
    view = api.get(f'/orders/{approval["number"]}').json
    assert view['overdue'] is True and view['flags'] == ['overdue']


def test_cost_overrun_over_the_configured_percentage(orders_api, app, monkeypatch):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    within = create_order(api, 'SWW', title='Within', amount=100000)
    over = create_order(api, 'SWW', title='Over', amount=100000, budget=80000)
    db.session.execute(update(Order).where(Order.number == within['number']).values(actual_cost=109000))
    db.session.execute(update(Order).where(Order.number == over['number']).values(actual_cost=90000))
    db.session.commit()
    assert numbers(api.get('/orders?cost_overrun=true')) == [over['number']]
    view = api.get(f'/orders/{over["number"]}').json
    assert view['cost_overrun'] is True and view['actual_cost'] == 90000 and view['budget'] == 80000
    monkeypatch.setitem(app.config, 'ORDER_OVERRUN_PERCENT', 5)
    assert numbers(api.get('/orders?cost_overrun=true')) == [over['number'], within['number']]


def test_cost_overrun_reads_the_lifecycle_actual_cost(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    order = create_order(api, 'SWW', amount=100000)
    inst = db.session.get(ProcessInstance, order['instance_id'])
    inst.data = {**inst.data, 'total_actual_cost': 125000}
    db.session.commit()
    view = api.get(f'/orders/{order["number"]}').json
    assert view['actual_cost'] == 125000 and view['cost_overrun'] is True


# -- customers -----------------------------------------------------------------------------------------

def test_customers_keep_tax_and_bank_numbers_encrypted(orders_api):
    api = orders_api
    c = make_customer(api, '苏州水务集团', tax_number='91320500MA1XYZ123K', bank_name='ICBC Suzhou',
                      bank_account='1102 0203 0900 1234 567',
                      contacts=[{'name': 'Wang Fang', 'role': 'buyer', 'email': 'wang@sww.example.cn',
                                 'phone': '+86 512 1234 5678'}])
    assert c['code'] == 'C00001' and c['tax_number'] == '**************123K'
    assert c['bank_account'] == '*' * 19 + ' 567' and c['contacts'][0]['name'] == 'Wang Fang'
    raw = db.session.execute(text('SELECT tax_number, bank_account FROM customer')).one()
    assert 'MA1XYZ' not in raw[0] and ' ' not in raw[1] and raw[0].startswith('gAAAA')
    assert db.session.query(Customer).one().tax_number == '91320500MA1XYZ123K'
    listed = api.get('/customers?q=水务').json
    assert listed['total'] == 1 and listed['items'][0]['tax_number'] == '**************123K'


def test_customer_validation_and_duplicate_code(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    dup = api.post('/customers', {'name': 'Another', 'code': 'SWW'})
    assert dup.status == 409 and dup.json['error']['code'] == 'customer_exists'
    bad = api.post('/customers', {'name': '', 'code': 'has space', 'contacts': [{'name': 'X', 'email': 'nope'}]})
    assert set(details(bad)) == {'name', 'code', 'contacts/0/email'}


def test_the_openapi_document_lists_the_order_paths(orders_api):
    doc = orders_api.get('/openapi.json', token=False).json
    for path, method in [('/api/v1/orders', 'post'), ('/api/v1/orders', 'get'), ('/api/v1/orders/{number}', 'get'),
                         ('/api/v1/orders/import', 'post'), ('/api/v1/orders/import-template', 'get'),
                         ('/api/v1/orders/export', 'get'), ('/api/v1/customers', 'post'),
                         ('/api/v1/customers', 'get')]:
        assert method in doc['paths'][path], path
    body = doc['paths']['/api/v1/orders']['post']['requestBody']['content']['application/json']['schema']
    assert body['$ref'].endswith('/OrderIn')
    assert 'line_items' in doc['components']['schemas']['OrderIn']['properties']
