"""An order from intake through every approval level, each step by its own role in its own
browser, with screenshots of the inbox and the task page."""
import re

from playwright.sync_api import expect

from .conftest import screenshot, sign_in
from .orders import age, make_overdue, start_approval


def _order_id(page):
    return int(re.search(r'#(\d+)', page.locator('.breadcrumb').inner_text()).group(1))


def _open_task(page, order_id, title):
    row = page.locator('tbody tr', has=page.locator(f'a.order-no:text-is("#{order_id}")'))
    row.get_by_role('link', name=title).click()
    expect(page.locator('h1')).to_have_text(title)


def _fill_intake(page):
    page.locator('#f-title').fill('Substation expansion')
    page.locator('#f-customer').fill('Jiangsu Grid Services')
    page.get_by_label('Standard').check()
    page.get_by_label('Urgent').check()
    page.locator('#f-amount').fill('2400000')
    page.locator('#f-requested_date').fill('2027-03-31')
    page.locator('#f-description').fill('Two new 110 kV bays and a control room extension.')
    page.locator('#f-line_items-0-description').fill('110 kV bay equipment')
    page.locator('#f-line_items-0-quantity').fill('2')
    page.locator('#f-line_items-0-unit').fill('set')
    page.locator('#f-line_items-0-unit_price').fill('900000')
    page.get_by_role('button', name='+ Add line item').click()
    page.locator('#f-line_items-1-description').fill('Control room extension')
    page.locator('#f-line_items-1-quantity').fill('1')
    page.locator('#f-line_items-1-unit').fill('lot')
    page.locator('#f-line_items-1-unit_price').fill('600000')


def test_an_order_goes_through_every_approval_level(people, new_context):
    # Other orders waiting for the project manager, so the inbox has something to sort.
    age(start_approval('Pump station retrofit', 'Suzhou Water Works', 460000), days=3)
    make_overdue(start_approval('Office fit-out, 3rd floor', 'Hangzhou Lakeside Offices', 80000, urgency='urgent'))
    start_approval('Warehouse roof repair', 'Ningbo Port Logistics', 150000)

    requester = sign_in(new_context().new_page(), 'liu.yang')
    expect(requester.locator('.whoami')).to_contain_text('Liu Yang')
    requester.get_by_role('button', name='New order').click()
    expect(requester.locator('h1')).to_have_text('Order intake')
    order = _order_id(requester)
    _fill_intake(requester)
    requester.get_by_role('button', name='Submit', exact=True).last.click()
    expect(requester.locator('.notice-success')).to_contain_text('"Order intake" is completed')

    sales = sign_in(new_context().new_page(), 'zhao.lei')
    _open_task(sales, order, 'Prepare quotation')
    expect(sales.locator('#f-validity_days')).to_have_value('30')  # the schema's default
    sales.locator('#f-quoted_amount').fill('2400000')
    sales.locator('#f-quotation_notes').fill('Prices valid for 30 days.')
    sales.get_by_role('button', name='Submit', exact=True).last.click()
    expect(sales.locator('.notice-success')).to_be_visible()

    manager = sign_in(new_context(viewport={'width': 1366, 'height': 900}).new_page(), 'li.wei')
    expect(manager.locator('#count-groups')).to_have_text('4')
    manager.locator('#filter-sort').select_option('amount')
    expect(manager.locator('tbody tr').first).to_contain_text(f'#{order}')
    expect(manager.locator('tbody tr').first).to_contain_text('¥2,400,000.00')
    expect(manager.locator('tr.is-overdue')).to_contain_text('Overdue')
    expect(manager).to_have_url(re.compile(r'sort=amount'))
    screenshot(manager, 'inbox.png')
    _open_task(manager, order, 'Project manager approval')
    expect(manager.locator('.order-summary')).to_contain_text('Jiangsu Grid Services')
    expect(manager.locator('.instructions h3')).to_have_text('Substation expansion')
    manager.locator('#f-comment').fill('Scope and price agreed with the site team.')
    screenshot(manager, 'task.png')
    manager.get_by_role('button', name='Approve').click()
    expect(manager.locator('.notice-success')).to_contain_text('Project manager approval')

    for username, title in (('zhang.min', 'Department head approval'), ('wang.fang', 'Finance approval')):
        approver = sign_in(new_context().new_page(), username)
        _open_task(approver, order, title)
        approver.get_by_role('button', name='Approve').click()
        expect(approver.locator('.notice-success')).to_contain_text(title)

    requester.goto(f'/instances/{order}')
    expect(requester.locator('.task-list')).to_contain_text('Prepare contract')
    timeline = requester.locator('.timeline')
    for who in ('Li Wei', 'Zhang Min', 'Wang Fang'):
        expect(timeline).to_contain_text(who)
    expect(requester.locator('#diagram[data-ready=true]')).to_be_visible()
    assert requester.locator('.djs-element.mark-done').count() >= 2
    expect(requester.locator('.djs-element.mark-current')).to_have_count(1)
    expect(requester.locator('#data-title')).to_have_count(0)  # process data is for admins
    screenshot(requester, 'instance.png')


def test_the_inbox_is_usable_on_a_phone(people, new_context):
    make_overdue(start_approval('Office fit-out, 3rd floor', 'Hangzhou Lakeside Offices', 80000, urgency='urgent'))
    start_approval('Pump station retrofit', 'Suzhou Water Works', 460000)
    phone = new_context(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, 'li.wei')
    rows = phone.locator('tbody tr')
    expect(rows).to_have_count(2)
    assert phone.evaluate('document.documentElement.scrollWidth') <= 390  # no sideways scrolling
    phone.locator('#filter-sort').select_option('amount')  # htmx swaps the list in place
    expect(rows.first).to_contain_text('Pump station retrofit')
    rows.first.get_by_role('button', name='Claim').click()
    expect(phone.locator('#count-mine')).to_have_text('1')  # tab counts refreshed with the list
    expect(rows.first).to_contain_text('Release')
    expect(phone.locator('#filter-sort')).to_have_value('amount')  # the filters survive the refresh
    expect(rows.first).to_contain_text('Pump station retrofit')
    expect(phone).to_have_url(re.compile('sort=amount'))
    screenshot(phone, 'inbox-phone.png')
