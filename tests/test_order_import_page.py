"""The import page through the Flask test client, signed in, with a real RQ worker: the upload is
checked and previewed without writing an order, the confirmed import runs on the worker with its
report, an import whose worker died is taken over without making any row twice, and bad files,
a second confirmation and other people's imports are refused."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from engine.db import db
from engine.models import Outbox, utcnow
from orders import import_jobs, service
from orders.models import IdempotencyKey, Order, OrderImport, OrderImportPart
from tests.test_orders_import import csv_bytes, good_row
from tests.test_orders_pages import Browser, shop  # noqa: F401
from tests.test_service_tasks import clean_queue, run_jobs


@pytest.fixture
def sales(app, shop):
    clean_queue(app)
    return Browser(app, 'zhou.min', ['sales'])


# The pages are requested outside any app context of the test's own (they would share its `g`,
# CSRF token included); the database is read in short contexts of its own.
def read(app, fn):
    with app.app_context():
        return fn()


def order_count(app):
    return read(app, lambda: db.session.execute(select(func.count()).select_from(Order)).scalar())


def get_import(app, import_id):
    def fetch():
        imp = import_jobs.get(import_id)
        imp.content  # noqa: B018 - loaded (it is deferred) before the row leaves its session
        db.session.expunge(imp)
        return imp
    return read(app, fetch)


def upload(browser, content, name='orders.csv'):
    return browser.client.post('/orders/import', data={'csrf_token': browser.token, 'file': (io.BytesIO(content), name)})


def import_id_of(answer):
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return int(re.search(r'/orders/imports/(\d+)$', answer.headers['Location']).group(1))


def sheet(good=3, bad=()):
    rows = [good_row(n) for n in range(1, good + 1)]
    for n in bad:
        rows.insert(n - 1, {**good_row(100 + n), 'customer': 'NOBODY', 'item_1_quantity': -2})
    return csv_bytes(rows)


def test_the_preview_lists_each_bad_row_and_writes_nothing_then_the_worker_imports_the_rest(app, sales):
    before = order_count(app)
    import_id = import_id_of(upload(sales, sheet(good=3, bad=(2,))))
    page = sales.get(f'/orders/imports/{import_id}').get_data(as_text=True)
    assert 'data-status="checked"' in page
    assert 'unknown customer &#34;NOBODY&#34;' in page or 'unknown customer "NOBODY"' in page
    assert 'item_1_quantity' in page and 'Import 3 orders' in page
    assert order_count(app) == before

    answer = sales.post(f'/orders/imports/{import_id}/confirm', {})
    assert answer.status_code == 302
    assert get_import(app, import_id).status == 'queued'
    assert order_count(app) == before  # the worker makes them
    run_jobs(app)

    imp = get_import(app, import_id)
    assert (imp.status, imp.imported, imp.invalid, imp.failed, imp.content) == ('done', 3, 1, 0, None)
    assert [o['row'] for o in imp.orders] == [2, 4, 5]  # sheet rows (the header is row 1)
    assert order_count(app) == before + 3
    page = sales.get(f'/orders/imports/{import_id}').get_data(as_text=True)
    assert 'data-status="done"' in page and 'hx-trigger' not in page
    for o in imp.orders:
        assert o['number'] in page
    report = sales.get(f'/orders/imports/{import_id}/report.csv').get_data(as_text=True)
    assert report.lstrip('\ufeff').splitlines()[0] == 'row,column,problem,order'
    assert 'NOBODY' in report and imp.orders[0]['number'] in report
    assert read(app, lambda: db.session.execute(select(Outbox.status).where(Outbox.key == f'import-{import_id}'))
                .scalar()) == 'done'


def test_the_rows_are_split_into_parts_that_keep_the_row_order_of_the_numbers(app, sales, monkeypatch):
    monkeypatch.setattr(import_jobs, '_part_rows', lambda: 2)  # (SQLite imports in one part)
    import_id = import_id_of(upload(sales, sheet(good=5, bad=(3,))))
    assert sales.post(f'/orders/imports/{import_id}/confirm', {}).status_code == 302
    run_jobs(app)
    imp = get_import(app, import_id)
    assert (imp.status, imp.parts, imp.parts_done, imp.imported, imp.invalid) == ('done', 3, 3, 5, 1)
    assert [o['row'] for o in imp.orders] == [2, 3, 5, 6, 7]
    numbers = [o['number'] for o in imp.orders]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert [p['row'] for p in imp.problems] == [4, 4]  # the bad row's customer and quantity


def test_a_part_whose_worker_died_is_taken_over_and_makes_each_row_once(app, sales, monkeypatch):
    before = order_count(app)
    import_id = import_id_of(upload(sales, sheet(good=5)))
    assert sales.post(f'/orders/imports/{import_id}/confirm', {}).status_code == 302
    assert read(app, lambda: import_jobs.work(import_id)) == 'split'
    real_start = service.start_order
    started = []

    def dies_after_two(*args, **kwargs):
        if len(started) == 2:
            raise SystemExit('worker killed')  # not an Exception: nothing catches it, as with SIGKILL
        started.append(1)
        return real_start(*args, **kwargs)

    monkeypatch.setattr(service, 'start_order', dies_after_two)
    with app.app_context(), pytest.raises(SystemExit):
        import_jobs.work_part(import_id, 1)
    monkeypatch.setattr(service, 'start_order', real_start)
    assert order_count(app) == before + 2
    assert get_import(app, import_id).status == 'running'

    # its heartbeat is fresh: someone may still be on it
    assert read(app, lambda: import_jobs.work_part(import_id, 1)) == 'skipped'

    def heartbeat_stops():
        table = OrderImportPart.__table__
        db.session.execute(update(table).where(table.c.import_id == import_id).values(
            heartbeat_at=utcnow() - import_jobs.STALE - timedelta(seconds=1)))
        db.session.commit()
    read(app, heartbeat_stops)
    run_jobs(app)  # the import's own job finds it split; the part's job takes the part over
    imp = get_import(app, import_id)
    assert (imp.status, imp.imported, imp.failed) == ('done', 5, 0)
    assert order_count(app) == before + 5
    assert len({o['number'] for o in imp.orders}) == 5
    keys = read(app, lambda: db.session.execute(select(func.count()).select_from(IdempotencyKey).where(
        IdempotencyKey.key.startswith(f'import-{import_id}-row-'))).scalar())
    assert keys == 5
    statuses = read(app, lambda: sorted(db.session.execute(select(Outbox.key, Outbox.status).where(
        Outbox.key.startswith(f'import-{import_id}'))).all()))
    assert statuses == [(f'import-{import_id}', 'done'), (f'import-{import_id}-part-1', 'done')]


def test_files_that_are_not_sheets_or_cannot_be_read_are_refused_with_a_reason(app, sales):
    answer = upload(sales, b'hello', 'notes.txt')
    assert answer.status_code == 422
    assert 'is not a .csv or .xlsx file' in answer.get_data(as_text=True)
    answer = upload(sales, b'PK\x03\x04 not really a workbook', 'orders.xlsx')
    assert answer.status_code == 422
    assert 'The file could not be read' in answer.get_data(as_text=True)
    answer = sales.client.post('/orders/import', data={'csrf_token': sales.token}, content_type='multipart/form-data')
    assert answer.status_code == 422 and 'Choose a .csv or .xlsx file' in answer.get_data(as_text=True)
    assert read(app, lambda: db.session.execute(select(func.count()).select_from(OrderImport)).scalar()) == 0


def test_a_discarded_or_started_import_cannot_be_confirmed_again(app, sales):
    first = import_id_of(upload(sales, sheet(good=1)))
    assert sales.post(f'/orders/imports/{first}/discard', {}).status_code == 302
    assert get_import(app, first).status == 'discarded' and get_import(app, first).content is None
    answer = sales.post(f'/orders/imports/{first}/confirm', {})
    assert answer.status_code == 409 and 'confirmed or discarded already' in answer.get_data(as_text=True)

    second = import_id_of(upload(sales, sheet(good=1)))
    assert sales.post(f'/orders/imports/{second}/confirm', {}).status_code == 302
    assert sales.post(f'/orders/imports/{second}/confirm', {}).status_code == 409
    assert read(app, lambda: db.session.execute(select(func.count()).select_from(Outbox)
                                                .where(Outbox.key == f'import-{second}')).scalar()) == 1


def test_only_order_takers_import_and_only_the_uploader_sees_an_import(app, sales):
    import_id = import_id_of(upload(sales, sheet(good=0, bad=(1,))))
    page = sales.get(f'/orders/imports/{import_id}').get_data(as_text=True)
    assert 'No row can be imported' in page and 'start-import' not in page
    assert sales.post(f'/orders/imports/{import_id}/confirm', {}).status_code == 422

    other = Browser(app, 'qian.hao', ['sales'])
    assert other.get(f'/orders/imports/{import_id}').status_code == 403
    assert other.post(f'/orders/imports/{import_id}/discard', {}).status_code == 403
    finance = Browser(app, 'sun.li', ['finance'])
    assert finance.get('/orders/import').status_code == 403
    assert upload(finance, sheet(good=1)).status_code == 403
    assert sales.get('/orders/import-template.xlsx').status_code == 200


def test_the_import_page_and_its_preview_speak_chinese(app, sales):
    import_id = import_id_of(upload(sales, sheet(good=2, bad=(1,))))
    page = sales.get(f'/orders/imports/{import_id}', headers={'Accept-Language': 'zh-CN'}).get_data(as_text=True)
    assert '导入' in page and 'Import 2 orders' not in page


def test_the_import_makes_what_the_preview_promised_less_rows_whose_customer_was_removed(app, sales):
    from engine.commands import Actor
    from orders import customers
    from orders.models import Customer
    from orders.validation import CustomerIn

    def add_customer(code, name):
        customers.create_customer(CustomerIn().load({'code': code, 'name': name}), Actor('tests', ('admin',)))
        db.session.commit()
    read(app, lambda: add_customer('TMP', 'Temporary Works'))
    rows = [good_row(1), {**good_row(2), 'customer': 'TMP'}, {**good_row(3), 'customer': 'LATE'}]
    import_id = import_id_of(upload(sales, csv_bytes(rows)))

    def remove_and_add():
        db.session.query(Customer).filter_by(code='TMP').delete()
        db.session.commit()
        add_customer('LATE', 'Late Customer')  # the row naming it was refused by the preview
    read(app, remove_and_add)
    assert sales.post(f'/orders/imports/{import_id}/confirm', {}).status_code == 302
    run_jobs(app)
    imp = get_import(app, import_id)
    assert (imp.status, imp.imported, imp.valid, imp.invalid) == ('done', 1, 1, 2)
    assert [o['row'] for o in imp.orders] == [2]
    assert {(p['row'], p['column']) for p in imp.problems} == {(3, 'customer'), (4, 'customer')}
    assert any('was removed after the upload' in p['problem'] for p in imp.problems)
