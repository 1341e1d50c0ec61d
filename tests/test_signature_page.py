"""The signed contract on the order page through the Flask test client: while the order waits for
the customer's signature the page says so and sales (and admins) get a form that delivers the
`contract_signed` message; errors stand next to their fields with the input kept; an order that no
longer waits answers 409 with nothing changed; other people see the note but no form; Chinese."""
import re

import pytest

from engine import commands
from engine.commands import Actor
from engine.db import db
from engine.models import HumanTask, ProcessInstance
from orders import signatures
from orders.models import Order
from tests.support.api import ApiClient, shipped_bundle, wipe_tables
from tests.support.contracts import signed
from tests.test_orders_pages import Browser

SALES = Actor('zhao.lei', ('sales',), '127.0.0.1')
PM = Actor('li.wei', ('project_manager',), '127.0.0.1')


def complete(instance_id, title, actor, data):
    row = HumanTask.query.filter_by(instance_id=instance_id, state='ready', title=title).one()
    commands.complete_task(row.id, data, actor)


@pytest.fixture
def waiting(app):
    """An order of 90,000 CNY whose contract HT-2026-044 went to the customer: its number."""
    from engine import deployments
    from orders import customers, service
    from orders.validation import CustomerIn, OrderIn
    with app.app_context():
        wipe_tables()
        for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
            deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
        customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}), SALES)
        order, _ = service.create_order(OrderIn().load({
            'title': 'Filter hall design', 'customer': 'SWW', 'type': 'design', 'requested_date': '2027-03-31',
            'line_items': [{'description': 'Design', 'quantity': 1, 'unit': 'lot', 'unit_price': '90000'}]}), SALES)
        iid = order.instance_id
        complete(iid, 'Prepare quotation', SALES, {'quoted_amount': 90000, 'validity_days': 30})
        complete(iid, 'Project manager approval', PM, {'decision': 'approve'})
        complete(iid, 'Prepare contract', SALES, {'contract_number': 'HT-2026-044', 'payment_terms': 'net_30'})
        number = order.number
    yield number
    with app.app_context():
        wipe_tables()


def section(html):
    found = re.search(r'<section class="card signature".*?</section>', html, re.S)
    return found.group(0) if found else None


def lifecycle(app, number):
    with app.app_context():
        db.session.expire_all()
        order = Order.query.filter_by(number=number).one()
        inst = db.session.get(ProcessInstance, order.instance_id)
        ready = [t.title for t in HumanTask.query.filter_by(instance_id=inst.id, state='ready')]
        return order.stage, ready, dict(inst.data), signatures.waiting(inst.id)


def test_sales_record_the_signed_contract_on_the_order_page(app, waiting):
    number = waiting
    sales = Browser(app, 'zhao.lei', ['sales'])
    html = sales.get(f'/orders/{number}').get_data(as_text=True)
    page = section(html)
    assert page and "Waiting for the customer's signature" in page and 'HT-2026-044' in page
    assert 'sales are asked to chase it' in page
    assert 'name="signed_date"' in page and 'type="date"' in page and 'Record the signed contract' in page

    # No date, and a signer's name that is too long: both marked, what was typed kept.
    answer = sales.post(f'/orders/{number}/signature', {'signed_date': '', 'signed_by': 'x' * 201,
                                                        'note': 'Came back by courier'})
    assert answer.status_code == 422
    page = section(answer.get_data(as_text=True))
    assert 'id="signature-signed_date-error"' in page and 'id="signature-signed_by-error"' in page
    assert 'Came back by courier</textarea>' in page and 'id="signature-note-error"' not in page
    answer = sales.post(f'/orders/{number}/signature', {'signed_date': '2026-02-30'})
    assert answer.status_code == 422 and 'such as 2026-11-20' in section(answer.get_data(as_text=True))
    assert lifecycle(app, number)[3] is True, 'nothing was delivered'

    answer = sales.post(f'/orders/{number}/signature', {'signed_date': '2026-11-20', 'signed_by': 'Wang Jun',
                                                        'note': 'Came back by courier'})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stage, ready, data, still_waiting = lifecycle(app, number)
    assert (stage, ready, still_waiting) == ('execution', ['Plan milestones'], False)
    assert (data['signed_date'], data['signed_by'], data['signature_note'], data['signature_recorded_by']) == \
        ('2026-11-20', 'Wang Jun', 'Came back by courier', 'zhao.lei')
    html = sales.get(f'/orders/{number}').get_data(as_text=True)
    assert 'The signed contract was recorded' in html and section(html) is None

    # Sent again from a page opened before: 409, said in place, nothing changed.
    again = sales.post(f'/orders/{number}/signature', {'signed_date': '2026-11-21'})
    assert again.status_code == 409
    page = section(again.get_data(as_text=True))
    assert 'no longer waits for the customer' in page and 'name="signed_date"' not in page
    assert lifecycle(app, number)[2]['signed_date'] == '2026-11-20'


def test_the_integrators_message_and_the_page_are_the_same_signature(app, waiting):
    number = waiting
    signed(ApiClient(app).with_new_user('erp.bridge', groups=['sales']), number, '2026-11-19')
    assert lifecycle(app, number)[:2] == ('execution', ['Plan milestones'])
    sales = Browser(app, 'zhao.lei', ['sales'])
    assert sales.post(f'/orders/{number}/signature', {'signed_date': '2026-11-20'}).status_code == 409


def test_who_sees_the_form(app, waiting):
    number = waiting
    pm = Browser(app, 'li.wei', ['project_manager'])
    page = section(pm.get(f'/orders/{number}').get_data(as_text=True))
    assert "Waiting for the customer's signature" in page and '<form' not in page
    assert pm.post(f'/orders/{number}/signature', {'signed_date': '2026-11-20'}).status_code == 403
    admin = Browser(app, 'root', ['admin'])
    assert 'name="signed_date"' in section(admin.get(f'/orders/{number}').get_data(as_text=True))
    assert lifecycle(app, number)[3] is True


def test_the_section_in_chinese(app, waiting):
    sales = Browser(app, 'zhao.lei', ['sales'])
    zh = {'Accept-Language': 'zh-CN'}
    page = section(sales.get(f'/orders/{waiting}', headers=zh).get_data(as_text=True))
    for text in ('客户签署', '等待客户签署合同', '登记已签回的合同', '签署日期', '签署人'):
        assert text in page, text
    answer = sales.client.post(f'/orders/{waiting}/signature', data={'csrf_token': sales.token, 'signed_date': ''},
                               headers=zh)
    assert answer.status_code == 422 and '请填写客户签署的日期' in section(answer.get_data(as_text=True))
