"""The order pages in a browser: an order taken in through the web intake form, found by part of
its customer's name, seen on the board and opened with its lifecycle diagram, followed through its
approval, and changed: a change request that crosses 1,000,000 CNY runs the approval chain again up
to finance and, once approved, gives the order revision 2."""
import re

from playwright.sync_api import expect

from .conftest import screenshot, sign_in


def _customer(name, code):
    from engine.commands import Actor
    from orders import customers
    from orders.validation import CustomerIn
    customers.create_customer(CustomerIn().load({'code': code, 'name': name}), Actor('tests', ('admin',)))


def _board_stage(page, number):
    page.goto('/orders/board')
    card = page.locator(f'.board-card[data-number="{number}"]')
    expect(card).to_be_visible()
    return card.locator('xpath=ancestor::section[1]').get_attribute('data-stage')


def _do_task(page, number, title, fill=None, approve=False):
    """From the board to the order page, and from its current tasks to the task, done there."""
    _board_stage(page, number)
    page.locator(f'.board-card[data-number="{number}"]').get_by_role('link', name=number).click()
    expect(page.locator('h1')).to_contain_text(number)
    page.locator('#tasks-title + ul').get_by_role('link', name=title, exact=True).click()
    expect(page.locator('h1')).to_have_text(title)
    if fill:
        fill(page)
    page.get_by_role('button', name='Approve' if approve else 'Submit', exact=True).last.click()
    expect(page.locator('.notice-success')).to_contain_text(title)


def _quote(page):
    page.locator('#f-quoted_amount').fill('60000')


def _contract(page):
    page.locator('#f-contract_number').fill('HT-2026-0088')
    page.locator('#f-payment_terms').select_option('milestone')


def test_intake_search_board_and_order_page(people, new_context):
    _customer('Hangzhou Lakeside Offices', 'HLO')
    _customer('Suzhou Water Works', 'SWW')
    page = sign_in(new_context().new_page(), 'zhao.lei')
    page.locator('.mainnav').get_by_role('link', name='Orders').click()
    expect(page.locator('h1')).to_have_text('Orders')
    page.get_by_role('link', name='New order').click()
    expect(page.locator('h1')).to_have_text('New order')

    # Sent without a title: the error sits next to the field and the input is kept.
    page.locator('#f-customer').fill('HLO')
    page.locator('#f-type').select_option('construction')
    page.locator('#f-line_items-0-description').fill('Partition walls')
    page.locator('#f-line_items-0-quantity').fill('120')
    page.locator('#f-line_items-0-unit').fill('m2')
    page.locator('#f-line_items-0-unit_price').fill('-5')
    page.get_by_role('button', name='Create order').click()
    expect(page.locator('#err-title')).to_be_visible()
    expect(page.locator('#err-line_items-0-unit_price')).to_be_visible()
    expect(page.locator('#f-customer')).to_have_value('HLO')
    expect(page.locator('#f-line_items-0-description')).to_have_value('Partition walls')

    page.locator('#f-title').fill('Office fit-out, 3rd floor')
    page.locator('#f-line_items-0-unit_price').fill('350')
    page.get_by_role('button', name='+ Add line item').click()
    page.get_by_role('button', name='+ Add line item').click()
    expect(page.locator('.line-item')).to_have_count(3)
    page.locator('.line-item').nth(1).get_by_role('button', name='Remove').click()
    expect(page.locator('.line-item')).to_have_count(2)
    page.locator('#f-line_items-1-description').fill('Lighting')
    page.locator('#f-line_items-1-quantity').fill('1')
    page.locator('#f-line_items-1-unit').fill('lot')
    page.locator('#f-line_items-1-unit_price').fill('18000')
    page.get_by_role('button', name='Create order').click()
    expect(page.locator('.notice-success')).to_contain_text('was created')
    number = page.locator('.order-number').inner_text()
    assert re.fullmatch(r'EO-\d{4}-\d{4}', number)
    expect(page.locator('#items-title + table tbody tr')).to_have_count(2)

    # Found by part of the customer's name.
    page.locator('.mainnav').get_by_role('link', name='Orders').click()
    page.locator('#filter-q').fill('lakesi')
    page.locator('#filter-q').press('Enter')
    expect(page).to_have_url(re.compile(r'q=lakesi'))
    expect(page.locator('tbody tr')).to_have_count(1)
    expect(page.locator('tbody tr')).to_contain_text(number)
    expect(page.locator('tbody tr')).to_contain_text('Hangzhou Lakeside Offices')
    screenshot(page, 'orders-list.png')

    # On the board, in its stage's column.
    page.get_by_role('link', name='Board').click()
    card = page.locator(f'.board-card[data-number="{number}"]')
    expect(card).to_be_visible()
    expect(page.locator('.board-column')).to_have_count(9)
    stage = card.locator('xpath=ancestor::section[1]').get_attribute('data-stage')
    assert stage == 'quotation'  # entered complete: no "Order intake" task
    screenshot(page, 'orders-board.png')

    # The order page with its diagram and the current position marked.
    card.get_by_role('link', name=number).click()
    expect(page.locator('h1')).to_contain_text('Office fit-out, 3rd floor')
    expect(page.locator('#diagram')).to_have_attribute('data-ready', 'true')
    expect(page.locator('.djs-element.mark-current').first).to_be_visible()
    expect(page.locator('.stage-step.is-current')).to_have_count(1)
    expect(page.locator('#tasks-title + ul li a').first).to_be_visible()
    screenshot(page, 'order-page.png')

    # Through its approval, followed on the board and the order page, each step by its own role.
    _do_task(page, number, 'Prepare quotation', _quote)
    assert _board_stage(page, number) == 'approval'
    manager = sign_in(new_context().new_page(), 'li.wei')
    _do_task(manager, number, 'Project manager approval', approve=True)
    assert _board_stage(page, number) == 'contract'
    _do_task(page, number, 'Prepare contract', _contract)
    assert _board_stage(page, number) == 'contract'

    # The customer signs: sales record it on the order page, which said the order waits for it.
    page.goto(f'/orders/{number}')
    expect(page.locator('#signature')).to_contain_text("Waiting for the customer's signature")
    expect(page.locator('#signature')).to_contain_text('HT-2026-0088')
    page.get_by_role('button', name='Record the signed contract').click()
    expect(page.locator('#signature-signed_date-error')).to_be_visible()
    page.locator('#signature-signed_date').fill('2026-11-25')
    page.locator('#signature-signed_by').fill('Wang Jun')
    screenshot(page, 'order-signature.png')
    page.get_by_role('button', name='Record the signed contract').click()
    expect(page.locator('.notice-success')).to_contain_text('The signed contract was recorded')
    expect(page.locator('#signature')).to_have_count(0)
    assert _board_stage(page, number) == 'execution'

    # A change request crossing 1,000,000 CNY: the whole approval chain runs again, up to finance.
    page.goto(f'/orders/{number}')
    expect(page.locator('#changes')).to_contain_text('No change requests.')
    page.locator('#changes summary').click()
    page.locator('#change-scope').fill('Fit out the 4th floor as well')
    page.locator('#change-reason').fill('The tenant rented a second floor.')
    page.locator('#change-amount_delta').fill('1,000,000')
    page.locator('#change-new_planned_end').fill('2027-09-30')
    page.get_by_role('button', name='File change request').click()
    expect(page.locator('.notice-success')).to_contain_text('the whole approval chain runs again')
    change = page.locator('#changes tr[data-change="1"]')
    expect(change).to_contain_text('Waiting for approval')
    expect(change).to_contain_text('¥1,060,000.00')
    expect(page.locator('.page-actions')).to_contain_text('Execution')  # the order stays in its stage
    expect(page.locator('#tasks-title + ul')).to_contain_text('Project manager approval')
    expect(page.locator('#tasks-title + ul')).to_contain_text('Plan milestones')
    screenshot(page, 'order-change-filed.png')
    _do_task(manager, number, 'Project manager approval', approve=True)
    head = sign_in(new_context().new_page(), 'zhang.min')
    _do_task(head, number, 'Department head approval', approve=True)
    finance = sign_in(new_context().new_page(), 'wang.fang')
    _do_task(finance, number, 'Finance approval', approve=True)

    page.goto(f'/orders/{number}')
    expect(change).to_contain_text('Approved')
    expect(change).to_contain_text('Revision 2')
    expect(change).to_contain_text('Wang Fang')
    header = page.locator('.order-header')
    expect(header.locator('div', has=page.locator('dt', has_text='Revision')).locator('dd')).to_have_text('2')
    expect(header).to_contain_text('¥1,060,000.00')
    expect(page.locator('#tasks-title + ul li')).to_have_count(1)
    screenshot(page, 'order-change-applied.png')


def test_order_list_fits_a_phone(people, new_context):
    _customer('Suzhou Water Works', 'SWW')
    phone = new_context(viewport={'width': 390, 'height': 844}, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, 'zhao.lei')
    phone.goto('/orders/')
    expect(phone.locator('#filter-q')).to_be_visible()
    width = phone.evaluate('document.documentElement.scrollWidth')
    assert width <= 392, width
    phone.goto('/orders/intake')
    assert phone.evaluate('document.documentElement.scrollWidth') <= 392
