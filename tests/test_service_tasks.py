"""Service tasks on RQ through the REST API, with a real Redis, a real RQ worker (SimpleWorker in
this process) and a real HTTP server standing in for the ERP: the result reaches the next step;
failures are retried with backoff, caught by an error boundary, or become an incident that an
admin retries once the cause is fixed; duplicate reports change nothing.

The helpers at the top (HttpServer, run_jobs, clean_queue) are shared with the other service-task
test modules."""
import json
import math
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import has_app_context
from redis import Redis
from rq import SimpleWorker
from rq.job import Job

from engine.db import db
from tests.conftest import DATA
from tests.support.api import read_files

HTTP_DIAGRAM = os.path.join(DATA, 'service_http', 'erp_price.bpmn')
ERP_TOKEN = 'Bearer erp-secret-7f3a'


# -- shared helpers ---------------------------------------------------------------------------

class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        pass  # a client that hung up (a killed worker, a timeout) is part of the tests


class HttpServer:
    """A real HTTP server on 127.0.0.1 (a thread). `on(path, *answers)` sets what a path answers,
    one answer per call, the last one repeating; every call is recorded in `calls`.
    An answer is a dict: status (200), json or text, headers, delay (seconds before answering)."""

    def __init__(self):
        self.calls = []
        self.answers = {}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def _handle(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                with server._lock:
                    server.calls.append({'method': self.command, 'path': self.path, 'headers': dict(self.headers),
                                         'body': body})
                    queue = server.answers.get(self.path.split('?')[0]) or [{'status': 404, 'text': 'no route'}]
                    answer = queue.pop(0) if len(queue) > 1 else queue[0]
                time.sleep(answer.get('delay', 0))
                if 'json' in answer:
                    payload, content_type = json.dumps(answer['json']).encode(), 'application/json'
                else:
                    payload, content_type = answer.get('text', '').encode(), 'text/plain; charset=utf-8'
                self.send_response(answer.get('status', 200))
                headers = {'Content-Type': content_type, **answer.get('headers', {})}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header('Content-Length', str(len(payload)))
                self.end_headers()
                if self.command != 'HEAD':
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def log_message(self, *args):
                pass

        self.httpd = _QuietServer(('127.0.0.1', 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05},
                                       name='test-http', daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def on(self, path, *answers):
        with self._lock:
            self.answers[path] = [dict(a) for a in answers]

    def calls_to(self, path):
        return [c for c in self.calls if c['path'].split('?')[0] == path]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def clean_queue(app):
    """Empty the test Redis (queues, registries, leftovers of earlier tests)."""
    Redis.from_url(app.config['REDIS_URL']).flushdb()


def run_jobs(app, rounds=20):
    """Run the queued jobs in this process with a real RQ worker (SimpleWorker, burst), then the
    retries they scheduled, brought forward instead of waited for. Returns the delays in seconds
    the retries were scheduled with."""
    try:
        return _run_jobs(app, rounds)
    finally:
        # The api fixture's requests share one long-lived session (tests/conftest.py keeps an app
        # context pushed): make it read what the worker wrote, not objects it still holds.
        if has_app_context():
            db.session.expire_all()


def _run_jobs(app, rounds):
    from tasks.service_jobs import queue
    delays = []
    with app.app_context():
        q = queue()
        for _ in range(rounds):
            SimpleWorker([q], connection=q.connection).work(burst=True, logging_level='WARNING')
            registry = q.scheduled_job_registry
            scheduled = [j for j in registry.get_job_ids() if not j.startswith('eoms-timer-sweep')]
            if not scheduled:
                return delays
            for job_id in scheduled:
                job = Job.fetch(job_id, connection=q.connection)
                # the registry keeps whole seconds: ceil() gives back the delay that was asked for
                waited = (registry.get_scheduled_time(job_id) - job.created_at).total_seconds()
                delays.append(math.ceil(round(waited, 3)))
                registry.remove(job)
                q.enqueue_job(job)
    raise AssertionError(f'jobs were still being scheduled after {rounds} rounds')


def outbox_rows(app, kind='service'):
    from engine.models import Outbox
    with app.app_context():
        return [{'key': r.key, 'status': r.status, 'attempts': r.attempts, 'task_id': r.task_id,
                 'instance_id': r.instance_id, 'payload': r.payload, 'last_error': r.last_error}
                for r in Outbox.query.filter_by(kind=kind).order_by(Outbox.id)]


def event_kinds(api, instance_id):
    return [e['kind'] for e in api.get(f'/process-instances/{instance_id}/events').json]


# -- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def erp():
    server = HttpServer()
    yield server
    server.close()


@pytest.fixture
def priced(api, app, erp, monkeypatch):
    """The ERP pricing model deployed, the worker's secret set and the queue empty."""
    clean_queue(app)
    monkeypatch.setenv('EOMS_SECRET_ERP_TOKEN', ERP_TOKEN)
    assert api.deploy('erp_price', read_files(HTTP_DIAGRAM)).status == 201

    def start(**data):
        body = {'erp_url': erp.url, 'sku': 'P-100', 'order_no': 'EO-1', 'quantity': 4, **data}
        started = api.start('erp_price', body)
        assert started.status == 201, started
        return started.json
    return start


# -- tests ----------------------------------------------------------------------------------

def test_the_result_reaches_the_next_step(api, app, erp, priced):
    erp.on('/prices/P-100', {'json': {'price': 12.5, 'currency': 'CNY'}, 'headers': {'X-Erp': 'v7'}})
    inst = priced()
    assert inst['status'] == 'running' and inst['ready_tasks'] == []
    [row] = outbox_rows(app)
    assert row['status'] == 'dispatched' and row['payload']['operator'] == 'http.request'
    assert row['payload']['params']['secret_headers'] == {'Authorization': 'erp_token'}

    assert run_jobs(app) == []
    inst = api.instance(inst['id'])
    assert inst['status'] == 'waiting'
    assert [t['title'] for t in inst['ready_tasks']] == ['Confirm order']
    answer = inst['data']['price_answer']
    assert answer['status'] == 200 and answer['json'] == {'price': 12.5, 'currency': 'CNY'}
    assert answer['headers']['X-Erp'] == 'v7'
    assert inst['data']['total'] == 50.0, 'the script after the service task used its result'
    [call] = erp.calls
    assert call['method'] == 'GET' and call['headers']['X-Order'] == 'EO-1'
    assert call['headers']['Authorization'] == ERP_TOKEN
    assert [r['status'] for r in outbox_rows(app)] == ['done']

    done = api.complete(inst['ready_tasks'][0]['id'])
    assert done.status == 200 and done.json['status'] == 'completed'
    events = api.get(f'/process-instances/{inst["id"]}/events').json
    [completed] = [e for e in events if e['kind'] == 'service_completed']
    assert completed['task_name'] == 'Fetch price' and completed['detail']['attempts'] == 1
    # the secret is only ever read on the worker: not in the data, the audit trail or the outbox
    everything = json.dumps([done.json, events, outbox_rows(app)])
    assert ERP_TOKEN not in everything and 'erp-secret' not in everything


def test_failures_are_retried_with_backoff_then_caught_by_the_error_boundary(api, app, erp, priced):
    erp.on('/prices/P-100', {'status': 503, 'text': 'maintenance'})
    inst = priced()
    # <spiffworkflow:retry retries="2" backoff_base="1">: waits of 1 s then 2 s
    assert run_jobs(app) == [1, 2]
    assert len(erp.calls) == 3
    inst = api.instance(inst['id'])
    assert [t['title'] for t in inst['ready_tasks']] == ['Enter price by hand']
    assert inst['status'] == 'waiting' and inst['incidents'] == []
    assert 'price_answer' not in inst['data']
    [failed] = [e for e in api.get(f'/process-instances/{inst["id"]}/events').json if e['kind'] == 'service_failed']
    assert failed['detail']['attempts'] == 3 and failed['detail']['caught_by'] == ['ERP unavailable']
    assert 'answered 503' in failed['detail']['error']
    assert [r['status'] for r in outbox_rows(app)] == ['failed']
    done = api.complete(inst['ready_tasks'][0]['id'], {'unit_price': 11})
    assert done.json['status'] == 'completed'


def test_an_uncaught_failure_is_an_incident_an_admin_retries_after_the_fix(api, app, erp, priced):
    erp.on('/prices/P-100', {'status': 500, 'text': 'database locked'})
    inst = priced()
    assert run_jobs(app) == [1, 2]
    assert len(erp.calls) == 3
    inst = api.instance(inst['id'])
    assert inst['status'] == 'error' and inst['ready_tasks'] == []
    [incident] = inst['incidents']
    assert incident['task_name'] == 'Fetch price'
    assert 'after 3 attempt(s)' in incident['message'] and 'answered 500' in incident['message']
    assert 'database locked' in incident['message']
    listed = api.get('/incidents').json
    assert [(i['id'], i['instance_id'], i['code'], i['task_name']) for i in listed] == [
        (incident['id'], inst['id'], 'service_failed', 'Fetch price')]
    assert api.get('/process-instances?status=error').json['total'] == 1

    clerk = api.as_user('bob', ['sales'])
    assert clerk.post(f'/incidents/{incident["id"]}/retry').status == 403
    erp.on('/prices/P-100', {'json': {'price': 3}})           # the cause is fixed
    retried = api.post(f'/incidents/{incident["id"]}/retry')
    assert retried.status == 200, retried
    assert retried.json['status'] == 'running' and retried.json['incidents'] == []
    assert run_jobs(app) == []
    inst = api.instance(inst['id'])
    assert inst['status'] == 'waiting' and [t['title'] for t in inst['ready_tasks']] == ['Confirm order']
    assert inst['data']['total'] == 12 and len(erp.calls) == 4
    assert api.get('/incidents').json == []
    assert api.post(f'/incidents/{incident["id"]}/retry').status == 409
    assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'
    kinds = event_kinds(api, inst['id'])
    assert kinds.count('incident') == 1 and kinds.count('incident_retried') == 1
    assert kinds.count('service_completed') == 1 and kinds[-1] == 'completed'
    assert [r['status'] for r in outbox_rows(app)] == ['failed', 'done']


def test_a_client_error_fails_at_once_without_retries(api, app, erp, priced):
    erp.on('/prices/P-404', {'status': 404, 'json': {'error': 'unknown sku'}})
    inst = priced(sku='P-404')
    assert run_jobs(app) == []
    assert len(erp.calls) == 1
    [incident] = api.instance(inst['id'])['incidents']
    assert 'after 1 attempt(s)' in incident['message'] and 'answered 404' in incident['message']
    assert 'unknown sku' in incident['message']


def test_a_missing_secret_fails_at_once_naming_it(api, app, erp, priced, monkeypatch):
    monkeypatch.delenv('EOMS_SECRET_ERP_TOKEN')
    inst = priced()
    assert run_jobs(app) == []
    assert erp.calls == []
    [incident] = api.instance(inst['id'])['incidents']
    assert 'secret "erp_token"' in incident['message'] and 'EOMS_SECRET_ERP_TOKEN' in incident['message']


def test_a_duplicate_or_late_report_changes_nothing(api, app, erp, priced):
    from engine.commands import finish_service_task
    from engine.db import db
    from engine.models import AuditEvent, ProcessInstance
    inst = priced()
    [row] = outbox_rows(app)
    result = {'status': 200, 'headers': {}, 'json': {'price': 2}}

    def snapshot():
        with app.app_context():
            instance = db.session.get(ProcessInstance, inst['id'])
            return instance.state, instance.status, AuditEvent.query.filter_by(instance_id=inst['id']).count()

    with app.app_context():
        assert finish_service_task(inst['id'], row['task_id'], row['key'], result=result) is not None
    before = snapshot()
    with app.app_context():
        assert finish_service_task(inst['id'], row['task_id'], row['key'], result={'json': {'price': 99}}) is None
        assert finish_service_task(inst['id'], row['task_id'], row['key'], error='late failure') is None
        assert finish_service_task(inst['id'], row['task_id'], 'svc-unknown-key', result=result) is None
    assert snapshot() == before
    # the job that was queued for it runs late: it sees the row done and does not call the ERP
    assert run_jobs(app) == []
    assert erp.calls == [] and snapshot() == before
    inst = api.instance(inst['id'])
    assert inst['data']['total'] == 8 and inst['incidents'] == []
    assert event_kinds(api, inst['id']).count('service_completed') == 1


def test_operators_are_listed_with_their_parameters(api):
    listed = api.get('/operators')
    assert listed.status == 200
    by_name = {op['name']: op for op in listed.json}
    assert {'http.request', 'email.send', 'orders.cost_summary'} <= set(by_name)
    http = by_name['http.request']
    assert [p['name'] for p in http['params']] == ['method', 'url', 'headers', 'json', 'timeout', 'secret_headers']
    params = {p['name']: p for p in http['params']}
    assert params['url']['required'] and params['url']['type'] == 'str'
    assert not params['timeout']['required'] and params['timeout']['default'] == 10.0
    assert 'EOMS_SECRET_' in params['secret_headers']['description']
    assert http['retries'] >= 1 and http['backoff_seconds'] > 0
    email = {p['name']: p for p in by_name['email.send']['params']}
    assert set(email) == {'to', 'subject', 'template', 'mail', 'context', 'html', 'locale'}
    assert email['html']['default'] is False
    assert api.get('/operators', token=False).status == 401


def test_a_diagram_naming_an_unknown_operator_is_refused(api):
    refused = api.deploy('unknown_op', read_files(os.path.join(DATA, 'service_http', 'unknown_operator.bpmn')))
    assert refused.status == 422, refused
    details = refused.json['error']['details']
    [problem] = [d for d in details if d.get('element_id') == 'reserve_steel']
    assert 'erp.reserve_material' in problem['message'] and 'http.request' in problem['message']
    assert problem['file'] == 'unknown_operator.bpmn'
    assert api.get('/process-models').json == []


def test_outbox_rows_redispatched_after_a_lost_job_complete_once(api, app, erp, priced):
    """A job lost from Redis (flushed) is sent again from its outbox row; the operator runs once."""
    from engine import outbox
    erp.on('/prices/P-100', {'json': {'price': 1}})
    inst = priced()
    clean_queue(app)                                   # the queued job is gone
    assert run_jobs(app) == [] and erp.calls == []
    with app.app_context():
        assert outbox.redispatch_stale(pending_after=timedelta(0), dispatched_after=timedelta(0)) == 1
    run_jobs(app)
    with app.app_context():                            # a second, needless re-send is harmless
        assert outbox.redispatch_stale(pending_after=timedelta(0), dispatched_after=timedelta(0)) == 0
    assert len(erp.calls) == 1
    assert api.instance(inst['id'])['data']['total'] == 4
