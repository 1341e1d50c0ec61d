"""Change requests on running orders through the REST API: bad data answers 422 with field paths,
an order that cannot take a change answers 409 and nothing is written, a change within the order's
approval levels goes to the project manager and is applied with revision 2 and the previous values
kept (and the settlement uses the new amount), a change crossing 1,000,000 CNY runs the whole
approval chain again up to finance, and a rejected change leaves the order untouched."""
import re

import pytest

from engine.db import db
from engine.specs import spec_cache
from orders.models import Order, OrderChange
from tests.support.api import shipped_bundle
from tests.support.contracts import signed
from tests.test_orders_fixtures import LIFECYCLE, make_customer, order_body, orders_api  # noqa: F401

PM, DH, FIN = 'Project manager approval', 'Department head approval', 'Finance approval'


class People:
    """The admin client plus one user per group the lifecycle and its approvals need."""

    def __init__(self, api):
        self.admin = api
        self.sales = api.as_user('zhao', ['sales'])
        self.pm = api.as_user('li', ['project_manager'])
        self.dh = api.as_user('zhang', ['department_head'])
        self.finance = api.as_user('wang', ['finance'])
        self.engineer = api.as_user('sun', ['site_engineer'])
        self.service = api.as_user('zhou', ['customer_service'])
        self.requester = api.as_user('liu', ['requester'])

    def do(self, user, iid, title, data):
        task = self.admin.ready_task(iid, title)
        r = user.complete(task['id'], data)
        assert r.status == 200, r
        assert r.json['status'] != 'error', r.json['incidents']
        return r.json

    def approve(self, user, iid, title, comment='Agreed.'):
        return self.do(user, iid, title, {'decision': 'approve', 'comment': comment})


@pytest.fixture
def people(orders_api):
    make_customer(orders_api, 'Jiangsu Grid Services', code='JGS')
    return People(orders_api)


def new_order(people, amount, **extra):
    body = order_body('JGS', amount=amount, planned_start='2026-12-01', planned_end='2027-06-30', **extra)
    r = people.sales.post('/orders', body)
    assert r.status == 201, r
    return r.json


def to_execution(people, amount, **extra):
    """An order approved at its amount and under contract: "Plan milestones" is ready."""
    order = new_order(people, amount, **extra)
    iid = order['instance_id']
    people.do(people.sales, iid, 'Prepare quotation', {'quoted_amount': amount, 'validity_days': 30,
                                                       'quotation_notes': 'Prices valid for 30 days.'})
    people.approve(people.pm, iid, PM)
    if amount > 100000:
        people.approve(people.dh, iid, DH)
    if amount > 1000000:
        people.approve(people.finance, iid, FIN)
    people.do(people.sales, iid, 'Prepare contract', {'contract_number': 'HT-1', 'payment_terms': 'milestone'})
    signed(people.admin, order['number'])
    view = people.admin.get(f'/orders/{order["number"]}').json
    assert view['stage'] == 'execution', view
    return view


def file(people, number, user=None, **body):
    body.setdefault('scope', 'Add a second transformer bay')
    body.setdefault('reason', 'The grid operator raised the load forecast.')
    return (user or people.sales).post(f'/orders/{number}/changes', body)


def titles(people, iid):
    return sorted(t['title'] for t in people.admin.ready(iid))


def order_row(number):
    db.session.expire_all()
    return db.session.query(Order).filter_by(number=number).one()


# -- refusals ---------------------------------------------------------------------------------------

@pytest.mark.parametrize('body, path', [
    ({'scope': None}, 'scope'),
    ({'scope': '   '}, 'scope'),
    ({'reason': ''}, 'reason'),
    ({'amount_delta': 'a lot'}, 'amount_delta'),
    ({'amount_delta': True}, 'amount_delta'),
    ({'new_requested_date': '31/03/2027'}, 'new_requested_date'),
    ({'new_planned_end': '2027-02-30'}, 'new_planned_end'),
    ({'revision': 7}, 'revision'),
])
def test_bad_change_answers_422_with_the_field_path(people, body, path):
    order = new_order(people, 80000)
    body = {'scope': 'More cable', 'reason': 'Longer route', **body}
    body = {k: v for k, v in body.items() if v is not None}
    r = people.sales.post(f'/orders/{order["number"]}/changes', body)
    assert r.status == 422, r
    assert r.json['error']['code'] == 'invalid_request'
    assert path in {d['path'] for d in r.json['error']['details']}, r
    assert db.session.query(OrderChange).count() == 0


def test_values_that_do_not_fit_the_order_answer_422_and_write_nothing(people):
    order = to_execution(people, 80000)
    iid = order['instance_id']
    before = people.admin.instance(iid)
    r = file(people, order['number'], amount_delta=-80000.01)
    assert r.status == 422, r
    assert r.json['error']['details'] == [{'path': 'amount_delta',
                                           'message': 'would take the amount (80000.00) below 0'}]
    r = file(people, order['number'], new_planned_end='2026-11-30')
    assert r.status == 422 and r.json['error']['details'][0]['path'] == 'new_planned_end', r
    assert db.session.query(OrderChange).count() == 0
    assert people.admin.instance(iid)['ready_tasks'] == before['ready_tasks']


def test_an_order_outside_execution_answers_409_naming_its_stage(people):
    order = new_order(people, 80000)
    assert order['stage'] == 'quotation'
    r = file(people, order['number'], amount_delta=1000)
    assert r.status == 409, r
    assert r.json['error']['code'] == 'change_not_accepted'
    assert '"quotation"' in r.json['error']['message'] and 'execution' in r.json['error']['message']
    assert db.session.query(OrderChange).count() == 0
    assert titles(people, order['instance_id']) == ['Prepare quotation']
    assert people.admin.get(f'/orders/{order["number"]}/changes').json == []


def test_closed_unknown_and_foreign_orders(people):
    order = to_execution(people, 80000)
    assert file(people, 'EO-1999-0001').status == 404
    r = file(people, order['number'], user=people.engineer)
    assert r.status == 403 and 'may not' in r.json['error']['message'], r
    terminate = f'/process-instances/{order["instance_id"]}/terminate'
    assert people.admin.post(terminate, {'reason': 'cancelled'}).status == 200
    r = file(people, order['number'])
    assert r.status == 409 and r.json['error']['code'] == 'order_not_open', r


def test_an_order_on_a_lifecycle_version_without_change_requests_answers_409(people):
    bundle = shipped_bundle()
    old = re.sub(rb'<bpmn:subProcess id="change_request".*?</bpmn:subProcess>', b'', bundle['order_lifecycle.bpmn'],
                 flags=re.S)
    assert old != bundle['order_lifecycle.bpmn']
    without = {name: content for name, content in bundle.items() if name != 'change_order.bpmn'}
    assert people.admin.deploy(LIFECYCLE, {**without, 'order_lifecycle.bpmn': old}).status == 201
    order = to_execution(people, 80000)  # version 2: the shipped diagram (version 1) without change requests
    r = file(people, order['number'], amount_delta=1000)
    assert r.status == 409, r
    assert r.json['error']['code'] == 'lifecycle_without_changes'
    assert 'version 2 ' in r.json['error']['message']
    assert db.session.query(OrderChange).count() == 0


# -- approved, re-approved, rejected ------------------------------------------------------------------

def test_a_small_change_is_approved_by_the_project_manager_and_applied_as_revision_2(people):
    order = to_execution(people, 460000)
    number, iid = order['number'], order['instance_id']
    r = file(people, number, amount_delta=20000, new_requested_date='2027-05-31', new_planned_end='2027-07-31')
    assert r.status == 201, r
    change = r.json
    assert (change['sequence'], change['status'], change['needs_reapproval']) == (1, 'pending', False)
    assert (change['old_amount'], change['new_amount'], change['amount_delta']) == (460000, 480000, 20000)
    assert change['requested_by'] == 'zhao' and change['revision'] is None and change['previous'] is None

    # The approval runs beside execution: the order stays in its stage and shows both tasks.
    view = people.admin.get(f'/orders/{number}').json
    assert view['stage'] == 'execution' and view['revision'] == 1 and view['amount'] == 460000
    assert sorted(t['title'] for t in view['tasks']) == ['Approve change', 'Plan milestones']
    inbox = people.pm.get('/tasks?scope=groups').json
    approve = [t for t in inbox if t['title'] == 'Approve change']
    assert len(approve) == 1 and approve[0]['lane'] == 'project_manager'
    assert 'Add a second transformer bay' in approve[0]['instructions'] and '480000' in approve[0]['instructions']
    assert file(people, number).json['error']['code'] == 'change_pending'

    spec_cache._items.clear()  # decided by another process, whose specs never saw the message
    people.approve(people.pm, iid, 'Approve change', 'Within budget.')
    applied = people.admin.get(f'/orders/{number}/changes').json
    assert len(applied) == 1
    assert applied[0]['status'] == 'approved' and applied[0]['revision'] == 2
    assert applied[0]['decided_by'] == 'li' and applied[0]['decision_comment'] == 'Within budget.'
    assert applied[0]['previous'] == {'amount': 460000, 'requested_date': '2027-03-31', 'planned_end': '2027-06-30',
                                      'revision': 1}
    view = people.admin.get(f'/orders/{number}').json
    assert (view['amount'], view['revision'], view['stage']) == (480000, 2, 'execution')
    assert (view['requested_date'], view['planned_end']) == ('2027-05-31', '2027-07-31')
    assert [t['title'] for t in view['tasks']] == ['Plan milestones']

    # Later steps use the new amount: the settlement's margin is on 480,000.
    people.do(people.pm, iid, 'Plan milestones', {'milestones': [{'name': 'Bay energised',
                                                                  'planned_date': '2027-05-01'}]})
    people.do(people.engineer, iid, 'Milestone check-in', {'actual_date': '2027-04-28', 'progress_percent': 100,
                                                          'actual_cost': 400000})
    people.do(people.service, iid, 'Customer acceptance', {'accepted': True, 'acceptance_date': '2027-05-20'})
    done = people.do(people.finance, iid, 'Settlement', {'invoice_number': 'INV-1', 'invoiced_amount': 480000,
                                                          'paid': True, 'paid_date': '2027-06-10'})
    assert done['status'] == 'completed'
    assert done['data']['approved_amount'] == 480000 and done['data']['margin'] == 80000
    assert done['data']['requested_date'] == '2027-05-31'
    assert people.admin.get(f'/orders/{number}').json['stage'] == 'closed'


def test_orders_started_after_a_change_run_to_their_end(people):
    """SpiffWorkflow attaches a triggered event subprocess to the (shared) process spec: an order
    started after another one's change must still finish, without a change branch of its own."""
    changed = to_execution(people, 80000)
    assert file(people, changed['number'], amount_delta=1000).status == 201
    later = new_order(people, 50000)
    iid = later['instance_id']
    assert titles(people, iid) == ['Prepare quotation']
    people.do(people.sales, iid, 'Prepare quotation', {'quoted_amount': 50000, 'validity_days': 30})
    people.do(people.pm, iid, PM, {'decision': 'reject', 'comment': 'No budget this year.'})
    done = people.do(people.requester, iid, 'Revise order', {'revision_action': 'withdraw',
                                                              'revision_note': 'Postponed.'})
    assert done['status'] == 'completed' and done['ready_tasks'] == []
    assert people.admin.get(f'/orders/{later["number"]}').json['status'] == 'cancelled'


def test_a_change_crossing_one_million_runs_the_whole_approval_chain_again(people):
    order = to_execution(people, 900000)
    number, iid = order['number'], order['instance_id']
    r = file(people, number, amount_delta=200000)
    assert r.status == 201, r
    assert r.json['needs_reapproval'] is True and r.json['new_amount'] == 1100000
    assert titles(people, iid) == ['Plan milestones', PM]
    people.approve(people.pm, iid, PM)
    assert titles(people, iid) == [DH, 'Plan milestones']
    assert people.admin.get(f'/orders/{number}').json['stage'] == 'execution'
    people.approve(people.dh, iid, DH)
    assert titles(people, iid) == [FIN, 'Plan milestones']
    finance_task = people.admin.ready_task(iid, FIN)
    assert 'Change 1: Add a second transformer bay' in finance_task['instructions']
    assert '1100000' in finance_task['instructions']
    assert people.admin.get(f'/orders/{number}/changes').json[0]['status'] == 'pending'
    people.approve(people.finance, iid, FIN, 'Budget confirmed.')
    change = people.admin.get(f'/orders/{number}/changes').json[0]
    assert (change['status'], change['revision'], change['decided_by']) == ('approved', 2, 'wang')
    assert change['decision_comment'] == 'Budget confirmed.' and change['needs_reapproval'] is True
    assert change['previous']['amount'] == 900000
    view = people.admin.get(f'/orders/{number}').json
    assert (view['amount'], view['revision']) == (1100000, 2)
    assert titles(people, iid) == ['Plan milestones']

    # The next change starts from the new total: +50,000 stays within finance's level.
    second = file(people, number, amount_delta=50000, scope='Extra cable trays').json
    assert (second['sequence'], second['old_amount'], second['new_amount']) == (2, 1100000, 1150000)
    assert second['needs_reapproval'] is False and titles(people, iid) == ['Approve change', 'Plan milestones']


def test_a_rejected_change_leaves_the_order_untouched(people):
    order = to_execution(people, 460000)
    number, iid = order['number'], order['instance_id']
    before = people.admin.get(f'/orders/{number}').json
    assert file(people, number, amount_delta=-30000, new_planned_end='2027-09-30').status == 201
    people.do(people.pm, iid, 'Approve change', {'decision': 'reject', 'comment': 'Keep the original scope.'})
    change = people.admin.get(f'/orders/{number}/changes').json[0]
    assert (change['status'], change['decided_by'], change['decision_comment']) == \
        ('rejected', 'li', 'Keep the original scope.')
    assert change['revision'] is None and change['previous'] is None
    after = people.admin.get(f'/orders/{number}').json
    for field in ('amount', 'revision', 'planned_end', 'requested_date', 'stage'):
        assert after[field] == before[field], field
    assert titles(people, iid) == ['Plan milestones']
    # A new change may follow, from the unchanged amount.
    again = file(people, number, amount_delta=10000).json
    assert (again['sequence'], again['old_amount']) == (2, 460000)


def test_a_change_rejected_in_the_chain_and_withdrawn_by_the_requester(people):
    order = to_execution(people, 900000)
    number, iid = order['number'], order['instance_id']
    assert file(people, number, amount_delta=150000).json['needs_reapproval'] is True
    people.do(people.pm, iid, PM, {'decision': 'reject', 'comment': 'Too expensive for this year.'})
    people.do(people.requester, iid, 'Revise order', {'revision_action': 'withdraw', 'revision_note': 'Dropped.'})
    change = people.admin.get(f'/orders/{number}/changes').json[0]
    assert (change['status'], change['decided_by'], change['decision_comment']) == ('withdrawn', 'liu', 'Dropped.')
    view = people.admin.get(f'/orders/{number}').json
    assert (view['amount'], view['revision'], view['status']) == (900000, 1, 'open')
    assert titles(people, iid) == ['Plan milestones']


def test_terminating_the_lifecycle_withdraws_a_pending_change(people):
    order = to_execution(people, 80000)
    assert file(people, order['number'], amount_delta=5000).status == 201
    r = people.admin.post(f'/process-instances/{order["instance_id"]}/terminate', {'reason': 'customer withdrew'})
    assert r.status == 200, r
    change = people.admin.get(f'/orders/{order["number"]}/changes').json[0]
    assert change['status'] == 'withdrawn' and change['decided_at'] is not None and change['revision'] is None
    assert order_row(order['number']).revision == 1
