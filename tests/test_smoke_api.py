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
