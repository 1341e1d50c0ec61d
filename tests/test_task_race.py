"""Many clients act on the same task at the same moment: exactly one wins, every other one is told
the task is gone (409) and by whom, and the instance is left as if one person had acted."""
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import event, text

from engine import fastsql

from engine.db import db
from engine.models import AuditEvent, HumanTask
from tests.support.api import shipped_bundle

CLIENTS = 8


def intake_data(title):
    return {'title': title, 'customer': 'Harbour Works Ltd', 'order_type': 'standard', 'urgency': 'normal',
            'amount': 120000, 'description': 'Quay wall repair', 'requested_date': '2026-09-30',
            'line_items': [{'description': 'Sheet piling', 'quantity': 40, 'unit': 'm', 'unit_price': 3000}]}


@pytest.fixture
def intake(api):
    """An order_lifecycle instance whose "Order intake" task (lane requester) is ready."""
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    started = api.start('order_lifecycle')
    assert started.status == 201, started
    instance_id = started.json['id']
    return instance_id, api.ready_task(instance_id, 'Order intake')


def at_once(app, requests):
    """Runs every request(client) in its own thread with its own test client, released together;
    returns [(status, json)] in the order of requests."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def go(i, request):
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            raw = request(client)
            results[i] = (raw.status_code, raw.get_json(silent=True))
        except Exception as e:  # reported by the assertions below, not lost in the thread
            results[i] = (type(e).__name__, str(e))

    threads = [threading.Thread(target=go, args=(i, r)) for i, r in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), 'a request never answered'
    return results


def post(path, token, body=None):
    return lambda client: client.post('/api/v1' + path, json=body or {}, headers={'Authorization': f'Bearer {token}'})


def rows_of(app, instance_id):
    with app.app_context():
        tasks = [(t.name, t.state, t.completed_by) for t in HumanTask.query.filter_by(instance_id=instance_id)]
        events = [(e.kind, e.actor, (e.detail or {}).get('task_id'))
                  for e in AuditEvent.query.filter_by(instance_id=instance_id).order_by(AuditEvent.id)]
    return tasks, events


def test_eight_clients_complete_the_same_task(api, app, intake):
    instance_id, task = intake
    titles = [f'Quay wall, client {i}' for i in range(CLIENTS)]
    results = at_once(app, [post(f'/tasks/{task["id"]}/complete', api.token, {'data': intake_data(title)})
                            for title in titles])
    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: CLIENTS - 1}, results

    winner = next(i for i, (status, _) in enumerate(results) if status == 200)
    for status, body in results:
        if status == 409:
            assert body['error']['code'] == 'task_not_ready', body
            assert 'Order intake' in body['error']['message']
            assert 'completed by alice' in body['error']['message'], body
            assert body['error']['details']['completed_by'] == 'alice'

    # the instance moved on once, with the winner's data
    won = results[winner][1]
    assert [t['title'] for t in won['ready_tasks']] == ['Prepare quotation']
    inst = api.instance(instance_id)
    assert inst['status'] == 'waiting'
    assert [t['title'] for t in inst['ready_tasks']] == ['Prepare quotation']
    assert inst['data']['title'] == titles[winner]

    tasks, events = rows_of(app, instance_id)
    assert sorted(tasks) == [('order_intake', 'completed', 'alice'), ('prepare_quotation', 'ready', None)]
    completed = [e for e in events if e[0] == 'task_completed']
    assert completed == [('task_completed', 'alice', task['id'])]
    assert [e[0] for e in events].count('started') == 1

    listed = api.get(f'/tasks?scope=all&instance_id={instance_id}')
    assert [t['title'] for t in listed.json] == ['Prepare quotation']

    # the task stays done: one more try is refused the same way and changes nothing
    late = api.complete(task['id'], intake_data('Too late'))
    assert late.status == 409 and late.json['error']['code'] == 'task_not_ready'
    assert rows_of(app, instance_id) == (tasks, events)


def test_the_next_task_can_be_raced_too(api, app, intake):
    """The winner's state is a sound base for the next command: race the next task as well."""
    instance_id, task = intake
    assert api.complete(task['id'], intake_data('Quay wall')).status == 200
    quote = api.ready_task(instance_id, 'Prepare quotation')
    body = {'data': {'quoted_amount': 118000, 'validity_days': 30}}
    results = at_once(app, [post(f'/tasks/{quote["id"]}/complete', api.token, body)] * CLIENTS)
    assert Counter(status for status, _ in results) == {200: 1, 409: CLIENTS - 1}, results
    tasks, events = rows_of(app, instance_id)
    done = [t for t in tasks if t[0] == 'prepare_quotation']
    assert done == [('prepare_quotation', 'completed', 'alice')]
    assert [e for e in events if e[0] == 'task_completed' and e[2] == quote['id']] == \
        [('task_completed', 'alice', quote['id'])]
    # whatever comes next is ready once, not once per client
    ready = [t['name'] for t in api.ready(instance_id)]
    assert ready and len(ready) == len(set(ready))
    assert Counter(name for name, state, _ in tasks if state == 'ready') == Counter(ready)


def claim_race(api, app, task, members):
    results = at_once(app, [post(f'/tasks/{task["id"]}/claim', m.token) for m in members])
    assert [status for status, _ in results].count(200) == 1, results
    index = next(i for i, (status, _) in enumerate(results) if status == 200)
    winner = members[index]
    assert results[index][1]['assignee'] == winner.username
    for status, body in results:  # whoever loses, by a millisecond or by a minute, gets 409
        if status != 200:
            assert (status, body['error']['code']) == (409, 'already_claimed'), results
    with app.app_context():
        row = db.session.get(HumanTask, task['id'])
        assert (row.state, row.assignee) == ('ready', winner.username)
    return winner


def test_two_members_claim_the_same_task(api, app, intake):
    instance_id, task = intake
    bob = api.as_user('bob', ['requester'])
    carol = api.as_user('carol', ['requester'])
    winner = claim_race(api, app, task, [bob, carol])
    loser = carol if winner is bob else bob

    assert [t['id'] for t in winner.get('/tasks?scope=mine').json] == [task['id']]
    assert loser.get('/tasks?scope=mine').json == []
    _, events = rows_of(app, instance_id)
    assert [e[:2] for e in events if e[0] == 'claimed'] == [('claimed', winner.username)]

    # only the winner may complete it now
    refused = loser.complete(task['id'], intake_data('Not mine'))
    assert refused.status == 403, refused
    assert refused.json['error']['code'] == 'claimed_by_other'
    assert winner.complete(task['id'], intake_data('Mine')).status == 200
    assert [t['title'] for t in api.ready(instance_id)] == ['Prepare quotation']
    tasks, events = rows_of(app, instance_id)
    assert ('order_intake', 'completed', winner.username) in tasks
    assert [e[:2] for e in events if e[0] == 'task_completed'] == [('task_completed', winner.username)]


def test_eight_members_claim_the_same_task(api, app, intake):
    instance_id, task = intake
    members = [api.as_user(f'member{i}', ['requester']) for i in range(CLIENTS)]
    winner = claim_race(api, app, task, members)
    _, events = rows_of(app, instance_id)
    assert [e[:2] for e in events if e[0] == 'claimed'] == [('claimed', winner.username)]


def test_claim_of_a_task_claimed_by_another_member(api, intake):
    _, task = intake
    bob = api.as_user('bob', ['requester'])
    carol = api.as_user('carol', ['requester'])
    assert bob.post(f'/tasks/{task["id"]}/claim').status == 200
    late = carol.post(f'/tasks/{task["id"]}/claim')
    assert late.status == 409, late
    assert 'bob' in late.json['error']['message']


def on_postgresql(app):
    with app.app_context():
        return db.engine.dialect.name == 'postgresql'


@pytest.fixture
def postgresql_only(app):
    if not on_postgresql(app):
        pytest.skip('row locks and deadlock detection are PostgreSQL behaviour')


def test_claim_of_a_task_someone_just_completed(api, app, intake):
    """A claim and completions racing: when a completion wins, the claim answers 409 too."""
    instance_id, task = intake
    bob = api.as_user('bob', ['requester'])
    requests = [post(f'/tasks/{task["id"]}/complete', api.token, {'data': intake_data('Quay wall')})] * 4 \
        + [post(f'/tasks/{task["id"]}/claim', bob.token)] * 4
    results = at_once(app, requests)
    completions, claims = results[:4], results[4:]
    assert [s for s, _ in completions].count(200) == 1, results
    assert all(s == 409 for s, _ in completions if s != 200), results
    assert all(s in (200, 409) for s, _ in claims), results
    tasks, events = rows_of(app, instance_id)
    assert sorted(t[:2] for t in tasks) == [('order_intake', 'completed'), ('prepare_quotation', 'ready')]
    assert [e[0] for e in events].count('task_completed') == 1


def test_claim_blocked_by_a_completion_does_not_deadlock(api, app, intake, postgresql_only, monkeypatch):
    """The interleaving of a claim and a completion that the races above hit now and then, made
    deterministic: the completion holds the instance lock and is about to update the task row when
    the claim comes in. The claim must end as a win before the completion or a 409 after it."""
    instance_id, task = intake
    bob = api.as_user('bob', ['requester'])
    completer_paused, release_completer = threading.Event(), threading.Event()
    claimer_pid = []

    run_statement = fastsql.run

    def run_pausing(sql, rows=None, *args, **kwargs):
        # The projection's task update goes through engine.fastsql, straight on the DB-API cursor.
        if (threading.current_thread().name == 'completer' and sql.startswith('UPDATE human_task')
                and not completer_paused.is_set()):
            completer_paused.set()   # it holds process_instance FOR UPDATE by now
            release_completer.wait(timeout=20)
        return run_statement(sql, rows, *args, **kwargs)

    monkeypatch.setattr(fastsql, 'run', run_pausing)

    def hold(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == 'claimer' and not claimer_pid:
            claimer_pid.append(conn.connection.dbapi_connection.info.backend_pid)

    results = {}

    def call(name, request):
        raw = request(app.test_client())
        results[name] = (raw.status_code, raw.get_json(silent=True))

    with app.app_context():
        engine = db.engine
    event.listen(engine, 'before_cursor_execute', hold)
    try:
        completer = threading.Thread(name='completer', target=call, args=(
            'complete', post(f'/tasks/{task["id"]}/complete', api.token, {'data': intake_data('Quay wall')})))
        claimer = threading.Thread(name='claimer', target=call, args=(
            'claim', post(f'/tasks/{task["id"]}/claim', bob.token)))
        completer.start()
        assert completer_paused.wait(timeout=20), 'the completion never reached its task update'
        claimer.start()
        with engine.connect() as watch:   # wait (a bounded while) for the claim to block on a lock
            for _ in range(100):
                if claimer_pid and watch.execute(text('SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid'),
                                                 {'pid': claimer_pid[0]}).scalar() == 'Lock':
                    break
                if not claimer.is_alive():
                    break
                time.sleep(0.05)
                watch.rollback()
        release_completer.set()
        completer.join(timeout=60)
        claimer.join(timeout=60)
    finally:
        release_completer.set()
        event.remove(engine, 'before_cursor_execute', hold)
    assert results['complete'][0] == 200, results
    assert results['claim'][0] in (200, 409), results
    tasks, events = rows_of(app, instance_id)
    assert sorted(t[:2] for t in tasks) == [('order_intake', 'completed'), ('prepare_quotation', 'ready')]
    assert [e[0] for e in events].count('task_completed') == 1
