"""Files kept with an order through the REST API: upload, list, download (a Chinese file name
arrives intact), the size limit (413), empty files (422), and who may see or add files."""
import hashlib
import io
from urllib.parse import quote

import pytest

from tests.support.api import Response, shipped_bundle

PDF = b'%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'


@pytest.fixture
def order(app, api):
    """An order owned by the sales user zhao.lei, created through the API."""
    from engine import deployments
    with app.app_context():
        for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
            deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
    seller = api.as_user('zhao.lei', ['sales'])
    assert seller.post('/customers', {'code': 'SWW', 'name': 'Suzhou Water Works'}).status == 201
    created = seller.post('/orders', {'title': 'Pump station retrofit', 'customer': 'SWW', 'type': 'construction',
                                      'line_items': [{'description': 'Pumps', 'quantity': 2, 'unit': 'set',
                                                      'unit_price': 230000}]})
    assert created.status == 201, created
    return {'number': created.json['number'], 'seller': seller}


def upload(client, number, content, filename, content_type=None):
    data = {'file': (io.BytesIO(content), filename, content_type) if content_type else (io.BytesIO(content), filename)}
    return Response(client.client.post(f'/api/v1/orders/{number}/attachments', data=data,
                                       headers=client._headers(), content_type='multipart/form-data'))


def download(client, number, attachment_id):
    return client.client.get(f'/api/v1/orders/{number}/attachments/{attachment_id}', headers=client._headers())


def test_upload_list_and_download_keep_a_chinese_file_name(order):
    seller, number = order['seller'], order['number']
    name = '施工图纸 第2版.pdf'
    stored = upload(seller, number, PDF, name, 'application/octet-stream')
    assert stored.status == 201, stored
    view = stored.json
    assert view['filename'] == name and view['size'] == len(PDF)
    assert view['content_type'] == 'application/pdf'  # sniffed from the bytes, not the declared type
    assert view['sha256'] == hashlib.sha256(PDF).hexdigest()
    assert (view['source'], view['uploaded_by']) == ('api', 'zhao.lei')

    listed = seller.get(f'/orders/{number}/attachments')
    assert listed.status == 200 and [a['filename'] for a in listed.json] == [name]

    answer = download(seller, number, view['id'])
    assert answer.status_code == 200 and answer.data == PDF
    assert answer.headers['Content-Type'] == 'application/pdf'
    assert answer.headers['X-Content-Type-Options'] == 'nosniff'
    disposition = answer.headers['Content-Disposition']
    assert disposition.startswith('attachment;')
    assert f"filename*=UTF-8''{quote(name)}" in disposition
    assert 'sandbox' in answer.headers['Content-Security-Policy']


def test_a_file_the_bytes_do_not_name_keeps_its_declared_or_guessed_type(order):
    seller, number = order['seller'], order['number']
    assert upload(seller, number, b'a,b\n1,2\n', 'quantities.csv', 'text/csv').json['content_type'] == 'text/csv'
    assert upload(seller, number, b'\x00\x01binary', 'blob.bin').json['content_type'] == 'application/octet-stream'
    # a name with folders in it: only the file's own name is kept
    assert upload(seller, number, b'notes', '../../etc/site notes.txt').json['filename'] == 'site notes.txt'


def test_an_empty_file_is_refused_with_422_and_nothing_stored(order):
    seller, number = order['seller'], order['number']
    refused = upload(seller, number, b'', 'empty.pdf')
    assert refused.status == 422 and refused.json['error']['code'] == 'attachment_empty'
    assert 'empty.pdf' in refused.json['error']['message']
    missing = Response(seller.client.post(f'/api/v1/orders/{number}/attachments', data={'other': 'x'},
                                          headers=seller._headers(), content_type='multipart/form-data'))
    assert missing.status == 422 and missing.json['error']['details'][0]['path'] == 'file'
    not_multipart = seller.post(f'/orders/{number}/attachments', {'file': 'JVBERi0='})
    assert not_multipart.status == 400 and not_multipart.json['error']['code'] == 'multipart_required'
    assert seller.get(f'/orders/{number}/attachments').json == []


def test_a_file_over_the_limit_is_refused_with_413(app, order, monkeypatch):
    seller, number = order['seller'], order['number']
    monkeypatch.setitem(app.config, 'ATTACHMENT_MAX_BYTES', 1000)
    refused = upload(seller, number, b'x' * 1001, 'big.dwg')
    assert refused.status == 413 and refused.json['error']['code'] == 'attachment_too_large'
    assert 'big.dwg' in refused.json['error']['message'] and 'EOMS_ATTACHMENT_MAX_BYTES' in refused.json['error']['message']
    # a body far over the limit is refused before it is read, with the same answer
    huge = upload(seller, number, b'x' * (1000 + 2 * 1024 * 1024), 'huge.dwg')
    assert huge.status == 413 and huge.json['error']['code'] == 'attachment_too_large'
    assert upload(seller, number, b'x' * 1000, 'fits.dwg').status == 201
    assert [a['filename'] for a in seller.get(f'/orders/{number}/attachments').json] == ['fits.dwg']


def test_who_may_see_and_add_files(order, api):
    seller, number = order['seller'], order['number']
    stored = upload(seller, number, PDF, 'contract.pdf').json
    outsider = api.as_user('guo.tao', ['warehouse'])  # neither owner, creator, staff nor in the process
    for answer in (outsider.get(f'/orders/{number}/attachments'), upload(outsider, number, PDF, 'x.pdf')):
        assert answer.status == 403, answer
    assert download(outsider, number, stored['id']).status_code == 403
    executive = api.as_user('chen.jie', ['executive'])  # sees every order, adds nothing
    assert executive.get(f'/orders/{number}/attachments').status == 200
    assert download(executive, number, stored['id']).status_code == 200
    refused = upload(executive, number, PDF, 'x.pdf')
    assert refused.status == 403 and refused.json['error']['code'] == 'attachment_forbidden'
    assert seller.get('/orders/EO-1999-9999/attachments').status == 404
    assert download(seller, number, stored['id'] + 1000).status_code == 404
    assert seller.get(f'/orders/{number}/attachments', token=False).status == 401
    assert [a['filename'] for a in seller.get(f'/orders/{number}/attachments').json] == ['contract.pdf']


def test_a_file_of_another_order_is_not_found_under_this_one(order):
    seller, number = order['seller'], order['number']
    other = seller.post('/orders', {'title': 'Roof repair', 'customer': 'SWW', 'type': 'maintenance',
                                    'line_items': [{'description': 'Roof', 'quantity': 1, 'unit': 'lot',
                                                    'unit_price': 90000}]}).json['number']
    stored = upload(seller, other, PDF, 'roof.pdf').json
    assert download(seller, number, stored['id']).status_code == 404
    assert download(seller, other, stored['id']).status_code == 200


def test_the_openapi_document_describes_the_attachment_paths(api):
    paths = api.get('/openapi.json', token=False).json['paths']
    listing = paths['/api/v1/orders/{number}/attachments']
    assert set(listing) == {'get', 'post'}
    assert 'multipart/form-data' in listing['post']['requestBody']['content']
    assert {'201', '413', '422', '403', '404'} <= set(listing['post']['responses'])
    assert 'get' in paths['/api/v1/orders/{number}/attachments/{attachment_id}']


def test_a_task_completed_through_the_api_takes_references_to_uploaded_files(app, api):
    from engine import deployments
    from tests.test_task_attachments import order_at_contract
    with app.app_context():
        for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
            deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
        number, _order_id, _inst_id, task_id = order_at_contract()
    scan = upload(api, number, PDF, '合同.pdf').json
    contract = {'contract_number': 'HT-9', 'payment_terms': 'net_30'}
    for given in ({'attachment_id': scan['id'] + 99, 'filename': 'x.pdf'}, 'data:application/pdf;base64,JVBERi0='):
        refused = api.complete(task_id, {**contract, 'signed_contract': given})
        assert refused.status == 422 and refused.json['error']['code'] == 'unknown_attachment', refused
        assert refused.json['error']['details'] == [{'path': 'signed_contract',
                                                     'message': 'not a file of this order or process'}]
    done = api.complete(task_id, {**contract, 'signed_contract': {'attachment_id': scan['id'], 'filename': 'any'}})
    assert done.status == 200, done
    assert done.json['data']['signed_contract'] == {'attachment_id': scan['id'], 'filename': '合同.pdf',
                                                    'size': len(PDF), 'content_type': 'application/pdf'}
