"""Corpus scenarios with events (timers, messages, signals, transactions, cancel and error ends)
through the REST API with a real RQ worker: S03, S04, S05, S14, S19, S20, S21, S22.

The diagrams are read from ../shared/corpus at test time (skipped when it is absent); the steps and
the expected outcome are the project's own copy, in tests/data/corpus/expected_events.json. A step
"@timer" fires the named timer (any timer when the name is empty): through the timer sweep run by
the worker when it is already due, else early through POST .../timers/fire as an operator would.
A sub-second timer that came due while the previous step ran has fired by itself already."""
import json
import os
from datetime import datetime, timezone

import pytest
from redis import Redis
from rq import Queue

from tests.conftest import DATA, corpus_path
from tests.test_corpus_scenarios import bundle, laned
from tests.test_service_tasks import clean_queue, run_jobs

with open(os.path.join(DATA, 'corpus', 'expected_events.json'), encoding='utf-8') as f:
    SCENARIOS = json.load(f)
BY_ID = {s['id'].split('-')[0]: s for s in SCENARIOS}


def _due(timer):
    return datetime.fromisoformat(timer['due_at']) <= datetime.now(timezone.utc)


def fire_timer(api, app, inst, name):
    armed = [t for t in inst['timers'] if not name or t['name'] == name]
    if not armed:
        assert not name, f'timer "{name}" is not armed; timers: {inst["timers"]}'
        return inst  # a sub-second timer fired inside the previous command
    timer = armed[0]
    if _due(timer):
        from tasks.timers import sweep_job
        Queue(app.config['RQ_QUEUE'], connection=Redis.from_url(app.config['REDIS_URL'])).enqueue(sweep_job)
        run_jobs(app)
    else:
        fired = api.post(f'/process-instances/{inst["id"]}/timers/fire', {'task_id': timer['task_id']})
        assert fired.status == 200, fired
    inst = api.instance(inst['id'])
    assert timer['task_id'] not in [t['task_id'] for t in inst['timers']], 'the timer fired'
    return inst


def run(api, app, scenario):
    """Deploys and drives one scenario; (trace, final instance)."""
    clean_queue(app)
    key = scenario['id'].lower()
    deployed = api.deploy(key, bundle(corpus_path(scenario['file'])), primary_process_id=scenario.get('process'))
    assert deployed.status == 201, deployed
    start_id = scenario.get('collaboration') or scenario['process']
    assert start_id in deployed.json['process_ids'] + deployed.json['collaborations']
    started = api.start(key, process_id=start_id)
    assert started.status == 201, started
    inst, trace = started.json, []
    for number, (want, data) in enumerate(scenario['steps'], 1):
        if want == '@timer':
            inst = fire_timer(api, app, inst, data)
            trace.append(f'<timer {data or "*"} fired x1>')
        else:
            ready = inst['ready_tasks']
            matching = [t for t in ready if want in (t['title'], laned(t))]
            assert matching, (f'step {number} "{want}" is not ready; ready: {[laned(t) for t in ready]}, '
                              f'status {inst["status"]}, incidents {inst["incidents"]}, timers {inst["timers"]}')
            done = api.complete(matching[0]['id'], data)
            assert done.status == 200, f'completing "{want}": {done}'
            trace.append(laned(matching[0]))
        run_jobs(app)  # whatever the step handed to the worker
        inst = api.instance(inst['id'])
        for name, value in scenario.get('data_after_step', {}).get(str(number), {}).items():
            assert inst['data'].get(name, '<missing>') == value, f'after step {number}: data[{name}]: {inst["data"]}'
    return trace, inst


@pytest.mark.parametrize('scenario', SCENARIOS, ids=[s['id'] for s in SCENARIOS])
def test_corpus_event_scenario(api, app, scenario):
    trace, inst = run(api, app, scenario)
    assert trace == scenario['trace']
    assert scenario['end']['main'].startswith('completed')
    assert inst['status'] == 'completed', inst
    assert inst['ready_tasks'] == [] and inst['incidents'] == [] and inst['timers'] == []
    assert inst['message_waits'] == [] and inst['ended_at'] is not None
    for name, value in (scenario.get('data') or {}).get('main', {}).items():
        assert inst['data'].get(name, '<missing>') == value, f'data[{name}]: {inst["data"]}'
    for name, values in scenario.get('data_one_of', {}).items():
        assert inst['data'].get(name) in values, f'data[{name}]: {inst["data"]}'
    events = api.get(f'/process-instances/{inst["id"]}/events').json
    completed = [e['task_name'] for e in events if e['kind'] == 'task_completed']
    human_steps = [s for s in scenario['steps'] if not s[0].startswith('@')]
    assert len(completed) == len(human_steps)
    for name in scenario.get('not_ran', {}).get('main', []):
        assert name not in completed, f'"{name}" should not have run'
    assert events[0]['kind'] == 'started' and events[-1]['kind'] == 'completed'


def test_s04_the_thrown_order_delayed_message_starts_qa_process(api, app):
    scenario = BY_ID['S04']
    trace, inst = run(api, app, scenario)
    assert trace == scenario['trace']
    [thrown] = scenario['thrown_messages']
    items = api.get(f'/process-instances?model={scenario["id"].lower()}').json['items']
    others = [api.instance(i['id']) for i in items if i['id'] != inst['id']]
    assert [o['process_id'] for o in others] == [thrown['starts']]
    assert 'reason_delayed' in others[0]['data']['order_info']


def test_the_copy_covers_the_chosen_scenarios():
    assert list(BY_ID) == ['S03', 'S04', 'S05', 'S14', 'S19', 'S20', 'S21', 'S22']
    for s in SCENARIOS:
        assert len(s['trace']) == len(s['steps']) and s['file'].endswith('.bpmn')
        assert s.get('process') or s.get('collaboration')
