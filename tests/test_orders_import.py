"""Bulk import from CSV and XLSX: the template, a dry run that writes nothing, a per-row report of
bad rows (row, column, problem) while the good rows become orders with their lifecycle instances,
files that cannot be read, 10,000 rows with 50 bad ones, and export -> import round trips."""
import csv
import io
import random
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from engine.db import db
from engine.models import ProcessInstance
from orders.models import Order, OrderItem
from tests.support.api import Response
from tests.test_orders_fixtures import create_order, make_customer, orders_api  # noqa: F401

HEADER = ['title', 'customer', 'type', 'amount', 'requested_date', 'item_1_description', 'item_1_quantity',
          'item_1_unit', 'item_1_unit_price', 'item_2_description', 'item_2_quantity', 'item_2_unit',
          'item_2_unit_price']


def upload(api, content, name, dry_run=False):
    path = '/api/v1/orders/import' + ('?dry_run=1' if dry_run else '')
    raw = api.client.post(path, data={'file': (io.BytesIO(content), name)}, content_type='multipart/form-data',
                          headers={'Authorization': f'Bearer {api.token}'})
    return Response(raw)


def csv_bytes(rows, header=HEADER, delimiter=',', encoding='utf-8'):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, '') for c in header])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    book = Workbook(write_only=True)
    sheet = book.create_sheet('Orders')
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(c) for c in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_row(n, customer='SWW'):
    return {'title': f'Order {n}', 'customer': customer, 'type': 'maintenance', 'amount': 1000 + n,
            'requested_date': '2027-06-30', 'item_1_description': f'Inspection {n}', 'item_1_quantity': 2,
            'item_1_unit': 'day', 'item_1_unit_price': 500}


def counts():
    return (db.session.query(Order).count(),
            db.session.query(ProcessInstance).filter_by(model_key='order_lifecycle').count())


@pytest.fixture
def customers(orders_api):
    make_customer(orders_api, 'Suzhou Water Works', code='SWW')
    make_customer(orders_api, '杭州湖滨写字楼', code='HLO')
    return orders_api


# -- the template ----------------------------------------------------------------------------------

def test_csv_template_explains_itself_and_imports_as_empty(customers):
    r = customers.client.get('/api/v1/orders/import-template?format=csv',
                             headers={'Authorization': f'Bearer {customers.token}'})
    assert r.status_code == 200 and r.mimetype == 'text/csv'
    assert 'attachment' in r.headers['Content-Disposition'] and '.csv' in r.headers['Content-Disposition']
    text = r.get_data().decode('utf-8-sig')
    lines = text.splitlines()
    assert lines[0].startswith('# One row per order')
    header = next(line for line in lines if not line.startswith('#'))
    assert header.startswith('title,customer,type,') and 'item_3_unit_price' in header
    assert 'milestone_1_planned_end' in header
    report = upload(customers, r.get_data(), 'template.csv', dry_run=True)
    assert report.status == 200 and report.json['rows'] == 0 and report.json['problems'] == []


def test_xlsx_template_has_the_columns_and_instructions(customers):
    r = customers.client.get('/api/v1/orders/import-template?format=xlsx',
                             headers={'Authorization': f'Bearer {customers.token}'})
    assert r.status_code == 200 and r.mimetype.endswith('spreadsheetml.sheet')
    book = load_workbook(io.BytesIO(r.get_data()), read_only=True)
    assert book.sheetnames == ['Orders', 'Instructions']
    header = next(book['Orders'].iter_rows(values_only=True))
    assert header[:3] == ('title', 'customer', 'type') and 'item_1_quantity' in header
    notes = [row[0] for row in book['Instructions'].iter_rows(values_only=True) if row and row[0]]
    assert 'item_N_quantity' in notes and any('dry_run' in n for n in notes)
    assert customers.get('/orders/import-template?format=pdf').status == 422


# -- bad rows, dry run ---------------------------------------------------------------------------------

BAD_ROWS = [
    ({'item_1_quantity': -3}, 'item_1_quantity'),
    ({'item_1_quantity': 'three'}, 'item_1_quantity'),
    ({'customer': 'NOBODY'}, 'customer'),
    ({'amount': '12,5 yuan'}, 'amount'),
    ({'amount': -1}, 'amount'),
    ({'requested_date': '30.06.2027'}, 'requested_date'),
    ({'title': ''}, 'title'),
    ({'type': 'spaceflight'}, 'type'),
    ({'item_2_description': 'Valve', 'item_2_quantity': 1, 'item_2_unit': 'pc', 'item_2_unit_price': -9},
     'item_2_unit_price'),
    ({'item_2_description': 'Valve', 'item_2_unit': 'pc', 'item_2_unit_price': 9}, 'item_2_quantity'),
    ({'item_1_description': '', 'item_1_quantity': '', 'item_1_unit': '', 'item_1_unit_price': ''},
     'item_1_description'),
]


def mixed_rows():
    rows = [good_row(n) for n in range(1, 4)]
    for change, _ in BAD_ROWS:
        rows.append({**good_row(len(rows) + 1), **change})
    rows.append(good_row(len(rows) + 1, customer='杭州湖滨写字楼'))
    return rows


@pytest.mark.parametrize('fmt', ['csv', 'xlsx'])
def test_dry_run_reports_each_bad_row_and_writes_nothing(customers, fmt):
    content = csv_bytes(mixed_rows()) if fmt == 'csv' else xlsx_bytes(mixed_rows())
    r = upload(customers, content, f'orders.{fmt}', dry_run=True)
    assert r.status == 200, r
    report = r.json
    assert report['dry_run'] is True
    assert (report['rows'], report['valid'], report['invalid'], report['imported']) == (15, 4, 11, 0)
    by_row = {(p['row'], p['column']) for p in report['problems']}
    expected = {(5 + i, column) for i, (_, column) in enumerate(BAD_ROWS)}
    assert expected <= by_row, sorted(by_row - expected)
    assert {p['row'] for p in report['problems']} == {5 + i for i in range(len(BAD_ROWS))}
    assert all(p['problem'] for p in report['problems'])
    assert counts() == (0, 0)


def test_import_makes_the_good_rows_whole_and_reports_the_bad(customers):
    r = upload(customers, csv_bytes(mixed_rows()), 'orders.csv')
    assert r.status == 200, r
    report = r.json
    assert (report['valid'], report['invalid'], report['imported'], report['failed']) == (4, 11, 4, 0)
    assert [o['row'] for o in report['orders']] == [2, 3, 4, 16]
    assert counts() == (4, 4)
    order = customers.get(f'/orders/{report["orders"][-1]["number"]}').json
    assert order['customer']['name'] == '杭州湖滨写字楼' and order['source'] == 'import'
    assert order['line_items'] == [{'description': 'Inspection 15', 'quantity': 2, 'unit': 'day', 'unit_price': 500,
                                    'total': 1000}]
    assert order['amount'] == 1015 and order['stage'] == 'quotation'  # imported whole: no intake task
    assert customers.instance(order['instance_id'])['data']['order_number'] == order['number']


def test_semicolon_csv_in_gb18030_from_excel(customers):
    rows = [good_row(1, customer='杭州湖滨写字楼'), good_row(2)]
    r = upload(customers, csv_bytes(rows, delimiter=';', encoding='gb18030'), 'orders.csv')
    assert r.status == 200 and r.json['imported'] == 2, r


@pytest.mark.parametrize('content, name, fragment', [
    (b'title,customer,colour\nx,SWW,red\n', 'orders.csv', 'Unknown column(s): colour'),
    (b'title,title,customer\n', 'orders.csv', 'appears twice'),
    (b'amount\n5\n', 'orders.csv', '"title" and "customer"'),
    (b'', 'orders.csv', 'no header'),
    (b'PK\x03\x04 not really a workbook', 'orders.xlsx', 'not a readable XLSX'),
    (b'title,customer\n', 'orders.txt', 'not a .csv or .xlsx'),
])
def test_files_that_cannot_be_read_answer_422(customers, content, name, fragment):
    r = upload(customers, content, name)
    assert r.status == 422, r
    assert fragment in r.json['error']['message']
    assert counts() == (0, 0)


def test_an_import_over_the_size_limit_answers_413(customers, app, monkeypatch):
    monkeypatch.setitem(app.config, 'ORDER_IMPORT_MAX_BYTES', 1000)
    r = upload(customers, csv_bytes([good_row(n) for n in range(50)]), 'orders.csv')
    assert r.status == 413, r
    assert counts() == (0, 0)


def test_import_needs_a_multipart_file(customers):
    assert customers.post('/orders/import', {}).status == 400
    raw = customers.client.post('/api/v1/orders/import', data={'other': 'x'}, content_type='multipart/form-data',
                                headers={'Authorization': f'Bearer {customers.token}'})
    assert raw.status_code == 422


def test_import_without_the_lifecycle_model_answers_404_and_writes_nothing(api):
    make_customer(api, 'Suzhou Water Works', code='SWW')
    r = upload(api, csv_bytes([good_row(1)]), 'orders.csv')
    assert r.status == 404 and r.json['error']['code'] == 'model_not_found'
    assert counts() == (0, 0)


# -- 10,000 rows ---------------------------------------------------------------------------------------

@pytest.mark.slow  # about 45 s on SQLite, over 2 minutes on PostgreSQL on a 2-CPU machine
def test_ten_thousand_rows_with_fifty_bad_ones(customers):
    rng = random.Random(6)
    rows = [good_row(n, customer=('SWW', '杭州湖滨写字楼', 'HLO')[n % 3]) for n in range(1, 10_001)]
    for n, row in enumerate(rows):
        if n % 4 == 0:
            row.update(item_2_description=f'Spare parts {n}', item_2_quantity=1.5, item_2_unit='set',
                       item_2_unit_price=99.9)
    bad = sorted(rng.sample(range(10_000), 50))
    spoilers = [{'item_1_quantity': -1}, {'customer': 'UNKNOWN-CO'}, {'item_1_unit_price': 'n/a'},
                {'title': None}, {'requested_date': 'tomorrow'}]
    for k, index in enumerate(bad):
        rows[index].update(spoilers[k % len(spoilers)])
    content = xlsx_bytes(rows)
    started = time.monotonic()
    r = upload(customers, content, 'ten-thousand.xlsx')
    elapsed = time.monotonic() - started
    assert r.status == 200, r
    report = r.json
    assert (report['rows'], report['invalid'], report['imported'], report['failed']) == (10_000, 50, 9_950, 0)
    assert sorted({p['row'] for p in report['problems']}) == [i + 2 for i in bad]
    assert counts() == (9_950, 9_950)
    linked = db.session.execute(select(func.count()).select_from(Order).join(
        ProcessInstance, ProcessInstance.id == Order.instance_id).where(ProcessInstance.status == 'waiting')).scalar()
    assert linked == 9_950
    assert db.session.query(OrderItem).count() == 9_950 + sum(
        1 for n in range(10_000) if n % 4 == 0 and n not in set(bad))
    print(f'\n10,000-row import: {elapsed:.1f} s')


# -- export round trip ----------------------------------------------------------------------------------

def exported(api, query):
    raw = api.client.get(f'/api/v1/orders/export?{query}', headers={'Authorization': f'Bearer {api.token}'})
    assert raw.status_code == 200, raw.get_data(as_text=True)
    return raw


COMPARED = ('title', 'type', 'order_type', 'site', 'project', 'department', 'cost_center', 'owner', 'priority',
            'urgency', 'currency', 'amount', 'budget', 'description', 'requested_date', 'planned_start',
            'planned_end', 'line_items', 'milestones', 'customer')


@pytest.mark.parametrize('fmt', ['csv', 'xlsx'])
def test_export_imports_again_as_the_same_orders(customers, fmt):
    api = customers
    originals = [
        create_order(api, 'SWW', title='Pump station retrofit', site='Xiangcheng', project='Water 2027',
                     department='Engineering', cost_center='CC-100', priority='high', urgency='urgent',
                     order_type='emergency', budget=400000, planned_start='2027-01-01', planned_end='2027-03-01',
                     milestones=[{'name': 'Pumps delivered', 'planned_start': '2027-01-05',
                                  'planned_end': '2027-01-20'}, {'name': 'Commissioned', 'planned_end': '2027-02-28'}],
                     description='Two pumps, "quoted" text, commas, and a line\nbreak'),
        create_order(api, 'HLO', title='写字楼三层装修', type='design', line_items=[
            {'description': '玻璃隔断', 'quantity': 120.5, 'unit': 'm²', 'unit_price': 480.25},
            {'description': 'Lighting', 'quantity': 40, 'unit': 'pc', 'unit_price': 310},
            {'description': 'Carpet', 'quantity': 300, 'unit': 'm2', 'unit_price': 95}]),
    ]
    create_order(api, 'SWW', title='Not exported', type='consulting')
    raw = exported(api, f'format={fmt}&type=construction,design&sort=number')
    assert raw.headers['X-Order-Count'] == '2'
    r = upload(api, raw.get_data(), f'export.{fmt}')
    assert r.status == 200 and r.json['imported'] == 2 and r.json['problems'] == [], r
    for original, again in zip(originals, r.json['orders']):
        copy = api.get(f'/orders/{again["number"]}').json
        assert copy['number'] != original['number']
        assert {k: copy[k] for k in COMPARED} == {k: original[k] for k in COMPARED}


def test_export_follows_the_filter_and_search(customers):
    api = customers
    create_order(api, 'SWW', title='Pump station retrofit')
    create_order(api, 'HLO', title='Office fit-out', type='design')
    raw = exported(api, 'format=csv&q=office')
    rows = list(csv.DictReader(io.StringIO(raw.get_data().decode('utf-8-sig'))))
    assert [row['title'] for row in rows] == ['Office fit-out']
    assert rows[0]['customer'] == 'HLO' and rows[0]['customer_name'] == '杭州湖滨写字楼'
    assert rows[0]['stage'] == 'quotation' and rows[0]['status'] == 'open'
    book = load_workbook(io.BytesIO(exported(api, 'format=xlsx').get_data()), read_only=True)
    values = list(book['Orders'].iter_rows(values_only=True))
    assert len(values) == 3 and values[0][0] == 'number'
    assert exported(api, 'format=csv&customer=NOBODY').headers['X-Order-Count'] == '0'
    assert api.get('/orders/export?format=pdf').status == 422


# -- in the background, on the workers ---------------------------------------------------------------

def test_a_background_import_answers_202_and_is_followed_to_its_report(customers, app):
    from tests.test_service_tasks import clean_queue, run_jobs
    clean_queue(app)
    before = counts()
    rows = [good_row(1), {**good_row(2), 'customer': 'NOBODY'}, good_row(3)]
    raw = customers.client.post('/api/v1/orders/import?background=1',
                                data={'file': (io.BytesIO(csv_bytes(rows)), 'orders.csv')},
                                content_type='multipart/form-data',
                                headers={'Authorization': f'Bearer {customers.token}'})
    r = Response(raw)
    assert r.status == 202, r
    assert r.json['status'] == 'queued' and (r.json['valid'], r.json['invalid']) == (2, 1)
    assert r.json['problems'] == [{'row': 3, 'column': 'customer', 'problem': 'unknown customer "NOBODY"'}]
    location = raw.headers['Location']
    assert location.endswith(f'/api/v1/orders/imports/{r.json["id"]}')
    assert counts() == before
    run_jobs(app)
    done = customers.get(location.split('/api/v1')[1])
    assert done.status == 200, done
    assert (done.json['status'], done.json['imported'], done.json['failed']) == ('done', 2, 0)
    assert [o['row'] for o in done.json['orders']] == [2, 4]
    assert counts() == (before[0] + 2, before[1] + 2)
    other = customers.as_user('bob', groups=['sales'])
    assert other.get(location.split('/api/v1')[1]).status == 403
    assert customers.get('/orders/imports/999999').status == 404


def test_a_background_import_without_a_valid_row_answers_422_with_the_problems(customers):
    raw = customers.client.post('/api/v1/orders/import?background=1',
                                data={'file': (io.BytesIO(csv_bytes([{**good_row(1), 'customer': 'NOBODY'}])),
                                               'orders.csv')},
                                content_type='multipart/form-data',
                                headers={'Authorization': f'Bearer {customers.token}'})
    r = Response(raw)
    assert r.status == 422 and r.json['error']['code'] == 'nothing_to_import', r
    assert r.json['error']['details'] == [{'row': 2, 'column': 'customer', 'problem': 'unknown customer "NOBODY"'}]
