"""The order pages through the Flask test client, signed in: list filters and export, who may
open what (403/404), the board, and the intake form's errors and success."""
import re

import pytest

from tests.support.api import shipped_bundle, wipe_tables

PASSWORD = 'password-123'


class Browser:
    def __init__(self, app, username, groups):
        from accounts.service import create_user
        with app.app_context():
            create_user(username, PASSWORD, groups)
        self.client = app.test_client()
        login = self.client.get('/auth/login').get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        answer = self.client.post('/auth/login', data={'csrf_token': token, 'username': username,
                                                       'password': PASSWORD})
        assert answer.status_code == 302
        page = self.client.get('/orders/').get_data(as_text=True)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data):
        return self.client.post(path, data={'csrf_token': self.token, **data})


@pytest.fixture
def shop(app):
    """Two customers and three orders, created through the order service."""
    from engine import deployments
    from engine.commands import Actor
    from orders import customers, service
    from orders.validation import CustomerIn, OrderIn
    with app.app_context():
        wipe_tables()
        for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
            deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
        seller = Actor('zhao.lei', ('sales',), '127.0.0.1')
        customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}), seller)
        customers.create_customer(CustomerIn().load({'code': 'NPL', 'name': 'Ningbo Port Logistics'}), seller)
        numbers = {}
        for key, title, customer, amount, type_, owner in (
                ('pump', 'Pump station retrofit', 'SWW', '460000', 'construction', 'zhao.lei'),
                ('roof', 'Warehouse roof repair', 'NPL', '150000', 'maintenance', 'zhao.lei'),
                ('mine', 'Filter hall design', 'SWW', '90000', 'design', 'liu.yang')):
            values = OrderIn().load({'title': title, 'customer': customer, 'type': type_, 'owner': owner,
                                     'line_items': [{'description': title, 'quantity': 1, 'unit': 'lot',
                                                     'unit_price': amount}]})
            order, _ = service.create_order(values, seller)
            numbers[key] = order.number
    yield numbers
    with app.app_context():
        wipe_tables()


def _numbers(html):
    return set(re.findall(r'data-number="([^"]+)"', html))


def test_list_filters_search_sort_and_export(app, shop):
    sales = Browser(app, 'zhao.lei', ['sales'])
    html = sales.get('/orders/').get_data(as_text=True)
    assert _numbers(html) == set(shop.values())
    assert _numbers(sales.get('/orders/?q=suzh').get_data(as_text=True)) == {shop['pump'], shop['mine']}
    assert _numbers(sales.get('/orders/?type=maintenance').get_data(as_text=True)) == {shop['roof']}
    assert _numbers(sales.get('/orders/?customer=NPL').get_data(as_text=True)) == {shop['roof']}
    assert _numbers(sales.get('/orders/?amount_min=100000&amount_max=200000').get_data(as_text=True)) == {shop['roof']}
    assert _numbers(sales.get('/orders/?owner=liu.yang').get_data(as_text=True)) == {shop['mine']}
    assert _numbers(sales.get('/orders/?stage=closed').get_data(as_text=True)) == set()
    assert _numbers(sales.get('/orders/?overdue=1').get_data(as_text=True)) == set()
    ordered = re.findall(r'data-number="([^"]+)"', sales.get('/orders/?sort=-amount').get_data(as_text=True))
    assert ordered == [shop['pump'], shop['roof'], shop['mine']]
    # htmx asks for the results only
    part = sales.get('/orders/?q=ningbo', headers={'HX-Request': 'true'}).get_data(as_text=True)
    assert '<html' not in part and _numbers(part) == {shop['roof']}
    # bad values are explained next to their field, not a 500; unknown choices are ignored
    bad = sales.get('/orders/?amount_min=lots&stage=nowhere&sort=evil')
    assert bad.status_code == 200 and 'Enter an amount of 0 or more.' in bad.get_data(as_text=True)
    assert 'export.csv?q=suzh' in sales.get('/orders/?q=suzh').get_data(as_text=True)
    csv = sales.get('/orders/export.csv?q=suzh')
    assert csv.status_code == 200 and csv.headers['X-Order-Count'] == '2'
    assert shop['pump'] in csv.get_data(as_text=True) and shop['roof'] not in csv.get_data(as_text=True)
    xlsx = sales.get('/orders/export.xlsx?type=maintenance')
    assert xlsx.status_code == 200 and xlsx.data[:2] == b'PK' and xlsx.headers['X-Order-Count'] == '1'
    assert sales.get('/orders/export.pdf').status_code == 404


def test_board_has_a_column_per_stage(app, shop):
    sales = Browser(app, 'zhao.lei', ['sales'])
    html = sales.get('/orders/board').get_data(as_text=True)
    assert html.count('class="board-column') == 9
    assert _numbers(html) == set(shop.values())
    assert _numbers(sales.get('/orders/board?q=ningbo').get_data(as_text=True)) == {shop['roof']}


def test_who_may_open_what(app, shop):
    requester = Browser(app, 'liu.yang', ['requester'])
    # not staff: sees the orders they own
    assert _numbers(requester.get('/orders/').get_data(as_text=True)) == {shop['mine']}
    assert requester.get(f"/orders/{shop['mine']}").status_code == 200
    assert requester.get('/orders/EO-1999-9999').status_code == 404
    # no part in the order's process and not its owner: 403
    engineer = Browser(app, 'sun.hao', ['site_engineer'])
    assert _numbers(engineer.get('/orders/').get_data(as_text=True)) == set()
    forbidden = engineer.get(f"/orders/{shop['pump']}")
    assert forbidden.status_code == 403 and 'You may not open this page' in forbidden.get_data(as_text=True)
    assert engineer.get('/orders/intake').status_code == 403
    assert engineer.post('/orders/intake', {'title': 'x'}).status_code == 403
    anonymous = app.test_client().get('/orders/')
    assert anonymous.status_code in (302, 401)


def test_order_page_shows_header_items_tasks_diagram_and_costs(app, shop):
    sales = Browser(app, 'zhao.lei', ['sales'])
    html = sales.get(f"/orders/{shop['pump']}").get_data(as_text=True)
    for text in ('Pump station retrofit', 'Suzhou Water Works', 'id="diagram"', 'Line items', 'Budget',
                 'Stage timeline', 'Audit trail', 'href="/tasks/'):
        assert text in html, text


def test_intake_form_keeps_input_and_shows_errors_then_creates(app, shop):
    sales = Browser(app, 'zhao.lei', ['sales'])
    assert sales.get('/orders/intake').status_code == 200
    answer = sales.post('/orders/intake', {
        'title': '', 'customer': 'Nobody Ltd', 'type': 'design', 'amount': 'abc',
        'line_items-0-description': 'Survey', 'line_items-0-quantity': '-2', 'line_items-0-unit': 'day',
        'line_items-0-unit_price': '500'})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422, html[-1500:]
    assert 'id="err-title"' in html and 'id="err-amount"' in html and 'id="err-line_items-0-quantity"' in html
    assert 'value="Survey"' in html and 'value="Nobody Ltd"' in html
    unknown = sales.post('/orders/intake', {
        'title': 'Survey', 'customer': 'Nobody Ltd', 'line_items-0-description': 'Survey',
        'line_items-0-quantity': '2', 'line_items-0-unit': 'day', 'line_items-0-unit_price': '500'})
    assert unknown.status_code == 422 and 'id="err-customer"' in unknown.get_data(as_text=True)
    created = sales.post('/orders/intake', {
        'title': 'Intake survey', 'customer': 'SWW', 'type': 'design', 'priority': 'high',
        'line_items-0-description': 'Survey', 'line_items-0-quantity': '2', 'line_items-0-unit': 'day',
        'line_items-0-unit_price': '500', 'line_items-3-description': 'Report', 'line_items-3-quantity': '1',
        'line_items-3-unit': 'lot', 'line_items-3-unit_price': '1,200'})
    assert created.status_code == 302
    page = sales.get(created.headers['Location']).get_data(as_text=True)
    assert 'Intake survey' in page and 'Report' in page and 'was created' in page
    with app.app_context():
        from orders.queries import order_view
        view = order_view(created.headers['Location'].rsplit('/', 1)[1])
        assert view['source'] == 'web' and view['amount'] == 2200 and len(view['line_items']) == 2
        assert view['instance_id']
