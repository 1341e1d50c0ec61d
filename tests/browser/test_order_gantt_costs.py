"""The order page's Gantt chart (a late milestone drawn in red) and its costs per category, with a
cost line booked through the page's form, in English and in Chinese."""
from datetime import date, timedelta

from playwright.sync_api import expect

from .conftest import screenshot, sign_in

RED = 'rgb(180, 35, 24)'  # --danger


def _order_with_milestones(db_session):
    from engine.commands import Actor
    from orders import customers, service
    from orders.models import Order, OrderMilestone
    from orders.validation import CustomerIn, OrderIn
    seller = Actor('zhao.lei', ('sales',), '127.0.0.1')
    customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}), seller)
    today = date.today()
    values = OrderIn().load({
        'title': 'Pump station retrofit', 'customer': 'SWW', 'type': 'construction',
        'planned_start': (today - timedelta(days=40)).isoformat(),
        'line_items': [{'description': 'Pumps', 'quantity': 2, 'unit': 'set', 'unit_price': 185000}],
        'milestones': [{'name': 'Site survey', 'planned_end': (today - timedelta(days=25)).isoformat()},
                       {'name': 'Pumps delivered', 'planned_end': (today - timedelta(days=5)).isoformat()},
                       {'name': 'Commissioning', 'planned_end': (today + timedelta(days=30)).isoformat()}]})
    order, _ = service.create_order(values, seller)
    survey = db_session.query(OrderMilestone).join(Order).filter(Order.number == order.number,
                                                                 OrderMilestone.name == 'Site survey').one()
    survey.actual_end = today - timedelta(days=27)
    db_session.commit()
    return order.number


def test_gantt_shows_late_milestones_and_costs_are_booked_per_category(people, new_context, db_session):
    number = _order_with_milestones(db_session)
    page = sign_in(new_context().new_page(), 'li.wei')
    page.goto(f'/orders/{number}')
    expect(page.locator('#diagram')).to_have_attribute('data-ready', 'true')  # a PM sees every order's diagram
    chart = page.locator('figure.gantt svg')
    expect(chart).to_be_visible()
    expect(chart.locator('.gantt-row')).to_have_count(3)
    on_time = chart.locator('.gantt-row[data-milestone="Site survey"]')
    late = chart.locator('.gantt-row[data-milestone="Pumps delivered"]')
    assert 'is-late' not in (on_time.get_attribute('class') or '')
    expect(late.locator('.gantt-overdue')).to_be_visible()
    assert late.locator('.gantt-overdue').evaluate('e => getComputedStyle(e).fill') == RED
    assert on_time.locator('.gantt-actual').evaluate('e => getComputedStyle(e).fill') != RED
    expect(chart.locator('.gantt-today')).to_have_count(1)

    # A budget line and an actual cost over it: the category's deviation turns red.
    page.locator('.cost-form summary').click()
    page.locator('#cost-kind').select_option('budget')
    page.locator('#cost-category').select_option('material')
    page.locator('#cost-amount').fill('300000')
    page.get_by_role('button', name='Book', exact=True).click()
    expect(page.locator('.notice-success')).to_contain_text('booked')
    page.locator('.cost-form summary').click()
    page.locator('#cost-kind').select_option('actual')
    page.locator('#cost-category').select_option('material')
    page.locator('#cost-amount').fill('abc')
    page.get_by_role('button', name='Book', exact=True).click()
    expect(page.locator('#cost-amount-error')).to_be_visible()
    expect(page.locator('#cost-amount')).to_have_value('abc')
    page.locator('#cost-amount').fill('365000')
    page.locator('#cost-note').fill('Pumps and valves')
    page.get_by_role('button', name='Book', exact=True).click()
    row = page.locator('.cost-table tr[data-category="material"]')
    expect(row).to_have_class('is-over')
    expect(row).to_contain_text('Over budget')
    screenshot(page, 'order-gantt-costs.png')

    zh = sign_in(new_context(locale='zh-CN').new_page(), 'li.wei')
    zh.goto(f'/orders/{number}')
    expect(zh.locator('#milestones-title')).to_have_text('里程碑')
    expect(zh.locator('.cost-table tr[data-category="material"] th')).to_have_text('材料')
    expect(zh.locator('.gantt-tick-label').first).to_contain_text('月')
