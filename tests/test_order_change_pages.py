"""The Change requests section of the order page through the Flask test client: the form for the
people who may ask for a change, its errors next to the fields with the input kept, a filed change
listed with its status, who may not file, and orders that take no change now."""
import re
from datetime import date

import pytest

from engine import commands
from engine.commands import Actor
from engine.models import HumanTask
from orders import signatures
from orders.models import OrderChange
from tests.support.api import shipped_bundle, wipe_tables
from tests.test_orders_pages import Browser

SALES = Actor('zhao.lei', ('sales',), '127.0.0.1')
PM = Actor('li.wei', ('project_manager',), '127.0.0.1')
DH = Actor('zhang.min', ('department_head',), '127.0.0.1')


def complete(instance_id, title, actor, data):
    row = HumanTask.query.filter_by(instance_id=instance_id, state='ready', title=title).one()
    commands.complete_task(row.id, data, actor)


@pytest.fixture
def orders(app):
    """Two orders of 460,000 CNY: one in execution, one waiting for its quotation."""
    from engine import deployments
    from orders import customers, service
    from orders.validation import CustomerIn, OrderIn
    with app.app_context():
        wipe_tables()
        deployments.deploy('order_lifecycle', shipped_bundle(), actor='tests')
        customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}), SALES)
        made = {}
        for key in ('running', 'new'):
            values = OrderIn().load({'title': f'Pump station {key}', 'customer': 'SWW', 'type': 'construction',
                                     'requested_date': '2027-03-31', 'line_items': [
                                         {'description': 'Pumps', 'quantity': 2, 'unit': 'set', 'unit_price': 230000}]})
            order, _ = service.create_order(values, SALES)
            made[key] = order.number
            if key == 'running':
                iid = order.instance_id
                complete(iid, 'Prepare quotation', SALES, {'quoted_amount': 460000, 'validity_days': 30})
                complete(iid, 'Project manager approval', PM, {'decision': 'approve'})
                complete(iid, 'Department head approval', DH, {'decision': 'approve'})
                complete(iid, 'Prepare contract', SALES, {'contract_number': 'HT-9', 'payment_terms': 'milestone'})
                signatures.record(order.number, {'signed_date': date(2026, 11, 20)}, SALES)
    yield made
    with app.app_context():
        wipe_tables()


def section(html):
    found = re.search(r'<section class="card changes".*?</section>', html, re.S)
    assert found, 'no Change requests section'
    return found.group(0)


def test_file_a_change_from_the_order_page(app, orders):
    sales = Browser(app, 'zhao.lei', ['sales'])
    number = orders['running']
    page = section(sales.get(f'/orders/{number}').get_data(as_text=True))
    assert 'No change requests.' in page and 'File a change request' in page

    # Without a scope, and with an amount that is not one: both marked, the input kept.
    answer = sales.post(f'/orders/{number}/changes', {'scope': ' ', 'reason': 'Load forecast raised',
                                                      'amount_delta': 'lots'})
    assert answer.status_code == 422
    page = section(answer.get_data(as_text=True))
    assert 'id="change-scope-error"' in page and 'id="change-amount_delta-error"' in page
    assert 'Load forecast raised</textarea>' in page and 'value="lots"' in page
    assert 'id="change-reason-error"' not in page
    # Taking the amount below zero is caught by the command, next to the field too.
    answer = sales.post(f'/orders/{number}/changes', {'scope': 'Smaller pumps', 'reason': 'Budget',
                                                      'amount_delta': '-500,000'})
    assert answer.status_code == 422 and "below 0" in section(answer.get_data(as_text=True))
    with app.app_context():
        assert OrderChange.query.count() == 0

    answer = sales.post(f'/orders/{number}/changes', {
        'scope': 'A third pump', 'reason': 'Load forecast raised', 'amount_delta': '600,000',
        'new_planned_end': '2027-08-31'})
    assert answer.status_code == 302 and answer.headers['Location'].endswith(f'/orders/{number}#changes')
    html = sales.get(f'/orders/{number}').get_data(as_text=True)
    assert 'the whole approval chain runs again' in html
    page = section(html)
    assert 'data-change="1" data-status="pending"' in page and 'Waiting for approval' in page
    assert 'A third pump' in page and 'Whole approval chain' in page
    assert 'Change 1 is waiting for its decision' in page and '<form' not in page
    assert 'Project manager approval' in html  # the change's approval is among the current tasks
    with app.app_context():
        change = OrderChange.query.one()
        assert (change.new_amount, str(change.new_planned_end), change.needs_reapproval) == (1060000, '2027-08-31', True)

    # A second change while the first waits: refused, and said so.
    answer = sales.post(f'/orders/{number}/changes', {'scope': 'Paint', 'reason': 'Rust'})
    assert answer.status_code == 409
    assert 'Another change is waiting for its decision' in section(answer.get_data(as_text=True))


def test_who_may_file_and_when(app, orders):
    engineer = Browser(app, 'sun.hao', ['site_engineer', 'executive'])
    assert 'File a change request' in section(engineer.get(f'/orders/{orders["running"]}').get_data(as_text=True))
    viewer = Browser(app, 'wang.fang', ['finance'])
    page = section(viewer.get(f'/orders/{orders["running"]}').get_data(as_text=True))
    assert 'File a change request' not in page and 'No change requests.' in page
    assert viewer.post(f'/orders/{orders["running"]}/changes', {'scope': 'x', 'reason': 'y'}).status_code == 403
    sales = Browser(app, 'zhao.lei', ['sales'])
    page = section(sales.get(f'/orders/{orders["new"]}').get_data(as_text=True))
    assert 'taken while the order is in execution' in page and '<form' not in page
    answer = sales.post(f'/orders/{orders["new"]}/changes', {'scope': 'x', 'reason': 'y'})
    assert answer.status_code == 409 and 'taken while the order is in execution' in answer.get_data(as_text=True)
    assert sales.post('/orders/EO-1999-0001/changes', {'scope': 'x', 'reason': 'y'}).status_code == 404


def test_the_section_in_chinese(app, orders):
    sales = Browser(app, 'zhao.lei', ['sales'])
    page = section(sales.get(f'/orders/{orders["running"]}', headers={'Accept-Language': 'zh-CN'})
                   .get_data(as_text=True))
    assert '变更申请' in page and 'Change requests' not in page
