"""A worker goes on with the service tasks its own reports make ready: a chain runs in one job,
the other branch of a fork goes through the queue, a request whose time limit does not fit in
the job goes back to the queue, and a request kept by a worker that died is sent again and runs
once. Real Redis, a real RQ worker (SimpleWorker in this process), a real HTTP server."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import DATA, ROOT
from tests.support.api import read_files
from tests.test_service_tasks import HttpServer, clean_queue, event_kinds, outbox_rows, run_jobs

CHAIN = os.path.join(DATA, 'service_chain', 'chain_fork.bpmn')
SUMMARY = os.path.join(DATA, 'service_chain', 'summary_then_call.bpmn')
PATHS = ('/reserve', '/schedule', '/site', '/buyer')


@pytest.fixture
def erp():
    server = HttpServer()
    for path in (*PATHS, '/summary'):
        server.on(path, {'json': {'answered': path}})
    yield server
    server.close()


@pytest.fixture
def chain(api, app, erp):
    clean_queue(app)
    assert api.deploy('chain_fork', read_files(CHAIN)).status == 201

    def start():
        started = api.start('chain_fork', {'erp_url': erp.url})
        assert started.status == 201, started
        return started.json
    return start


def finished_jobs(app):
    from tasks.service_jobs import queue
    with app.app_context():
        return queue().finished_job_registry.get_job_ids()


def test_a_chain_runs_in_one_job_and_the_other_branch_of_a_fork_goes_through_the_queue(api, app, erp, chain):
    inst = chain()
    [first] = outbox_rows(app)
    assert first['status'] == 'dispatched' and first['attempts'] == 1

    run_jobs(app)
    inst = api.instance(inst['id'])
    assert inst['status'] == 'completed'
    assert inst['data']['scheduled']['json'] == {'answered': '/schedule'}
    assert sorted(c['path'] for c in erp.calls) == sorted(PATHS), 'each operator ran once'
    rows = outbox_rows(app)
    assert [(r['status'], r['attempts']) for r in rows] == [('done', 1)] * 4
    jobs = finished_jobs(app)
    assert len(jobs) == 2, f'reserve, schedule and one branch in the first job, the other branch queued: {jobs}'
    assert f'{first["key"]}_1' in jobs
    queued = {r['key'] for r in rows[2:]}
    assert {job.rsplit('_', 1)[0] for job in jobs} - {first['key']} <= queued
    assert event_kinds(api, inst['id']).count('service_completed') == 4


def test_a_request_kept_by_a_worker_that_died_is_sent_again_and_runs_once(api, app, erp, chain):
    from engine import outbox
    from engine.commands import finish_service_task
    inst = chain()
    [first] = outbox_rows(app)
    clean_queue(app)  # a worker took the job and reports by hand below, then dies
    with app.app_context():
        with outbox.keeping('service', inst['id']) as kept:
            assert finish_service_task(inst['id'], first['task_id'], first['key'],
                                       result={'status': 200, 'json': {}}) is not None
            outbox.forget_new()  # a later command in the same job (a routed message) rolled back
        assert [row.task_name for row in kept] == ['Schedule work']

    rows = outbox_rows(app)
    assert [(r['status'], r['attempts']) for r in rows] == [('done', 1), ('dispatched', 1)]
    assert run_jobs(app) == [] and erp.calls == [], 'the kept request was never queued'
    with app.app_context():
        assert outbox.redispatch_stale(dispatched_after=timedelta(0)) == 1
    run_jobs(app)
    with app.app_context():
        assert outbox.redispatch_stale(dispatched_after=timedelta(0)) == 0

    inst = api.instance(inst['id'])
    assert inst['status'] == 'completed'
    assert sorted(c['path'] for c in erp.calls) == ['/buyer', '/schedule', '/site']
    assert [(r['status'], r['attempts']) for r in outbox_rows(app)] == [('done', 1), ('done', 2), ('done', 1),
                                                                         ('done', 1)]
    assert event_kinds(api, inst['id']).count('service_completed') == 4


def test_a_kept_request_whose_time_limit_does_not_fit_in_the_job_goes_to_the_queue(api, app, erp):
    from tasks.operators import REGISTRY
    # orders.cost_summary's job has room for its own 60 s, not for http.request's 120 s
    assert REGISTRY['orders.cost_summary'].timeout_seconds < REGISTRY['http.request'].timeout_seconds
    clean_queue(app)
    assert api.deploy('summary_then_call', read_files(SUMMARY)).status == 201
    inst = api.start('summary_then_call', {'erp_url': erp.url,
                                           'line_items': [{'quantity': 2, 'unit_price': 5}]}).json
    run_jobs(app)

    inst = api.instance(inst['id'])
    assert inst['status'] == 'completed'
    assert inst['data']['summary']['planned_cost'] == 10 and inst['data']['sent']['status'] == 200
    summary, post = outbox_rows(app)
    assert (summary['status'], post['status'], post['attempts']) == ('done', 'done', 1)
    assert sorted(finished_jobs(app)) == sorted([f'{summary["key"]}_1', f'{post["key"]}_1'])
    assert [c['path'] for c in erp.calls] == ['/summary']


def test_rows_a_command_queued_are_written_at_commit_and_dropped_by_a_rollback(app, chain):
    from engine import fastsql
    from engine.db import db
    inst = chain()
    insert = ("INSERT INTO audit_event (instance_id, at, kind, detail) "
              "VALUES (:instance_id, :at, 'probe', :detail)")
    probes = "SELECT COUNT(*) FROM audit_event WHERE kind = 'probe' AND instance_id = :instance_id"
    row = {'instance_id': inst['id'], 'at': datetime.now(timezone.utc), 'detail': {}}
    with app.app_context():
        fastsql.later(insert, [row])
        assert fastsql.select_column(probes, {'instance_id': inst['id']}) == [0], 'queued, not written yet'
        db.session.rollback()
        db.session.commit()
        assert fastsql.select_column(probes, {'instance_id': inst['id']}) == [0], 'dropped with the rollback'
        fastsql.later(insert, [row])
        db.session.commit()
        assert fastsql.select_column(probes, {'instance_id': inst['id']}) == [1]


def test_flask_worker_without_fork_runs_the_chain_in_its_own_process(api, app, erp, chain, redis_server):
    env = {**os.environ, 'DATABASE_URL': app.config['SQLALCHEMY_DATABASE_URI'], 'REDIS_URL': redis_server.url,
           'EOMS_RQ_QUEUE': app.config['RQ_QUEUE'], 'PYTHONUNBUFFERED': '1'}
    inst = chain()
    worker = subprocess.run([sys.executable, '-m', 'flask', '--app', 'wsgi', 'worker', '--burst', '--no-fork'],
                            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    inst = api.instance(inst['id'])
    assert inst['status'] == 'completed', worker.stdout + worker.stderr
    assert sorted(c['path'] for c in erp.calls) == sorted(PATHS)
    assert len(finished_jobs(app)) == 2


def test_every_operator_of_a_chain_runs_outside_any_transaction(api, app, erp, chain, monkeypatch):
    from engine.db import db
    from tasks.operators import REGISTRY
    http = REGISTRY['http.request']
    call, seen = http.function, []

    def watched(**params):
        seen.append((params['url'].rsplit('/', 1)[1], db.session().in_transaction()))
        return call(**params)

    monkeypatch.setattr(http, 'function', watched)
    inst = chain()
    run_jobs(app)
    inst = api.instance(inst['id'])
    assert inst['status'] == 'completed', inst['incidents']
    assert sorted(seen) == [('buyer', False), ('reserve', False), ('schedule', False), ('site', False)]
