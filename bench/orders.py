"""Order intake and order search speed.

    .venv/bin/python bench/orders.py [--quick] [--rows N] [--orders N] [--queries N]

(a) Import of a 10,000-row XLSX (one or two line items a row): every row becomes an order with its
    order_lifecycle instance. Twice per database: through POST /api/v1/orders/import in this
    process (Flask's test client), the whole import in one request; and as the import page does
    it, the upload checked and kept, then imported in parts by --workers RQ workers (default 2)
    on a private Redis. On a fresh SQLite file built by the migrations, then on PostgreSQL.
    Target: <= 60 s.
(b) GET /api/v1/orders?q=... over 100,000 orders on PostgreSQL, server time: full-text queries on
    part of a customer's name (Latin and Chinese), a number, title and line-item words, alone and
    with filters; p50 / p95 / max per kind and over all search queries. Target: p95 <= 100 ms.
    The orders, customers, instances and their ready tasks are bulk-loaded (COPY and
    INSERT ... SELECT): the instances carry order data and status but no runnable state.

PostgreSQL: BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/eoms_orders_bench)
is created if missing; its schema `public` is dropped and rebuilt by the migrations, so point it
at a scratch database. --quick: 1,000 rows and 20,000 orders. Figures are printed, never asserted.
"""
import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
try:
    import flask  # noqa: F401
except ImportError:  # started outside the project's virtualenv
    if os.path.exists(VENV_PYTHON) and not os.environ.get('EOMS_BENCH_REEXEC'):
        os.environ['EOMS_BENCH_REEXEC'] = '1'
        os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    raise
sys.path.insert(0, ROOT)

DEFAULT_PG = 'postgresql+psycopg://postgres@127.0.0.1:5432/eoms_orders_bench'
SIZES = {'full': {'rows': 10_000, 'orders': 100_000, 'queries': 400},
         'quick': {'rows': 1_000, 'orders': 20_000, 'queries': 150}}
CITIES = [('Suzhou', '苏州'), ('Hangzhou', '杭州'), ('Ningbo', '宁波'), ('Wuxi', '无锡'), ('Nanjing', '南京'),
          ('Shanghai', '上海'), ('Changzhou', '常州'), ('Jiaxing', '嘉兴')]
TRADES = [('Water Works', '水务'), ('Grid Services', '电网'), ('Port Logistics', '港口物流'), ('Textile Mill', '纺织'),
          ('Chemical', '化工'), ('Steel', '钢铁'), ('Metro', '地铁'), ('Hospital', '医院'), ('Airport', '机场'),
          ('Brewery', '啤酒')]
SYLLABLES = ['jin', 'long', 'hua', 'xin', 'da', 'tong', 'feng', 'hai', 'sheng', 'yuan', 'tai', 'kang', 'ming', 'rui',
             'bao', 'cheng', 'fu', 'guang', 'heng', 'jia']
WORKS = ['Retrofit', 'Upgrade', 'Repair', 'Expansion', 'Maintenance', 'Installation', 'Inspection', 'Relocation']
OBJECTS = ['pump station', 'substation', 'boiler room', 'roof', 'HVAC system', 'cooling tower', 'fire protection',
           'water treatment plant', 'warehouse', 'office floor', 'sewage line', 'crane rail']
ITEMS = ['Centrifugal pump DN150', 'Cable YJV 3x240', 'Steel beam H300', 'Gate valve DN200', 'Transformer 2000kVA',
         'Labour', 'Scaffolding', 'Epoxy paint', '离心泵', '电力电缆', '钢结构', '闸阀', 'Control cabinet', 'Chiller',
         'Insulation', 'Commissioning']
TYPES = ['design', 'procurement', 'construction', 'installation', 'maintenance', 'consulting']
TASKS = ['order_intake', 'prepare_quotation', 'pm_approval', 'dh_approval', 'finance_approval', 'prepare_contract',
         'plan_milestones', 'milestone_checkin', 'customer_acceptance', 'settlement']


def out(line=''):
    print(line, flush=True)


def quiet_logs():
    import logging
    for name in ('', 'alembic', 'alembic.runtime.migration', 'engine', 'web', 'werkzeug', 'orders'):
        logging.getLogger(name).setLevel(logging.WARNING)


def forget_caches():
    """Spec and form caches are keyed by version id, which restarts at 1 in every database."""
    from engine import deployments, forms
    from engine.specs import spec_cache
    spec_cache._items.clear()
    forms._load.cache_clear()
    deployments.forget_facts()


def ensure_database(url):
    import psycopg
    from sqlalchemy.engine import make_url
    target = make_url(url)
    admin = target.set(database='postgres').render_as_string(hide_password=False).replace('+psycopg', '')
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute('SELECT 1 FROM pg_database WHERE datname = %s', (target.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{target.database}"')
            out(f'created database {target.database}')


def build_app(url, config=None):
    """The app on `url` (and `config`) with a schema fresh from the migrations, order_lifecycle
    deployed, and an admin API client."""
    import logging
    from flask_migrate import upgrade
    from sqlalchemy import text
    from engine.db import db
    from tests.support.api import ApiClient, shipped_bundle
    from web import create_app
    forget_caches()
    app = create_app({'SQLALCHEMY_DATABASE_URI': url, **(config or {})})
    quiet_logs()
    with app.app_context():
        if db.engine.dialect.name == 'postgresql':
            db.session.execute(text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
            db.session.commit()
        logging.disable(logging.INFO)  # alembic's env.py installs its own INFO handler on stderr
        try:
            upgrade()
        finally:
            logging.disable(logging.NOTSET)
        db.session.remove()
    quiet_logs()
    api = ApiClient(app).with_new_user('bench.admin', groups=['admin', 'requester'])
    r = api.deploy('order_lifecycle', shipped_bundle())
    assert r.status == 201, r
    return app, api


def customer_names(count, rng):
    names = []
    for i in range(count):
        city, trade = CITIES[i % len(CITIES)], TRADES[(i // len(CITIES)) % len(TRADES)]
        brand = ''.join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
        if i % 3 == 0:
            names.append(f'{city[1]}{trade[1]}{brand}集团有限公司')
        else:
            names.append(f'{city[0]} {brand} {trade[0]} Co., Ltd.')
    return names


# -- (a) import ----------------------------------------------------------------------------------

def import_file(rows, customer_codes, rng):
    from openpyxl import Workbook
    header = ['title', 'customer', 'type', 'requested_date', 'item_1_description', 'item_1_quantity', 'item_1_unit',
              'item_1_unit_price', 'item_2_description', 'item_2_quantity', 'item_2_unit', 'item_2_unit_price']
    book = Workbook(write_only=True)
    sheet = book.create_sheet('Orders')
    sheet.append(header)
    for n in range(rows):
        line = [f'{rng.choice(WORKS)} {rng.choice(OBJECTS)} {n}', rng.choice(customer_codes), rng.choice(TYPES),
                date(2027, 1, 1) + timedelta(days=n % 365), rng.choice(ITEMS), rng.randint(1, 20), 'set',
                rng.randint(100, 90000)]
        if n % 2:
            line += [rng.choice(ITEMS), 1.5, 'lot', 1200.5]
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def import_setup(url, rows, config=None):
    rng = random.Random(6)
    app, api = build_app(url, config)
    codes = []
    for i, name in enumerate(customer_names(20, rng)):
        r = api.post('/customers', {'name': name, 'code': f'C{i:03d}'})
        assert r.status == 201, r
        codes.append(r.json['code'])
    return app, api, import_file(rows, codes, rng)


def report_import(label, app, rows, content, elapsed, imported):
    from sqlalchemy import func, select
    from engine.db import db
    from engine.models import ProcessInstance
    from orders.models import Order
    with app.app_context():
        orders = db.session.execute(select(func.count()).select_from(Order)).scalar()
        linked = db.session.execute(select(func.count()).select_from(Order).join(
            ProcessInstance, ProcessInstance.id == Order.instance_id)
            .where(ProcessInstance.model_key == 'order_lifecycle', ProcessInstance.status == 'waiting')).scalar()
        db.session.remove()
        db.engine.dispose()
    verdict = 'met' if elapsed <= 60 * rows / 10_000 else 'MISSED'
    out(f'(a) import {label}: {rows:,} rows ({len(content) / 1024:.0f} KB XLSX) in {elapsed:.1f} s = '
        f'{rows / elapsed:.0f} rows/s; {imported:,} imported, {orders:,} orders, {linked:,} with a '
        f'waiting lifecycle instance; target 10,000 rows <= 60 s (scaled: {60 * rows / 10_000:.0f} s): {verdict}')


def bench_import(label, url, rows):
    """POST /api/v1/orders/import: the whole import within one request, in this process."""
    from tests.support.api import Response
    app, api, content = import_setup(url, rows)
    started = time.perf_counter()
    raw = api.client.post('/api/v1/orders/import', data={'file': (io.BytesIO(content), 'bench.xlsx')},
                          content_type='multipart/form-data', headers={'Authorization': f'Bearer {api.token}'})
    elapsed = time.perf_counter() - started
    report = Response(raw)
    assert report.status == 200, report
    report_import(f'{label}, API (one request)', app, rows, content, elapsed, report.json['imported'])


def bench_page_import(label, url, rows, workers):
    """The import page's way: the upload checked and kept, then confirmed and imported in parts by
    `workers` RQ workers (as `flask worker --no-fork`) on a private Redis; timed from the upload to
    the import's report."""
    from bench import service_tasks
    from engine.commands import Actor
    from engine.db import db
    from orders import import_jobs
    from tasks.redis_server import start_embedded, stop
    with tempfile.TemporaryDirectory(prefix='eoms-orders-bench-workers-') as tmp:
        redis_url, redis_proc = start_embedded(data_dir=os.path.join(tmp, 'redis'))
        pool = None
        try:
            app, _api, content = import_setup(url, rows, {'REDIS_URL': redis_url, 'RQ_QUEUE': service_tasks.QUEUE})
            pool = service_tasks.Workers(url, redis_url, tmp)
            pool.scale(workers)
            with app.app_context():
                started = time.perf_counter()
                imp = import_jobs.upload(content, 'bench.xlsx', Actor('bench.admin', ('admin', 'requester')))
                import_jobs.confirm(imp)
                while True:
                    imp = import_jobs.get(imp.id)
                    db.session.rollback()
                    if imp.status in ('done', 'failed'):
                        break
                    time.sleep(0.25)  # a reader that comes back too often keeps SQLite's log from being checkpointed
                elapsed = time.perf_counter() - started
                assert imp.status == 'done', imp.error
                imported = imp.imported
                db.session.remove()
            report_import(f'{label}, import page and {workers} workers', app, rows, content, elapsed, imported)
        finally:
            if pool is not None:
                pool.close()
            stop(redis_proc)


# -- (b) search ----------------------------------------------------------------------------------

def _copy(conn, table, columns, rows):
    with conn.cursor() as cur, cur.copy(f'COPY {table} ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def seed_orders(app, count, rng):
    """count orders over 2,000 customers, each with a lifecycle instance in some stage (a ready
    task; 5% finished, 2% terminated, about 10% of ready tasks past due) and 1-3 line items."""
    from sqlalchemy import text
    from engine.db import db
    from engine.models import ProcessInstance
    from orders import search
    from orders.numbering import render
    from orders.settings import get
    from orders.stages import TASK_STAGES
    customers = customer_names(2000, rng)
    fmt, year = get('ORDER_NUMBER_FORMAT'), date.today().year
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with app.app_context():
        version_id = db.session.execute(text("SELECT id FROM model_version WHERE model_key = 'order_lifecycle'")
                                        ).scalar()
        no_waits = ProcessInstance.__table__.c.has_waits.type.python_type(0)  # a flag or a count, as the engine has it
        conn = db.session.connection().connection.driver_connection
        _copy(conn, 'customer', ['id', 'code', 'name', 'created_at'],
              ((i + 1, f'C{i + 1:05d}', name, now) for i, name in enumerate(customers)))
        db.session.execute(text(f"""
            INSERT INTO process_instance (id, version_id, model_key, version, process_id, status, initiator,
                initiator_groups, state, lock_version, data, has_waits, started_at, updated_at, ended_at)
            SELECT i, {version_id}, 'order_lifecycle', 1, 'order_lifecycle',
                CASE WHEN i % 50 = 0 THEN 'terminated' WHEN i % 20 = 0 THEN 'completed' ELSE 'waiting' END,
                'bench', '[]', '{{}}', 0,
                json_build_object('order_number', 'n' || i, 'amount', (i * 7919) % 5000000,
                                  'approval_status', CASE WHEN i % 40 = 0 THEN 'withdrawn' ELSE 'approved' END),
                :no_waits, now() - interval '400 days' + i * interval '5 minutes', now(),
                CASE WHEN i % 20 = 0 OR i % 50 = 0 THEN now() END
            FROM generate_series(1, {count}) AS i"""), {'no_waits': no_waits})
        db.session.execute(text(f"""
            INSERT INTO human_task (id, instance_id, name, title, lane, groups, users, state, created_at, due_at)
            SELECT md5('order-task' || i)::uuid::text, i, (ARRAY{TASKS!r})[1 + i % {len(TASKS)}], 'Task', 'sales',
                '["sales"]', '[]', 'ready', now() - interval '1 day',
                CASE WHEN i % 3 = 0 THEN :now + ((i % 30) - 3) * interval '1 day' END
            FROM generate_series(1, {count}) AS i WHERE i % 20 <> 0 AND i % 50 <> 0"""), {'now': now})
        db.session.execute(text("""
            CREATE TEMP TABLE bench_order (id int, number text, title text, type text, customer_id int,
                owner text, amount numeric, requested_date date, created_at timestamp, body text, stage text,
                status text, next_due_at timestamp)"""))
        orders, items = [], []
        for i in range(1, count + 1):
            customer = rng.randrange(2000)
            title = f'{rng.choice(WORKS)} {rng.choice(OBJECTS)}'
            lines = [rng.choice(ITEMS) for _ in range(rng.randint(1, 3))]
            number = render(fmt, year, i)
            # what projection.py derives from the instance and task seeded for this order above
            if i % 50 == 0 or i % 40 == 0:
                status = stage = 'cancelled'
            elif i % 20 == 0:
                status = stage = 'closed'
            else:
                status, stage = 'open', TASK_STAGES[TASKS[i % len(TASKS)]]
            due = now + timedelta(days=(i % 30) - 3) if status == 'open' and i % 3 == 0 else None
            orders.append((i, number, title, rng.choice(TYPES), customer + 1, f'user{i % 50}',
                           rng.randint(1000, 5_000_000), date(2026, 1, 1) + timedelta(days=i % 700),
                           now - timedelta(minutes=5 * (count - i)),
                           search.index_text(number, title, customers[customer], lines), stage, status, due))
            items += [(i, n, d, rng.randint(1, 20), 'set', rng.randint(100, 90000)) for n, d in enumerate(lines, 1)]
        _copy(conn, 'bench_order', ['id', 'number', 'title', 'type', 'customer_id', 'owner', 'amount', 'requested_date',
                                    'created_at', 'body', 'stage', 'status', 'next_due_at'], orders)
        db.session.execute(text(f"""
            INSERT INTO eng_order (id, number, title, type, order_type, customer_id, owner, priority, urgency, currency,
                amount, actual_cost, requested_date, instance_id, revision, source, created_at, created_by,
                updated_at, search_vector, stage, status, next_due_at)
            SELECT id, number, title, type, 'standard', customer_id, owner, 'normal', 'normal', 'CNY', amount,
                CASE WHEN id % 25 = 0 THEN amount * 1.3 ELSE 0 END, requested_date, id, 1, 'import', created_at,
                'bench', created_at, to_tsvector('{search.CONFIG}', body), stage, status, next_due_at
            FROM bench_order"""))
        _copy(conn, 'order_item', ['order_id', 'position', 'description', 'quantity', 'unit', 'unit_price'], items)
        for table in ('customer', 'process_instance', 'eng_order'):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT max(id) FROM {table}))"))
        db.session.commit()
        for table in ('customer', 'process_instance', 'human_task', 'eng_order', 'order_item'):
            db.session.execute(text(f'ANALYZE {table}'))
        db.session.commit()
        db.session.remove()
    return customers


def search_queries(customers, count, total, rng):
    from orders.numbering import render
    from orders.settings import get
    fmt, year = get('ORDER_NUMBER_FORMAT'), date.today().year
    kinds = {
        'customer name part (Latin)': lambda: rng.choice([c for c in customers[:60] if ' ' in c]).split()[1][:5],
        'customer city (Latin)': lambda: rng.choice(CITIES)[0].lower(),
        'customer name part (Chinese)': lambda: rng.choice(TRADES)[1],
        'city + trade (Chinese)': lambda: rng.choice(CITIES)[1] + rng.choice(TRADES)[1],
        'order number': lambda: render(fmt, year, rng.randint(1, total)),
        'title words': lambda: f'{rng.choice(WORKS)} {rng.choice(OBJECTS).split()[0]}',
        'line item word': lambda: rng.choice(['transformer', 'chiller', '电缆', 'gate valve', 'scaffold']),
        'customer + stage filter': lambda: rng.choice(CITIES)[0] + '&stage=approval',
        'customer + overdue filter': lambda: rng.choice(TRADES)[0].split()[0] + '&overdue=true',
    }
    names = list(kinds)
    return [(names[i % len(names)], kinds[names[i % len(names)]]()) for i in range(count)]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed_get(api, path):
    started = time.perf_counter()
    raw = api.client.get('/api/v1' + path, headers={'Authorization': f'Bearer {api.token}'})
    elapsed = (time.perf_counter() - started) * 1000
    assert raw.status_code == 200, raw.get_data(as_text=True)[:500]
    return elapsed, raw.get_json()


def bench_search(url, count, queries):
    from urllib.parse import quote
    rng = random.Random(7)
    app, api = build_app(url)
    started = time.perf_counter()
    customers = seed_orders(app, count, rng)
    out(f'(b) seeded {count:,} orders over 2,000 customers on PostgreSQL in {time.perf_counter() - started:.0f} s')
    plan = search_queries(customers, queries, count, rng)
    for _, q in plan[:20]:  # warm the caches, as a running server has them
        timed_get(api, '/orders?q=' + quote(q.partition('&')[0]))
    by_kind, hits = {}, {}
    for kind, q in plan:
        text_part, _, filters = q.partition('&')
        elapsed, page = timed_get(api, f'/orders?q={quote(text_part)}' + (f'&{filters}' if filters else ''))
        by_kind.setdefault(kind, []).append(elapsed)
        hits.setdefault(kind, []).append(page['total'])
    every = [v for values in by_kind.values() for v in values]
    width = max(len(k) for k in by_kind)
    out(f'    GET /api/v1/orders?q=... (50 a page, newest first, with the total), server time in ms:')
    for kind, values in by_kind.items():
        out(f'    {kind:<{width}}  p50 {statistics.median(values):6.1f}  p95 {percentile(values, 95):6.1f}  '
            f'max {max(values):6.1f}  (median {int(statistics.median(hits[kind])):,} matches)')
    p95 = percentile(every, 95)
    out(f'    all {len(every)} searches: p50 {statistics.median(every):.1f} ms, p95 {p95:.1f} ms; '
        f'target p95 <= 100 ms over 100,000 orders: {"met" if p95 <= 100 else "MISSED"}'
        + ('' if count >= 100_000 else f' (measured over {count:,})'))
    others = {'no search, newest first': '/orders', 'stage=approval': '/orders?stage=approval',
              'overdue=true': '/orders?overdue=true', 'cost_overrun=true': '/orders?cost_overrun=true',
              'page 100, sort by amount': '/orders?sort=-amount&page=100'}
    out('    without full text (for comparison):')
    for name, path in others.items():
        values = [timed_get(api, path)[0] for _ in range(15)]
        out(f'    {name:<{width}}  p50 {statistics.median(values):6.1f}  p95 {percentile(values, 95):6.1f}')
    with app.app_context():
        from engine.db import db
        db.session.remove()
        db.engine.dispose()


def load_average():
    try:
        return ' '.join(f'{v:.2f}' for v in os.getloadavg())
    except OSError:
        return 'n/a'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='1,000 rows and 20,000 orders')
    parser.add_argument('--rows', type=int, help='rows to import')
    parser.add_argument('--orders', type=int, help='orders to search over')
    parser.add_argument('--queries', type=int, help='search requests to time')
    parser.add_argument('--workers', type=int, default=2, help='workers for the import page\'s import (2)')
    args = parser.parse_args()
    size = dict(SIZES['quick' if args.quick else 'full'])
    for name in ('rows', 'orders', 'queries'):
        if getattr(args, name):
            size[name] = getattr(args, name)
    pg_url = os.environ.get('BENCH_DATABASE_URL') or DEFAULT_PG
    out(f'load average {load_average()} on {os.cpu_count()} CPUs; {size["rows"]:,} rows to import, '
        f'{size["orders"]:,} orders to search')
    with tempfile.TemporaryDirectory(prefix='eoms-orders-bench-') as folder:
        bench_import('on SQLite', f'sqlite:///{folder}/bench.db', size['rows'])
    with tempfile.TemporaryDirectory(prefix='eoms-orders-bench-') as folder:
        bench_page_import('on SQLite', f'sqlite:///{folder}/bench.db', size['rows'], args.workers)
    try:
        ensure_database(pg_url)
    except Exception as error:
        out(f'PostgreSQL at {pg_url} is not reachable ({error}); PostgreSQL figures skipped')
        return
    bench_import('on PostgreSQL', pg_url, size['rows'])
    bench_page_import('on PostgreSQL', pg_url, size['rows'], args.workers)
    bench_search(pg_url, size['orders'], size['queries'])


if __name__ == '__main__':
    main()
