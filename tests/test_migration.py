"""Moving running instances to a newer version: previewed, refused with reasons when unsafe,
audited when done; version diffs and file downloads."""
import os

from tests.conftest import DATA

FOLDER = os.path.join(DATA, 'migration')


def bundle(name):
    return {'site_survey.bpmn': open(os.path.join(FOLDER, name), 'rb').read()}


def test_diff_lists_added_removed_and_changed_elements(api):
    assert api.deploy('survey', bundle('v1.bpmn')).status == 201
    assert api.deploy('survey', bundle('v2_safe.bpmn')).status == 201
    assert api.deploy('survey', bundle('v3_unsafe.bpmn')).status == 201
    d12 = api.get('/process-models/survey/diff?from=1&to=2').json['processes']['site_survey']
    assert [e['id'] for e in d12['added']] == ['sign'] and d12['removed'] == []
    assert 'report' in [e['id'] for e in d12['changed']]   # its outgoing flow now leads to "sign"
    d13 = api.get('/process-models/survey/diff?from=1&to=3').json['processes']['site_survey']
    assert [e['id'] for e in d13['removed']] == ['measure']
    assert api.get('/process-models/survey/diff?from=1&to=9').status == 404
    assert api.get('/process-models/survey/diff?from=1').status == 422
    download = api.client.get('/api/v1/process-models/survey/versions/2/files/site_survey.bpmn',
                              headers={'Authorization': f'Bearer {api.token}'})
    assert download.status_code == 200 and b'Sign off report' in download.data
    assert api.get('/process-models/survey/versions/2/files/nope.bpmn').status == 404


def test_safe_move_keeps_the_instance_going_on_the_new_path(api):
    api.deploy('survey', bundle('v1.bpmn'))
    old = api.start('survey').json
    api.deploy('survey', bundle('v2_safe.bpmn'))
    preview = api.post(f'/process-instances/{old["id"]}/migrate', {'version': 2, 'dry_run': True}).json
    assert preview['can_move'] is True and preview['reasons'] == []
    assert api.instance(old['id'])['version'] == 1, 'a preview changes nothing'
    moved = api.post(f'/process-instances/{old["id"]}/migrate', {'version': 2})
    assert moved.status == 200, moved
    assert moved.json['version'] == 2 and [t['title'] for t in moved.json['ready_tasks']] == ['Measure site']
    for title in ('Measure site', 'Write report', 'Sign off report'):
        assert api.complete(api.ready_task(old['id'], title)['id']).status == 200
    assert api.instance(old['id'])['status'] == 'completed'
    kinds = [e['kind'] for e in api.get(f'/process-instances/{old["id"]}/events').json]
    assert 'migrated' in kinds


def test_unsafe_move_is_refused_with_the_reason(api):
    api.deploy('survey', bundle('v1.bpmn'))
    waiting = api.start('survey').json
    api.deploy('survey', bundle('v2_safe.bpmn'))
    api.deploy('survey', bundle('v3_unsafe.bpmn'))
    preview = api.post(f'/process-instances/{waiting["id"]}/migrate', {'version': 3, 'dry_run': True}).json
    assert preview['can_move'] is False
    assert any('Measure site' in r and 'removed' in r for r in preview['reasons']), preview
    refused = api.post(f'/process-instances/{waiting["id"]}/migrate', {'version': 3})
    assert refused.status == 409 and refused.json['error']['code'] == 'cannot_migrate'
    assert 'Measure site' in refused.json['error']['message']
    after = api.instance(waiting['id'])
    assert after['version'] == 1 and [t['title'] for t in after['ready_tasks']] == ['Measure site']
    assert api.post(f'/process-instances/{waiting["id"]}/migrate', {'version': 1}).json['error']['code'] == 'not_newer'


def test_bulk_move_by_filter(api):
    api.deploy('survey', bundle('v1.bpmn'))
    first = api.start('survey').json['id']
    second = api.start('survey').json['id']
    api.complete(api.ready_task(second, 'Measure site')['id'])   # now at "Write report"
    api.deploy('survey', bundle('v2_safe.bpmn'))
    api.deploy('survey', bundle('v3_unsafe.bpmn'))
    plan = api.post('/process-models/survey/migrations', {'from_version': 1, 'to_version': 3}).json
    by_id = {p['instance_id']: p for p in plan}
    assert by_id[first]['can_move'] is False                      # waits at a removed step
    assert by_id[second]['can_move'] is False                     # "Measure site" ran: its history would be lost
    done = api.post('/process-models/survey/migrations', {'from_version': 1, 'to_version': 2, 'dry_run': False}).json
    assert sorted(p['instance_id'] for p in done if p.get('moved')) == sorted([first, second])
    assert {api.instance(i)['version'] for i in (first, second)} == {2}


def test_only_admins_move_instances(api):
    api.deploy('survey', bundle('v1.bpmn'))
    inst = api.start('survey').json
    api.deploy('survey', bundle('v2_safe.bpmn'))
    clerk = api.as_user('clerk', ['requester'])
    assert clerk.post(f'/process-instances/{inst["id"]}/migrate', {'version': 2}).status == 403
