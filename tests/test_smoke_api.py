import io

from tests.support.api import shipped_bundle


def test_openapi_is_public_and_lists_the_contract(api):
    doc = api.get('/openapi.json', token=False)
    assert doc.status == 200
    paths = doc.json['paths']
    for path in ('/api/v1/process-models', '/api/v1/process-instances/{instance_id}', '/api/v1/tasks/{task_id}/complete'):
        assert path in paths
    assert 'Instance' in doc.json['components']['schemas']


def test_deploy_and_start_the_shipped_lifecycle(api):
    r = api.deploy('order_lifecycle', shipped_bundle())
    assert r.status == 201, r
    assert r.json['primary_process_id'] == 'order_lifecycle'
    again = api.deploy('order_lifecycle', shipped_bundle())
    assert again.status == 200 and again.json['version'] == 1
    inst = api.start('order_lifecycle')
    assert inst.status == 201, inst
    assert [t['title'] for t in inst.json['ready_tasks']] == ['Order intake']
    assert inst.json['ready_tasks'][0]['groups'] == ['requester']


def test_validate_checks_without_storing(api):
    ok = api.client.post('/api/v1/process-models/validate', headers={'Authorization': f'Bearer {api.token}'},
                         data={'key': 'order_lifecycle', 'files': [(io.BytesIO(c), n)
                                                                   for n, c in shipped_bundle().items()]},
                         content_type='multipart/form-data')
    assert ok.status_code == 200 and ok.get_json()['primary_process_id'] == 'order_lifecycle'
    bad = api.client.post('/api/v1/process-models/validate', headers={'Authorization': f'Bearer {api.token}'},
                          data={'key': 'broken', 'files': [(io.BytesIO(b'<definitions'), 'x.bpmn')]},
                          content_type='multipart/form-data')
    assert bad.status_code == 422 and bad.get_json()['error']['details'][0]['file'] == 'x.bpmn'
    assert api.get('/process-models').json == []


def test_only_process_owners_deploy_diagrams(api):
    from tests.support.api import shipped_bundle
    clerk = api.as_user('clerk', ['requester'])
    refused = clerk.deploy('order_approval', shipped_bundle('order_approval.bpmn'))
    assert refused.status == 403 and refused.json['error']['code'] == 'not_an_editor'
    owner = api.as_user('olga', ['process_owner'])
    assert owner.deploy('order_approval', shipped_bundle('order_approval.bpmn')).status == 201
    analyst = api.as_user('ana', ['analyst'])
    changed = dict(shipped_bundle('order_approval.bpmn'))
    changed['order_approval.bpmn'] = changed['order_approval.bpmn'].replace(b'Project manager approval',
                                                                            b'PM approval')
    refused = analyst.deploy('order_approval', changed)
    assert refused.status == 403 and refused.json['error']['code'] == 'diagram_change_not_allowed'
    assert api.get('/process-models/order_approval/versions').json[0]['version'] == 1
