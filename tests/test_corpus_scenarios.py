"""Diagrams written by other people and other tools (the shared corpus) run through the REST API
as an integrator drives them: deploy the diagram with what it needs from its folder, start it,
complete each human task in turn, and compare the trace of `title[lane]` and the final data.

The diagrams are read from ../shared/corpus at test time (skipped when it is absent); the steps and
the expected outcome are the project's own copy, in tests/data/corpus/expected.json."""
import json
import os
import re

import pytest

from tests.conftest import DATA, corpus_path

with open(os.path.join(DATA, 'corpus', 'expected.json'), encoding='utf-8') as f:
    SCENARIOS = json.load(f)

# Data values that follow from the scripts each scenario expects to run or not to run
# (`ran` / `not_ran` in expected.json), for scenarios whose expected data says nothing about them.
SCRIPT_EFFECTS = {
    'S16-inclusive-both': {'u': 1, 'w': 1, 'v': 0},   # "v += 1" (the default flow) did not run
    'S17-inclusive-default': {'u': 0, 'w': 0},       # "u += v" and "w += v" did not run with v = -1
}


def folder_files(folder):
    found = []
    for root, dirs, names in os.walk(folder):
        dirs.sort()  # a deterministic pick when two files define the same process
        found += [os.path.join(root, n) for n in sorted(names)]
    return found


def text_of(path):
    with open(path, 'rb') as f:
        return f.read().decode('utf-8', 'replace')


def bundle(diagram):
    """The diagram, the files of its folder defining the processes its call activities name
    (recursively) and the decisions its business rule tasks use, and every JSON form of the folder."""
    candidates = folder_files(os.path.dirname(diagram))

    def defining(tag, ident, suffixes):
        pattern = rf'<(?:\w+:)?{tag}\b[^>]*\bid="{re.escape(ident)}"'
        return next((c for c in candidates if c.endswith(suffixes) and re.search(pattern, text_of(c))), None)

    chosen, todo = [], [diagram]
    while todo:
        path = todo.pop()
        if path in chosen:
            continue
        chosen.append(path)
        text = text_of(path)
        for ident in re.findall(r'calledElement="([^"]+)"', text):
            if not re.search(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(ident)}"', text):
                todo += [p for p in [defining('process', ident, ('.bpmn', '.bpmn20.xml'))] if p]
        for ident in re.findall(r'(?:calledDecisionId>|decisionRef=")([^<"]+)', text):
            if ident.strip():
                todo += [p for p in [defining('decision', ident.strip(), ('.dmn',))] if p]
    chosen += [c for c in candidates if c.endswith('.json') and c not in chosen]
    files = {}
    for path in chosen:
        with open(path, 'rb') as f:
            files[os.path.basename(path)] = f.read()
    return files


def laned(task):
    title = task['title'] or task['name']
    return title + (f'[{task["lane"]}]' if task.get('lane') else '')


def run(api, scenario):
    """Deploys and drives one scenario; (trace, final instance)."""
    files = bundle(corpus_path(scenario['file']))
    key = scenario['id'].lower()
    deployed = api.deploy(key, files, primary_process_id=scenario.get('process'))
    assert deployed.status == 201, deployed
    assert scenario['process'] in deployed.json['process_ids']
    started = api.start(key, process_id=scenario['process'])
    assert started.status == 201, started
    inst = started.json
    trace = []
    for want, data in scenario['steps']:
        assert not want.startswith('@'), f'{want}: these scenarios have human steps only'
        ready = inst['ready_tasks']
        matching = [t for t in ready if want in (t['title'], laned(t))]
        assert matching, (f'step {len(trace) + 1} "{want}" is not ready; ready: {[laned(t) for t in ready]}, '
                          f'status {inst["status"]}, incidents {inst["incidents"]}')
        done = api.complete(matching[0]['id'], data)
        assert done.status == 200, f'completing "{want}": {done}'
        trace.append(laned(matching[0]))
        inst = done.json
    return trace, api.instance(inst['id'])


@pytest.mark.parametrize('scenario', SCENARIOS, ids=[s['id'] for s in SCENARIOS])
def test_corpus_scenario(api, scenario):
    trace, inst = run(api, scenario)
    assert trace == scenario['trace']
    assert scenario['end']['main'].startswith('completed')
    assert inst['status'] == 'completed', inst
    assert inst['ready_tasks'] == [] and inst['incidents'] == []
    assert inst['ended_at'] is not None
    expected = {**(scenario.get('data') or {}).get('main', {}), **SCRIPT_EFFECTS.get(scenario['id'], {})}
    for name, value in expected.items():
        assert inst['data'].get(name, '<missing>') == value, f'data[{name}]: {inst["data"]}'
    kinds = [e['kind'] for e in api.get(f'/process-instances/{inst["id"]}/events').json]
    assert kinds.count('task_completed') == len(scenario['steps'])
    assert kinds[0] == 'started' and kinds[-1] == 'completed'


def test_the_copy_covers_the_chosen_scenarios():
    assert [s['id'].split('-')[0] for s in SCENARIOS] == ['S01', 'S02', 'S06', 'S10', 'S16', 'S17']
    for s in SCENARIOS:
        assert len(s['trace']) == len(s['steps']) and s['process'] and s['file'].endswith('.bpmn')
