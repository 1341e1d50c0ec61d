"""A gateway loop of script tasks grows SpiffWorkflow's task tree without bound; past about 1000
levels the engine stops finding tasks and would call the instance completed. The engine must
stop such an instance with an incident instead, and leave ordinary loops alone."""
import os

import pytest

from tests.support.api import read_files

LOOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'loop', 'counter_loop.bpmn')


@pytest.fixture
def loop(api):
    r = api.deploy('counter_loop', read_files(LOOP))
    assert r.status == 201, r
    return api


@pytest.mark.parametrize('limit', [400, 600])
def test_a_loop_too_deep_for_the_engine_stops_with_an_incident(loop, limit):
    api = loop
    r = api.start('counter_loop', {'limit': limit})
    assert r.status == 201, r
    inst = r.json
    assert inst['status'] == 'error', (inst['status'], inst['data'].get('counter'))
    assert inst['ended_at'] is None
    assert len(inst['incidents']) == 1, inst['incidents']
    incident = inst['incidents'][0]
    assert incident['code'] == 'loop_too_deep'
    assert 'looped too often' in incident['message'] and 'deep' in incident['message']

    again = api.instance(inst['id'])
    assert (again['status'], again['incidents']) == ('error', inst['incidents'])
    assert api.get('/process-instances?status=completed').json['total'] == 0
    assert [row['id'] for row in api.get('/process-instances?status=error').json['items']] == [inst['id']]
    kinds = [e['kind'] for e in api.get(f'/process-instances/{inst["id"]}/events').json]
    assert 'incident' in kinds and 'completed' not in kinds


def test_a_loop_of_a_hundred_iterations_completes(loop):
    api = loop
    r = api.start('counter_loop', {'limit': 100})
    assert r.status == 201, r
    inst = r.json
    assert (inst['status'], inst['incidents']) == ('completed', []), inst['incidents']
    assert inst['data']['counter'] == 100
    assert inst['ended_at'] is not None
