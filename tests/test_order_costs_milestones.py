"""Costs per category (budget vs actual, booked through the API and the order page) and milestones
that follow the lifecycle's plan and check-ins onto the order and its Gantt chart."""
import re
from datetime import date, timedelta

from orders.models import Order, OrderMilestone
from tests.support.contracts import signed
from tests.test_orders_fixtures import create_order, make_customer, orders_api  # noqa: F401
from tests.test_orders_pages import Browser, shop  # noqa: F401
from web.orders_ui import gantt

ANSWERS = {
    'Order intake': None,  # filled in from the order's own data when a lifecycle still asks for it
    'Prepare quotation': {'quoted_amount': 90000, 'validity_days': 30},
    'Project manager approval': {'decision': 'approve', 'comment': ''},
    'Prepare contract': {'contract_number': 'HT-2026-118', 'payment_terms': 'net_30'},
}


def book(api, number, **line):
    return api.post(f'/orders/{number}/costs', line)


def test_costs_per_category_follow_the_lines_booked(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    number = create_order(api, 'SWW')['number']
    assert book(api, number, category='material', kind='budget', amount=300000).status == 201
    assert book(api, number, category='labour', kind='budget', amount=100000).status == 201
    assert book(api, number, category='material', kind='actual', amount=320000, note='pumps').status == 201
    r = book(api, number, category='labour', kind='actual', amount=150000)
    assert r.status == 201, r
    by = {c['category']: c for c in r.json['categories']}
    assert list(by) == ['labour', 'material'], 'in the fixed category order'
    assert by['labour'] == {'category': 'labour', 'budget': 100000, 'actual': 150000, 'deviation': 50000,
                            'percent': 50.0, 'over': True}
    assert by['material']['over'] is False and by['material']['deviation'] == 20000  # 6.7 % <= 10 %
    assert [line['note'] for line in r.json['lines']][:3] == [None, None, 'pumps']

    order = api.get(f'/orders/{number}').json
    assert order['budget'] == 400000 and order['actual_cost'] == 470000
    assert order['cost_overrun'] is True and 'cost_overrun' in order['flags']

    correction = book(api, number, category='labour', kind='actual', amount=-60000, note='double booking')
    assert correction.status == 201
    assert api.get(f'/orders/{number}').json['cost_overrun'] is False  # 410,000 against 400,000


def test_bad_cost_lines_are_refused_with_the_field(orders_api):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    number = create_order(api, 'SWW')['number']
    bad = book(api, number, category='catering', kind='actual', amount='lots')
    assert bad.status == 422
    assert {d['path'] for d in bad.json['error']['details']} == {'category', 'amount'}
    assert book(api, number, category='labour', kind='actual', amount=0).json['error']['code'] == 'zero_cost'
    below = book(api, number, category='labour', kind='actual', amount=-5)
    assert below.status == 422 and below.json['error']['code'] == 'cost_below_zero'
    assert book(api, 'EO-1999-0001', category='labour', kind='actual', amount=5).status == 404
    engineer = api.as_user('wang.qiang', ['site_engineer'])
    assert book(engineer, number, category='labour', kind='actual', amount=500).status == 201
    refused = book(engineer, number, category='labour', kind='budget', amount=500)
    assert refused.status == 403 and 'finance' in refused.json['error']['message']
    assert len(api.get(f'/orders/{number}/costs').json['lines']) == 1, 'nothing of a refused line is kept'


def _answer(api, task, order):
    if task['title'] == 'Order intake':
        data = api.instance(order['instance_id'])['data']
        return {k: data[k] for k in ('title', 'customer', 'order_type', 'urgency', 'amount', 'line_items',
                                     'description', 'requested_date')}
    return ANSWERS[task['title']]


def _walk_to(api, order, title):
    for _ in range(10):
        ready = api.ready(order['instance_id'])
        if any(t['title'] == title for t in ready):
            return [t for t in ready if t['title'] == title][0]
        if not ready:  # the contract went to the customer: they sign it
            signed(api, order['number'])
            continue
        task = ready[0]
        r = api.complete(task['id'], _answer(api, task, order))
        assert r.status == 200, r
    raise AssertionError(f'"{title}" never became ready')


def test_planned_milestones_and_check_ins_reach_the_order(orders_api, db_session):
    api = orders_api
    make_customer(api, 'Suzhou Water Works', code='SWW')
    order = create_order(api, 'SWW', milestones=[{'name': 'Site survey', 'planned_end': '2026-12-01'}])
    plan = _walk_to(api, order, 'Plan milestones')
    r = api.complete(plan['id'], {'milestones': [{'name': 'Site survey', 'planned_date': '2026-12-05'},
                                                 {'name': 'Pumps installed', 'planned_date': '2027-01-20'}]})
    assert r.status == 200, r
    milestones = api.get(f'/orders/{order["number"]}').json['milestones']
    assert [(m['name'], m['planned_end'], m['actual_end']) for m in milestones] == [
        ('Site survey', '2026-12-05', None), ('Pumps installed', '2027-01-20', None)]

    checkin = api.ready_task(order['instance_id'], 'Milestone check-in')
    r = api.complete(checkin['id'], {'actual_date': '2026-12-09', 'progress_percent': 100, 'actual_cost': 12000})
    assert r.status == 200, r
    milestones = api.get(f'/orders/{order["number"]}').json['milestones']
    assert [m['actual_end'] for m in milestones] == ['2026-12-09', None]
    db_session.expire_all()
    order_id = db_session.query(Order.id).filter_by(number=order['number']).scalar()
    assert db_session.query(OrderMilestone).filter_by(order_id=order_id).count() == 2


def test_gantt_layout_marks_late_milestones_and_today():
    today = date(2026, 11, 22)
    rows = [{'name': 'Survey', 'planned_start': date(2026, 10, 1), 'planned_end': date(2026, 10, 20),
             'actual_start': None, 'actual_end': date(2026, 10, 25), 'late': True},
            {'name': 'Install', 'planned_start': None, 'planned_end': date(2026, 11, 15),
             'actual_start': None, 'actual_end': None, 'late': True},
            {'name': 'Handover', 'planned_start': None, 'planned_end': date(2027, 1, 10),
             'actual_start': None, 'actual_end': None, 'late': False}]
    chart = gantt.layout(rows, date(2026, 10, 1), today)
    survey, install, handover = chart['rows']
    assert survey['actual']['start'] == date(2026, 10, 1) and survey['actual']['end'] == date(2026, 10, 25)
    assert install['planned']['start'] == date(2026, 10, 20), 'starts where the previous milestone was planned to end'
    assert install['actual'] is None and install['overdue']['end'] == today
    assert handover['overdue'] is None and handover['late'] is False
    xs = [survey['planned']['x'], install['planned']['x'], handover['planned']['x']]
    assert xs == sorted(xs) and gantt.LABEL_WIDTH <= xs[0]
    assert handover['planned']['x'] + handover['planned']['width'] <= gantt.WIDTH
    assert survey['planned']['x'] < chart['today_x'] < handover['planned']['x'] + handover['planned']['width']
    assert [t['day'] for t in chart['ticks']] == [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1),
                                                 date(2027, 1, 1)]
    assert gantt.layout([], today=today) is None


def test_order_page_draws_the_gantt_and_books_costs(app, shop):
    from engine.db import db
    with app.app_context():
        order_id = db.session.query(Order.id).filter_by(number=shop['pump']).scalar()
        db.session.add_all([
            OrderMilestone(order_id=order_id, position=1, name='Site survey',
                           planned_end=date.today() - timedelta(days=5)),
            OrderMilestone(order_id=order_id, position=2, name='Handover',
                           planned_end=date.today() + timedelta(days=40))])
        db.session.commit()
    number = shop['pump']
    pm = Browser(app, 'sun.li', ['project_manager'])
    page = pm.get(f'/orders/{number}').get_data(as_text=True)
    assert page.count('class="gantt-row') == 2
    assert re.search(r'class="gantt-row is-late" data-milestone="Site survey"', page)
    assert 'class="gantt-overdue"' in page and 'class="gantt-today"' in page
    assert 'Book a cost line' in page

    bad = pm.post(f'/orders/{number}/costs', {'kind': 'actual', 'category': 'labour', 'amount': 'abc', 'note': 'x'})
    assert bad.status_code == 422, bad.get_data(as_text=True)[-1500:]
    html = bad.get_data(as_text=True)
    assert 'Enter an amount such as 1200.50' in html and 'value="abc"' in html and ' open>' in html
    ok = pm.post(f'/orders/{number}/costs', {'kind': 'budget', 'category': 'labour', 'amount': '1000', 'note': ''})
    assert ok.status_code == 302
    pm.post(f'/orders/{number}/costs', {'kind': 'actual', 'category': 'labour', 'amount': '1500', 'note': ''})
    page = pm.get(f'/orders/{number}').get_data(as_text=True)
    assert re.search(r'<tr class="is-over" data-category="labour">', page)

    viewer = Browser(app, 'zhou.min', ['sales'])
    assert 'Book a cost line' not in viewer.get(f'/orders/{number}').get_data(as_text=True)
    assert viewer.post(f'/orders/{number}/costs', {'kind': 'actual', 'category': 'labour',
                                                   'amount': '5'}).status_code == 403
