"""Nothing is lost when parts fail: Redis stopped in the middle of the day (orders and task
completions still go through, their outbox rows wait and are sent when Redis is back), a worker
killed with SIGKILL in the middle of a job (the job runs again, the task completes once), and
deadlines missed on a user task (interrupting and non-interrupting boundary timers)."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest

from tests.conftest import DATA, ROOT
from tests.support.api import read_files
from tests.test_service_tasks import HttpServer, clean_queue, outbox_rows, run_jobs

OUTAGE = os.path.join(DATA, 'outage', 'approve_and_price.bpmn')


@pytest.fixture
def erp():
    server = HttpServer()
    yield server
    server.close()


@pytest.fixture
def outage_model(api, app):
    clean_queue(app)
    assert api.deploy('approve_and_price', read_files(OUTAGE)).status == 201


def service_completions(api, instance_id):
    return [e for e in api.get(f'/process-instances/{instance_id}/events').json if e['kind'] == 'service_completed']


def test_with_redis_down_orders_are_accepted_and_sent_when_it_is_back(api, app, erp, outage_model, redis_server):
    from engine import outbox
    for no in range(1, 7):
        erp.on(f'/prices/EO-{no}', {'json': {'price': no}})
    order = {'erp_url': erp.url}
    waiting = [api.start('approve_and_price', {**order, 'order_no': f'EO-{no}', 'needs_approval': True}).json
               for no in (1, 2)]
    assert all(i['status'] == 'waiting' for i in waiting) and outbox_rows(app) == []

    redis_server.stop()
    try:
        started = [api.start('approve_and_price', {**order, 'order_no': f'EO-{no}', 'needs_approval': False})
                   for no in (3, 4, 5)]
        assert [s.status for s in started] == [201, 201, 201], started
        assert all(s.json['status'] == 'running' for s in started)
        completed = [api.complete(i['ready_tasks'][0]['id'], {'approved': True}) for i in waiting]
        assert [c.status for c in completed] == [200, 200], completed
        late = api.start('approve_and_price', {**order, 'order_no': 'EO-6', 'needs_approval': False})
        assert late.status == 201

        rows = outbox_rows(app)
        assert len(rows) == 6 and {r['status'] for r in rows} == {'pending'}
        assert all(r['attempts'] == 0 and r['last_error'] for r in rows)
        ops = api.get('/operations')
        assert ops.status == 200, ops
        assert ops.json['queue']['redis'].startswith('down')
        assert sorted(r['key'] for r in ops.json['pending']) == sorted(r['key'] for r in rows)
        assert {(c['kind'], c['status'], c['count']) for c in ops.json['outbox']} == {('service', 'pending', 6)}
        with app.app_context():   # the sweep keeps running without Redis: rows stay pending
            assert outbox.redispatch_stale(pending_after=timedelta(0)) == 0
        assert {r['status'] for r in outbox_rows(app)} == {'pending'}
    finally:
        redis_server.start()      # same port, empty

    with app.app_context():
        assert outbox.redispatch_stale(pending_after=timedelta(0)) == 6
        from tasks.maintenance import sweep_once
        assert sweep_once() == (0, 0), 'a second sweep finds nothing left to send'
    assert {r['status'] for r in outbox_rows(app)} == {'dispatched'}
    assert api.get('/operations').json['queue']['redis'] == 'up'
    run_jobs(app)

    instances = api.get('/process-instances?model=approve_and_price').json['items']
    assert len(instances) == 6
    for item in instances:
        inst = api.instance(item['id'])
        assert [t['title'] for t in inst['ready_tasks']] == ['Confirm order'], inst
        no = int(inst['data']['order_no'].split('-')[1])
        assert inst['data']['price_answer']['json'] == {'price': no}
        assert len(service_completions(api, inst['id'])) == 1
        assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'
    assert sorted(c['path'] for c in erp.calls) == sorted(f'/prices/EO-{no}' for no in range(1, 7))
    assert {r['status'] for r in outbox_rows(app)} == {'done'}


def _worker(app, redis_server):
    env = {**os.environ, 'DATABASE_URL': app.config['SQLALCHEMY_DATABASE_URI'], 'REDIS_URL': redis_server.url,
           'EOMS_RQ_QUEUE': app.config['RQ_QUEUE'], 'PYTHONUNBUFFERED': '1'}
    return subprocess.Popen([sys.executable, '-m', 'flask', '--app', 'wsgi', 'worker', '--burst'], cwd=ROOT,
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _descendants(pid):
    """Processes below pid (an RQ worker's work horse runs in a process group of its own)."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open(f'/proc/{entry}/stat') as f:
                    parent = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill_hard(worker):
    for pid in [*_descendants(worker.pid), worker.pid]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='finds the work horse through /proc')
def test_a_worker_killed_mid_job_the_job_runs_again_and_completes_once(api, app, erp, outage_model, redis_server):
    from engine import outbox
    erp.on('/prices/EO-50', {'json': {'price': 50}, 'delay': 3}, {'json': {'price': 51}})
    inst = api.start('approve_and_price', {'erp_url': erp.url, 'order_no': 'EO-50', 'needs_approval': False}).json
    [row] = outbox_rows(app)
    assert row['status'] == 'dispatched'

    worker = _worker(app, redis_server)
    try:
        deadline = time.monotonic() + 30
        while not erp.calls and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.05)
        assert erp.calls, f'the worker never called the ERP: {worker.communicate(timeout=5)[0]!r}'
        horses = _descendants(worker.pid)
        assert horses, 'the job runs in a forked work horse'
        _kill_hard(worker)                      # the worker and its work horse, mid-request
    finally:
        if worker.poll() is None:
            _kill_hard(worker)
        worker.wait(timeout=10)
        worker.stdout.close()
    assert worker.returncode == -signal.SIGKILL
    time.sleep(3.2)  # the ERP finishes its slow answer to nobody
    inst = api.instance(inst['id'])
    assert inst['status'] == 'running' and inst['ready_tasks'] == [], 'the killed job reported nothing'
    assert service_completions(api, inst['id']) == []
    assert [r['status'] for r in outbox_rows(app)] == ['dispatched']

    with app.app_context():
        assert outbox.redispatch_stale(dispatched_after=timedelta(0)) == 1
    run_jobs(app)                                       # a second worker
    with app.app_context():                             # and one more needless re-send
        assert outbox.redispatch_stale(dispatched_after=timedelta(0)) == 0
    run_jobs(app)

    inst = api.instance(inst['id'])
    assert [t['title'] for t in inst['ready_tasks']] == ['Confirm order']
    assert inst['data']['price_answer']['json'] == {'price': 51}
    assert len(service_completions(api, inst['id'])) == 1
    assert len(erp.calls) == 2
    assert [(r['status'], r['attempts']) for r in outbox_rows(app)] == [('done', 2)]
    assert api.complete(inst['ready_tasks'][0]['id']).json['status'] == 'completed'


@pytest.fixture
def review(api):
    files = read_files(os.path.join(DATA, 'deadlines', 'drawing_review.bpmn'))
    assert api.deploy('drawing_review', files).status == 201
    inst = api.start('drawing_review', {'drawing': 'DWG-7'}).json
    assert [t['title'] for t in inst['ready_tasks']] == ['Review drawing']
    return inst


def _timer(inst, name):
    [timer] = [t for t in inst['timers'] if t['name'] == name]
    return timer


def test_a_non_interrupting_boundary_timer_adds_work_and_leaves_the_task_open(api, review):
    assert sorted(t['name'] for t in review['timers']) == ['Reminder due', 'Review overdue']
    reminder = _timer(review, 'Reminder due')
    fired = api.post(f'/process-instances/{review["id"]}/timers/fire', {'task_id': reminder['task_id']})
    assert fired.status == 200, fired
    inst = fired.json
    assert sorted(t['title'] for t in inst['ready_tasks']) == ['Remind the reviewer', 'Review drawing']
    assert [t['name'] for t in inst['timers']] == ['Review overdue'], 'the interrupting deadline is still armed'
    again = api.post(f'/process-instances/{review["id"]}/timers/fire', {'task_id': reminder['task_id']})
    assert again.status == 409 and again.json['error']['code'] == 'timer_not_armed'
    assert api.post(f'/process-instances/{review["id"]}/timers/fire', {'task_id': '0' * 32}).status == 404

    by_title = {t['title']: t for t in inst['ready_tasks']}
    after_review = api.complete(by_title['Review drawing']['id'], {'approved': True}).json
    assert after_review['status'] == 'waiting' and after_review['timers'] == []
    assert [t['title'] for t in after_review['ready_tasks']] == ['Remind the reviewer']
    assert api.complete(by_title['Remind the reviewer']['id']).json['status'] == 'completed'
    kinds = [e['kind'] for e in api.get(f'/process-instances/{review["id"]}/events').json]
    assert kinds.count('timer_fired') == 1 and kinds.count('task_completed') == 2


def test_an_interrupting_boundary_timer_cancels_the_task(api, review):
    overdue = _timer(review, 'Review overdue')
    [task] = review['ready_tasks']
    clerk = api.as_user('bob', ['engineering'])
    assert clerk.post(f'/process-instances/{review["id"]}/timers/fire', {}).status == 403
    inst = api.post(f'/process-instances/{review["id"]}/timers/fire', {'task_id': overdue['task_id']}).json
    assert [t['title'] for t in inst['ready_tasks']] == ['Review it yourself']
    assert inst['timers'] == [], 'the reminder went with the cancelled task'
    late = api.complete(task['id'], {'approved': True})
    assert late.status == 409 and late.json['error']['code'] == 'task_not_ready'
    assert api.post(f'/process-instances/{review["id"]}/timers/fire', {}).status == 409
    done = api.complete(inst['ready_tasks'][0]['id'])
    assert done.json['status'] == 'completed' and 'approved' not in done.json['data']
