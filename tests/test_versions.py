"""Deployed versions are immutable: running instances stay on the version they started on, new
ones take the latest (or the one asked for); and instance state lives in the database, so a new
application process picks up where the last one stopped."""
import os

from tests.support.api import ApiClient, read_files

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'versions')
V1 = os.path.join(DATA, 'v1', 'change_request.bpmn')
V2 = os.path.join(DATA, 'v2', 'change_request.bpmn')


def deploy(api, path, status=201):
    r = api.deploy('change_request', read_files(path))
    assert r.status == status, r
    assert r.json['key'] == 'change_request'
    assert r.json['process_ids'] == ['change_request']
    return r.json


def start(api, **extra):
    r = api.start('change_request', **extra)
    assert r.status == 201, r
    return r.json


def titles(inst):
    return [t['title'] for t in inst['ready_tasks']]


def complete(api, inst, title):
    r = api.complete(api.ready_task(inst['id'], title)['id'])
    assert r.status == 200, r
    return r.json


def test_a_running_instance_finishes_on_the_version_it_started_on(api):
    assert deploy(api, V1)['version'] == 1
    old = start(api)
    assert (old['version'], old['status'], titles(old)) == (1, 'waiting', ['Draft change'])

    assert deploy(api, V2)['version'] == 2
    assert api.instance(old['id'])['version'] == 1
    assert titles(api.instance(old['id'])) == ['Draft change']

    new = start(api)
    assert (new['version'], titles(new)) == (2, ['Draft change'])

    finished_old = complete(api, old, 'Draft change')
    assert (finished_old['status'], finished_old['version'], finished_old['data']['path']) == ('completed', 1, 'v1')
    assert finished_old['ready_tasks'] == []

    after_draft = complete(api, new, 'Draft change')
    assert (after_draft['status'], titles(after_draft)) == ('waiting', ['Review change'])
    assert 'path' not in after_draft['data']
    finished_new = complete(api, new, 'Review change')
    assert (finished_new['status'], finished_new['version'], finished_new['data']['path']) == ('completed', 2, 'v2')

    listed = {row['id']: row['version'] for row in api.get('/process-instances?model=change_request').json['items']}
    assert listed == {old['id']: 1, new['id']: 2}


def test_models_and_versions_are_listed(api):
    deploy(api, V1)
    deploy(api, V2)
    models = api.get('/process-models')
    assert models.status == 200, models
    assert [m for m in models.json if m['key'] == 'change_request'] == [
        {'key': 'change_request', 'latest_version': 2, 'process_ids': ['change_request']}]

    versions = api.get('/process-models/change_request/versions')
    assert versions.status == 200, versions
    assert [v['version'] for v in versions.json] == [2, 1]
    for v in versions.json:
        assert v['created_by'] == 'alice'
        assert v['files'] == ['change_request.bpmn']
        assert v['created_at']


def test_an_identical_deploy_answers_200_with_the_existing_version(api):
    assert deploy(api, V1)['version'] == 1
    assert deploy(api, V1, status=200)['version'] == 1
    assert deploy(api, V2)['version'] == 2
    assert deploy(api, V2, status=200)['version'] == 2
    assert [v['version'] for v in api.get('/process-models/change_request/versions').json] == [2, 1]
    assert api.get('/process-models').json[0]['latest_version'] == 2


def test_an_older_version_can_be_started_by_number(api):
    deploy(api, V1)
    deploy(api, V2)
    old = start(api, version=1)
    assert old['version'] == 1
    finished = complete(api, old, 'Draft change')
    assert (finished['status'], finished['data']['path']) == ('completed', 'v1')
    assert start(api, version=2)['version'] == 2
    assert start(api)['version'] == 2


def test_unknown_models_and_versions_answer_404(api):
    deploy(api, V1)
    for body, code in (({'model': 'no_such_model'}, 'model_not_found'),
                       ({'model': 'no_such_model', 'version': 1}, 'model_not_found'),
                       ({'model': 'change_request', 'version': 2}, 'version_not_found'),
                       ({'model': 'change_request', 'version': 99}, 'version_not_found')):
        r = api.post('/process-instances', body)
        assert r.status == 404, (body, r)
        assert r.json['error']['code'] == code, (body, r)
    missing = api.get('/process-models/no_such_model/versions')
    assert missing.status == 404 and missing.json['error']['code'] == 'model_not_found', missing
    assert api.get('/process-instances').json['total'] == 0


def test_instances_survive_a_restart_of_the_application(api, app, redis_server):
    from engine import forms
    from engine.db import db
    from engine.specs import spec_cache
    from web import create_app

    deploy(api, V2)
    inst = start(api, data={'change': 'replace pump seal'})
    inst = complete(api, inst, 'Draft change')
    assert titles(inst) == ['Review change']
    before = api.instance(inst['id'])
    tasks_before = api.get(f'/tasks?scope=all&instance_id={inst["id"]}').json
    events_before = api.get(f'/process-instances/{inst["id"]}/events').json

    # A new process would start with empty caches and a new database engine.
    spec_cache._items.clear()
    forms._load.cache_clear()
    restarted = create_app({'TESTING': True, 'REDIS_URL': redis_server.url, 'MAX_CONTENT_LENGTH': 1024 * 1024,
                            'SCRIPT_TIME_LIMIT': 1.0})
    assert restarted is not app
    try:
        fresh = ApiClient(restarted, token=api.token, username=api.username)
        after = fresh.instance(inst['id'])
        assert after == before
        assert (after['status'], after['version'], titles(after)) == ('waiting', 1, ['Review change'])
        assert after['data']['change'] == 'replace pump seal'
        assert fresh.get(f'/tasks?scope=all&instance_id={inst["id"]}').json == tasks_before
        assert fresh.get(f'/process-instances/{inst["id"]}/events').json == events_before

        done = fresh.complete(after['ready_tasks'][0]['id'])
        assert done.status == 200, done
        assert (done.json['status'], done.json['data']['path']) == ('completed', 'v2')
        assert fresh.get(f'/tasks?scope=all&instance_id={inst["id"]}').json == []
    finally:
        with restarted.app_context():
            db.session.remove()
            db.engine.dispose()
    # The first application reads the same outcome from the database.
    assert api.instance(inst['id'])['status'] == 'completed'
