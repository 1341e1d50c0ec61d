"""Who may act on a human task: lanes name groups, `lane_owners` names people, a task without a
lane belongs to the initiator, admins may act on anything; task lists by scope; claims; tokens."""
import os
import uuid

import pytest
from werkzeug.security import generate_password_hash

from tests.support.api import read_files

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'lanes')


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """These users only use API tokens: a cheap password hash keeps the setup fast."""
    monkeypatch.setattr('accounts.service.generate_password_hash',
                        lambda password: generate_password_hash(password, method='pbkdf2:sha256:1'))


def deploy(api, key, name):
    r = api.deploy(key, read_files(os.path.join(DATA, name)))
    assert r.status == 201, r
    return r.json


def start(client, key, data=None):
    r = client.start(key, data)
    assert r.status == 201, r
    assert r.json['status'] == 'waiting', r
    return r.json


def only_ready(inst):
    assert len(inst['ready_tasks']) == 1, inst['ready_tasks']
    return inst['ready_tasks'][0]


def assert_error(response, status, code):
    assert response.status == status, response
    body = response.json
    assert set(body) == {'error'}, body
    assert body['error']['code'] == code, body
    assert isinstance(body['error']['message'], str) and body['error']['message'].strip()


def task_events(api, instance_id):
    events = api.get(f'/process-instances/{instance_id}/events')
    assert events.status == 200, events
    return [e for e in events.json if e['kind'] == 'task_completed']


@pytest.fixture
def review(api):
    deploy(api, 'review_and_approve', 'review_and_approve.bpmn')
    return api


def test_a_task_belongs_to_the_group_named_by_its_lane(review):
    api = review
    rob = api.as_user('rob', ['reviewer'])
    amy = api.as_user('amy', ['approver'])
    inst = start(api, 'review_and_approve')

    task = only_ready(inst)
    assert (task['title'], task['name'], task['lane'], task['groups']) == (
        'Review request', 'review_request', 'reviewer', ['reviewer'])
    assert_error(amy.complete(task['id']), 403, 'not_your_task')

    done = rob.complete(task['id'])
    assert done.status == 200, done
    approve = only_ready(done.json)
    assert (approve['title'], approve['lane'], approve['groups']) == ('Approve request', 'approver', ['approver'])
    assert_error(rob.complete(approve['id']), 403, 'not_your_task')
    assert_error(rob.complete(task['id']), 409, 'task_not_ready')

    finished = amy.complete(approve['id'])
    assert finished.status == 200, finished
    assert finished.json['status'] == 'completed'
    assert [(e['actor'], e['task_name'], e['detail']['as_admin']) for e in task_events(api, inst['id'])] == [
        ('rob', 'Review request', False), ('amy', 'Approve request', False)]


def test_unknown_task_ids_answer_404(review):
    api = review
    rob = api.as_user('rob', ['reviewer'])
    start(api, 'review_and_approve')
    for task_id in (str(uuid.uuid4()), 'not-a-task'):
        for action in ('complete', 'claim', 'unclaim'):
            assert_error(rob.post(f'/tasks/{task_id}/{action}', {}), 404, 'task_not_found')
    assert_error(api.post(f'/tasks/{uuid.uuid4()}/complete', {'data': {}}), 404, 'task_not_found')


def test_lane_owners_in_the_data_override_the_lane_group(api):
    deploy(api, 'assigned_approval', 'lane_owners.bpmn')
    bob = api.as_user('bob')
    amy = api.as_user('amy', ['approver'])
    rob = api.as_user('rob', ['reviewer'])
    inst = start(api, 'assigned_approval')
    assert inst['data']['lane_owners'] == {'approver': ['bob']}

    task = only_ready(inst)
    assert (task['title'], task['lane'], task['groups']) == ('Approve request', 'approver', [])
    assert [t['id'] for t in bob.get('/tasks?scope=groups').json] == [task['id']]
    assert amy.get('/tasks?scope=groups').json == []
    assert_error(amy.complete(task['id']), 403, 'not_your_task')
    assert_error(amy.post(f'/tasks/{task["id"]}/claim'), 403, 'not_your_task')

    done = bob.complete(task['id'])
    assert done.status == 200, done
    # lane_owners names only the approver lane: the reviewer lane still goes to its group.
    filing = only_ready(done.json)
    assert (filing['title'], filing['lane'], filing['groups']) == ('File request', 'reviewer', ['reviewer'])
    assert_error(bob.complete(filing['id']), 403, 'not_your_task')
    finished = rob.complete(filing['id'])
    assert finished.status == 200 and finished.json['status'] == 'completed', finished


def test_a_task_without_a_lane_belongs_to_the_initiator_only(api):
    deploy(api, 'personal_note', 'no_lane.bpmn')
    carol = api.as_user('carol', ['requester'])
    dave = api.as_user('dave', ['requester'])
    inst = start(carol, 'personal_note')
    assert inst['initiator'] == 'carol'

    task = only_ready(inst)
    assert (task['title'], task['lane'], task['groups']) == ('Write note', None, [])
    assert [t['id'] for t in carol.get('/tasks?scope=groups').json] == [task['id']]
    assert dave.get('/tasks?scope=groups').json == []
    assert_error(dave.complete(task['id']), 403, 'not_your_task')

    done = carol.complete(task['id'])
    assert done.status == 200 and done.json['status'] == 'completed', done


def test_an_admin_may_complete_any_task_and_the_audit_says_so(review):
    api = review  # alice: admin only, in no lane's group
    root = api.as_user('root', ['admin', 'approver'])
    inst = start(api.as_user('rita', ['requester']), 'review_and_approve')
    task = only_ready(inst)
    assert task['groups'] == ['reviewer']

    done = api.complete(task['id'])
    assert done.status == 200, done
    approve = only_ready(done.json)
    # An admin who is also in the lane's group acts as a member, not as an admin.
    finished = root.complete(approve['id'])
    assert finished.status == 200 and finished.json['status'] == 'completed', finished

    events = task_events(api, inst['id'])
    assert [(e['actor'], e['task_name'], e['detail']['as_admin']) for e in events] == [
        ('alice', 'Review request', True), ('root', 'Approve request', False)]


def test_task_lists_by_scope(review):
    api = review
    rob = api.as_user('rob', ['reviewer'])
    amy = api.as_user('amy', ['approver'])
    first = start(api, 'review_and_approve')
    second = start(api, 'review_and_approve')
    reviews = {only_ready(first)['id'], only_ready(second)['id']}

    listed = rob.get('/tasks?scope=groups')
    assert listed.status == 200, listed
    assert {t['id'] for t in listed.json} == reviews
    assert {t['id'] for t in rob.get('/tasks').json} == reviews  # groups is the default scope
    assert [t['id'] for t in rob.get(f'/tasks?scope=groups&instance_id={second["id"]}').json] == [
        only_ready(second)['id']]
    assert amy.get('/tasks?scope=groups').json == []
    assert rob.get('/tasks?scope=mine').json == []

    claimed = rob.post(f'/tasks/{only_ready(first)["id"]}/claim')
    assert claimed.status == 200 and claimed.json['assignee'] == 'rob', claimed
    assert [t['id'] for t in rob.get('/tasks?scope=mine').json] == [only_ready(first)['id']]
    assert {t['id'] for t in rob.get('/tasks?scope=groups').json} == reviews  # claimed tasks stay listed

    # Once the review is done, the approval shows up for approvers and leaves the reviewer's lists.
    done = rob.complete(only_ready(first)['id'])
    approve = only_ready(done.json)
    assert rob.get('/tasks?scope=mine').json == []
    assert [t['id'] for t in rob.get('/tasks?scope=groups').json] == [only_ready(second)['id']]
    assert [t['id'] for t in amy.get('/tasks?scope=groups').json] == [approve['id']]

    assert_error(rob.get('/tasks?scope=all'), 403, 'admin_only')
    assert_error(amy.get('/tasks?scope=all'), 403, 'admin_only')
    everything = api.get('/tasks?scope=all')
    assert everything.status == 200, everything
    assert {t['id'] for t in everything.json} == {approve['id'], only_ready(second)['id']}
    assert_error(rob.get('/tasks?scope=everyone'), 422, 'invalid_request')


def test_a_claim_keeps_other_group_members_out_until_released(review):
    api = review
    rob = api.as_user('rob', ['reviewer'])
    rita = api.as_user('rita', ['reviewer'])
    inst = start(api, 'review_and_approve')
    task_id = only_ready(inst)['id']

    claimed = rob.post(f'/tasks/{task_id}/claim')
    assert claimed.status == 200 and claimed.json['assignee'] == 'rob', claimed
    again = rob.post(f'/tasks/{task_id}/claim')
    assert again.status == 200 and again.json['assignee'] == 'rob', again
    assert api.ready_task(inst['id'], 'Review request')['assignee'] == 'rob'

    assert_error(rita.complete(task_id), 403, 'claimed_by_other')
    assert_error(rita.post(f'/tasks/{task_id}/claim'), 409, 'already_claimed')
    assert_error(rita.post(f'/tasks/{task_id}/unclaim'), 403, 'claimed_by_other')
    assert api.ready_task(inst['id'], 'Review request')['assignee'] == 'rob'

    released = rob.post(f'/tasks/{task_id}/unclaim')
    assert released.status == 200 and released.json['assignee'] is None, released
    assert rob.get('/tasks?scope=mine').json == []

    assert rita.post(f'/tasks/{task_id}/claim').json['assignee'] == 'rita'
    done = rita.complete(task_id)
    assert done.status == 200, done
    kinds = [(e['kind'], e['actor']) for e in api.get(f'/process-instances/{inst["id"]}/events').json
             if e['kind'] in ('claimed', 'unclaimed', 'task_completed')]
    assert kinds == [('claimed', 'rob'), ('unclaimed', 'rob'), ('claimed', 'rita'), ('task_completed', 'rita')]


def test_an_admin_may_release_and_complete_a_task_claimed_by_someone_else(review):
    api = review
    rob = api.as_user('rob', ['reviewer'])
    inst = start(api, 'review_and_approve')
    task_id = only_ready(inst)['id']
    assert rob.post(f'/tasks/{task_id}/claim').status == 200

    released = api.post(f'/tasks/{task_id}/unclaim')
    assert released.status == 200 and released.json['assignee'] is None, released
    assert rob.post(f'/tasks/{task_id}/claim').status == 200
    done = api.complete(task_id)
    assert done.status == 200, done
    assert done.json['ready_tasks'][0]['title'] == 'Approve request'


@pytest.mark.parametrize('headers', [
    {},
    {'Authorization': 'Bearer '},
    {'Authorization': 'Bearer eoms_not-a-real-token'},
    {'Authorization': 'Basic YWxpY2U6cGFzc3dvcmQtMTIz'},
    {'Authorization': 'eoms_token-without-a-scheme'},
])
def test_a_missing_or_bad_token_answers_401_with_the_error_shape(review, headers):
    api = review
    inst = start(api, 'review_and_approve')
    task_id = only_ready(inst)['id']
    requests = [
        api.client.get('/api/v1/tasks?scope=groups', headers=headers),
        api.client.get(f'/api/v1/process-instances/{inst["id"]}', headers=headers),
        api.client.post(f'/api/v1/tasks/{task_id}/complete', json={'data': {}}, headers=headers),
        api.client.post('/api/v1/process-instances', json={'model': 'review_and_approve'}, headers=headers),
    ]
    for raw in requests:
        assert raw.status_code == 401, raw.get_data(as_text=True)
        body = raw.get_json()
        assert set(body) == {'error'} and body['error']['code'] == 'unauthorized', body
        assert body['error']['message']
    # Nothing happened: the task is still ready and no instance was started.
    assert api.ready_task(inst['id'], 'Review request')['id'] == task_id
    assert api.get('/process-instances').json['total'] == 1
