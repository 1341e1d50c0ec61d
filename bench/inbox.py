"""Inbox speed on a big PostgreSQL database: server time of the inbox page and of
GET /api/v1/tasks?scope=groups for an approver in 3 groups with 200 open tasks, among 1,000,000
completed and 100,000 open human tasks in 200 groups. Prints p50/p95 and the query plans.

    .venv/bin/python bench/inbox.py [--quick] [--requests N]

BENCH_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/eoms_inbox_bench) is created if
missing; its schema `public` is dropped and rebuilt by the migrations, so point it at a scratch
database. --quick seeds 10x less (100,000 completed, 10,000 open); the approver still has 200.
Requests go through Flask's test client in this process: server time without the network.
Target (issue 4): p95 <= 50 ms for both. Figures are printed, never asserted.
"""
import argparse
import os
import re
import statistics
import sys
import time

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

DEFAULT_URL = 'postgresql+psycopg://postgres@127.0.0.1:5432/eoms_inbox_bench'
GROUPS = 200
APPROVER, APPROVER_GROUPS, APPROVER_TASKS = 'bench.approver', ('g000', 'g001', 'g002'), 200
PASSWORD = 'bench-password-1'
SIZES = {'full': {'completed': 1_000_000, 'open': 100_000}, 'quick': {'completed': 100_000, 'open': 10_000}}


def ensure_database(url):
    """CREATE DATABASE when the target does not exist yet (connecting to `postgres` to do it)."""
    import psycopg
    from sqlalchemy.engine import make_url
    target = make_url(url)
    admin = target.set(database='postgres').render_as_string(hide_password=False).replace('+psycopg', '')
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute('SELECT 1 FROM pg_database WHERE datname = %s', (target.database,)).fetchone():
            conn.execute(f'CREATE DATABASE "{target.database}"')
            print(f'created database {target.database}')


def seed(db, sizes):
    """Bulk rows with INSERT ... SELECT generate_series: instances with their order data, open
    tasks (the approver's groups get exactly APPROVER_TASKS of them) with their candidate rows,
    and completed tasks spread over the same instances."""
    from sqlalchemy import text
    open_n, done_n = sizes['open'], sizes['completed']
    version_id = db.session.execute(text("SELECT id FROM model_version WHERE model_key = 'order_approval'")).scalar()
    steps = [
        ('process_instance', f"""
            INSERT INTO process_instance (id, version_id, model_key, version, process_id, status, initiator,
                initiator_groups, state, lock_version, data, has_waits, started_at, updated_at)
            SELECT i, {version_id}, 'order_approval', 1, 'order_approval', 'waiting', 'bench', '[]', NULL, 0,
                json_build_object('title', 'Order ' || i, 'customer', 'Customer ' || (i % 997),
                                  'amount', (i * 7919) % 5000000, 'urgency',
                                  CASE WHEN i % 7 = 0 THEN 'urgent' ELSE 'normal' END),
                0, now() - interval '30 days', now()
            FROM generate_series(1, {open_n}) AS i"""),
        ('open human_task', f"""
            INSERT INTO human_task (id, instance_id, name, title, lane, groups, users, assignee, state,
                created_at, due_at, instructions, form_file, ui_form_file)
            SELECT md5('open' || i)::uuid::text, i, 'pm_approval', 'Project manager approval', g,
                json_build_array(g), '[]', CASE WHEN i % 20 = 0 THEN 'someone' END, 'ready',
                now() - (i % 5000) * interval '1 minute', now() + ((i % 97) - 20) * interval '1 hour',
                '### Order ' || i || E'\\nApprove or reject.', 'approval_decision.json',
                'approval_decision.uischema.json'
            FROM (SELECT i, CASE WHEN i <= {APPROVER_TASKS} THEN 'g' || lpad(((i - 1) % 3)::text, 3, '0')
                                 ELSE 'g' || lpad((3 + i % {GROUPS - 3})::text, 3, '0') END AS g
                  FROM generate_series(1, {open_n}) AS i) AS t"""),
        ('task_candidate', """
            INSERT INTO task_candidate (task_id, kind, name)
            SELECT id, 'group', lane FROM human_task WHERE state = 'ready'"""),
        ('completed human_task', f"""
            INSERT INTO human_task (id, instance_id, name, title, lane, groups, users, state, created_at,
                completed_by, completed_at, form_file, ui_form_file)
            SELECT md5('done' || j)::uuid::text, 1 + (j % {open_n}), 'intake', 'Order intake',
                'g' || lpad((j % {GROUPS})::text, 3, '0'), json_build_array('g' || lpad((j % {GROUPS})::text, 3, '0')),
                '[]', 'completed', now() - interval '20 days', 'someone', now() - interval '10 days',
                'approval_decision.json', 'approval_decision.uischema.json'
            FROM generate_series(1, {done_n}) AS j"""),
    ]
    for name, sql in steps:
        started = time.perf_counter()
        count = db.session.execute(text(sql)).rowcount
        db.session.commit()
        print(f'  {name}: {count:,} rows in {time.perf_counter() - started:.1f} s')
    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('process_instance', 'id'), {open_n})"))
    db.session.commit()
    started = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level='AUTOCOMMIT') as conn:
        conn.execute(text('VACUUM ANALYZE'))
    print(f'  VACUUM ANALYZE in {time.perf_counter() - started:.1f} s')


def build(url, sizes):
    os.environ['DATABASE_URL'] = url
    from flask_migrate import upgrade
    from sqlalchemy import text
    from accounts.service import create_user, issue_token
    from engine import deployments
    from engine.db import db
    from tests.support.api import shipped_bundle
    from web import create_app
    app = create_app({'TESTING': True, 'WTF_CSRF_ENABLED': False, 'RATELIMIT_ENABLED': False})
    with app.app_context():
        db.session.execute(text('DROP SCHEMA public CASCADE; CREATE SCHEMA public'))
        db.session.commit()
        upgrade()
        deployments.deploy('order_approval', shipped_bundle('order_approval.bpmn'), actor='bench')
        create_user(APPROVER, PASSWORD, APPROVER_GROUPS, display_name='Bench Approver')
        token = issue_token(APPROVER)
        print(f"seeding {sizes['completed']:,} completed and {sizes['open']:,} open human tasks in {GROUPS} groups")
        seed(db, sizes)
        db.session.remove()
    return app, token


class Statements:
    """SQL statements (with parameters) run while it is active, for EXPLAIN ANALYZE."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, conn, cursor, statement, parameters, context, executemany):
        self.seen.append((statement, parameters))

    def __enter__(self):
        from sqlalchemy import event
        event.listen(self.engine, 'before_cursor_execute', self._record)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event
        event.remove(self.engine, 'before_cursor_execute', self._record)


def explain(app, label, fetch):
    from engine.db import db
    with app.app_context():
        engine = db.engine
    with Statements(engine) as captured:
        fetch()
    print(f'\n--- {label}: {len(captured.seen)} SQL statements; plans of those reading human_task / task_candidate')
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in captured.seen:
            if not statement.lstrip().upper().startswith('SELECT'):
                continue
            if 'human_task' not in statement and 'task_candidate' not in statement:
                continue
            cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + statement, parameters)
            plan = [row[0] for row in cursor.fetchall()]
            indexes = sorted(set(re.findall(r'Index (?:Only )?Scan(?: Backward)? using (\w+)', '\n'.join(plan))
                                 + re.findall(r'Bitmap Index Scan on (\w+)', '\n'.join(plan))))
            seq = sorted(set(re.findall(r'Seq Scan on (\w+)', '\n'.join(plan))))
            print(f'\n{" ".join(statement.split())[:220]}...')
            print(f'  indexes used: {", ".join(indexes) or "none"}; sequential scans: {", ".join(seq) or "none"}')
            for line in plan:
                print('    ' + line)
        raw.rollback()
    finally:
        raw.close()


def measure(label, fetch, count):
    for _ in range(max(10, count // 10)):  # warm caches and the connection pool
        fetch()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f'{label:<48} n={count:<4} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   '
          f'max {times[-1]:6.1f} ms   {"OK" if p95 <= 50 else "OVER"} (target p95 <= 50 ms)')
    return p95


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true', help='10x less data')
    parser.add_argument('--requests', type=int, default=None, help='timed requests per endpoint')
    args = parser.parse_args()
    sizes = SIZES['quick' if args.quick else 'full']
    count = args.requests or (100 if args.quick else 300)
    url = os.environ.get('BENCH_DATABASE_URL') or DEFAULT_URL
    if not url.startswith('postgresql'):
        sys.exit(f'bench/inbox.py needs PostgreSQL; BENCH_DATABASE_URL is {url}')
    print(f'database: {url}; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores')
    ensure_database(url)
    app, token = build(url, sizes)

    client = app.test_client()
    response = client.post('/auth/login', data={'username': APPROVER, 'password': PASSWORD})
    assert response.status_code == 302, response.status_code

    def get(path, **kw):
        def fetch():
            r = client.get(path, **kw)
            assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
            return r
        return fetch

    api_headers = {'Authorization': f'Bearer {token}'}
    endpoints = [
        ('GET /inbox (my groups, due date)', get('/inbox')),
        ('GET /inbox?sort=amount', get('/inbox?sort=amount')),
        ('GET /inbox htmx refresh (results only)', get('/inbox?sort=priority', headers={'HX-Request': 'true'})),
        ('GET /inbox?page=8 (last page)', get('/inbox?page=8')),
        ('GET /api/v1/tasks?scope=groups', get('/api/v1/tasks?scope=groups', headers=api_headers)),
    ]
    tasks = client.get('/api/v1/tasks?scope=groups', headers=api_headers).get_json()
    rows = client.get('/inbox').get_data(as_text=True).count('class="task-link"')
    print(f'\n{APPROVER} in {", ".join(APPROVER_GROUPS)}: {len(tasks)} open tasks from the API, '
          f'{rows} on the first inbox page\n')
    for label, fetch in endpoints:
        measure(label, fetch, count)
    explain(app, 'GET /inbox', endpoints[0][1])
    explain(app, 'GET /api/v1/tasks?scope=groups', endpoints[-1][1])


if __name__ == '__main__':
    main()
