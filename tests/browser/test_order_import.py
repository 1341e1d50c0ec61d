"""The import page in a browser: a sheet with a bad row is uploaded, its preview names the row,
column and problem and writes nothing; the import is started, a real RQ worker runs it, and the
page, polling, shows the orders made, each a link to its order page."""
from playwright.sync_api import expect

from tests.test_orders_import import csv_bytes, good_row
from tests.test_service_tasks import clean_queue, run_jobs
from .conftest import screenshot, sign_in


def test_a_sheet_is_previewed_then_imported_by_a_worker_while_the_page_follows(app, people, new_context, tmp_path):
    from engine.commands import Actor
    from engine.db import db
    from orders import customers
    from orders.models import Order
    from orders.validation import CustomerIn
    customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}),
                              Actor('tests', ('admin',)))
    clean_queue(app)
    rows = [good_row(1), {**good_row(2), 'customer': 'Nobody Ltd'}, good_row(3)]
    path = tmp_path / 'orders.csv'
    path.write_bytes(csv_bytes(rows))

    page = sign_in(new_context().new_page(), 'zhao.lei')
    page.goto('/orders/')
    page.get_by_role('link', name='Import', exact=True).click()
    expect(page.locator('h1')).to_have_text('Import orders')
    page.locator('#f-file').set_input_files(path)
    page.get_by_role('button', name='Check the file').click()

    expect(page.locator('#import-state')).to_have_attribute('data-status', 'checked')
    problem = page.locator('.import-problems tbody tr').first
    expect(problem).to_contain_text('3')
    expect(problem).to_contain_text('customer')
    expect(problem).to_contain_text('unknown customer "Nobody Ltd"')
    screenshot(page, 'order-import-preview.png')
    db.session.rollback()
    assert db.session.query(Order).count() == 0

    page.get_by_role('button', name='Import 2 orders').click()
    expect(page.locator('#import-state')).to_have_attribute('data-status', 'queued')
    run_jobs(app)
    expect(page.locator('#import-state')).to_have_attribute('data-status', 'done')  # the page polled
    links = page.locator('.import-orders tbody a')
    expect(links).to_have_count(2)
    number = links.first.inner_text()
    screenshot(page, 'order-import-done.png')
    links.first.click()
    expect(page.locator('h1')).to_contain_text(number)
