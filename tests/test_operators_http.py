"""The http.request operator against a real HTTP server on 127.0.0.1: called directly, and from a
diagram run by a real RQ worker."""
import json
import os

import pytest

from tasks.operators import REGISTRY, OperatorError, check_params, load_all
from tasks.redis_server import free_port
from tests.conftest import DATA
from tests.support.api import read_files
from tests.test_service_tasks import HttpServer, clean_queue, run_jobs

load_all()
OPERATOR = REGISTRY['http.request']


def call(**given):
    """Through the same parameter check the worker uses."""
    return OPERATOR.function(**check_params(OPERATOR, given))


def failure(**given):
    with pytest.raises(OperatorError) as caught:
        call(**given)
    return caught.value


@pytest.fixture
def server():
    s = HttpServer()
    yield s
    s.close()


def test_get_returns_status_headers_and_json(server):
    server.on('/items/7', {'json': {'id': 7, 'name': 'flange'}, 'headers': {'ETag': '"v3"'}})
    result = call(method='get', url=server.url + '/items/7?full=1', headers={'X-Trace': 'eo-1'})
    assert result == {'status': 200, 'headers': result['headers'], 'json': {'id': 7, 'name': 'flange'}}
    assert result['headers']['ETag'] == '"v3"' and result['headers']['Content-Type'] == 'application/json'
    [seen] = server.calls
    assert seen['method'] == 'GET' and seen['path'] == '/items/7?full=1' and seen['body'] == b''
    assert seen['headers']['X-Trace'] == 'eo-1'
    json.dumps(result)  # the result is stored in task data: plain JSON


def test_post_sends_json_and_returns_text_answers_as_text(server):
    server.on('/orders', {'status': 201, 'text': 'created EO-9'})
    result = call(method='POST', url=server.url + '/orders', json={'number': 'EO-9', 'lines': [1, 2]})
    assert result['status'] == 201 and result['text'] == 'created EO-9' and 'json' not in result
    [seen] = server.calls
    assert seen['headers']['Content-Type'] == 'application/json'
    assert json.loads(seen['body']) == {'number': 'EO-9', 'lines': [1, 2]}


def test_other_methods_and_empty_answers(server):
    server.on('/orders/9', {'status': 204})
    deleted = call(method='DELETE', url=server.url + '/orders/9')
    assert deleted['status'] == 204 and deleted['text'] == ''
    head = call(method='HEAD', url=server.url + '/orders/9')
    assert head['status'] == 204 and head['text'] == ''
    server.on('/broken-json', {'text': '{not json', 'headers': {'Content-Type': 'application/json'}})
    assert call(method='GET', url=server.url + '/broken-json')['text'] == '{not json'
    assert [c['method'] for c in server.calls] == ['DELETE', 'HEAD', 'GET']


def test_secret_headers_come_from_the_environment(server, monkeypatch):
    server.on('/secure', {'json': {'ok': True}})
    monkeypatch.setenv('EOMS_SECRET_ERP_TOKEN', 'Bearer t0p')
    result = call(method='GET', url=server.url + '/secure', secret_headers={'Authorization': 'erp_token'})
    assert server.calls[0]['headers']['Authorization'] == 'Bearer t0p'
    assert 'Bearer t0p' not in json.dumps(result)
    monkeypatch.delenv('EOMS_SECRET_ERP_TOKEN')
    missing = failure(method='GET', url=server.url + '/secure', secret_headers={'Authorization': 'erp_token'})
    assert missing.retry is False and missing.code == 'missing_secret'
    assert 'erp_token' in str(missing) and 'EOMS_SECRET_ERP_TOKEN' in str(missing)
    assert len(server.calls) == 1, 'nothing is sent without the secret'
    bad_name = failure(method='GET', url=server.url + '/secure', secret_headers={'Authorization': '../etc'})
    assert bad_name.retry is False and bad_name.code == 'bad_secret_name'


def test_redirects_keep_secrets_on_the_same_origin_only(server, monkeypatch):
    monkeypatch.setenv('EOMS_SECRET_ERP_TOKEN', 'Bearer t0p')
    elsewhere = server.url.replace('127.0.0.1', 'localhost')  # the same server under another origin
    server.on('/moved', {'status': 302, 'headers': {'Location': '/here'}})
    server.on('/here', {'json': {'at': 'here'}})
    server.on('/away', {'status': 307, 'headers': {'Location': elsewhere + '/there'}})
    server.on('/there', {'json': {'at': 'there'}})
    given = {'method': 'GET', 'headers': {'X-Trace': 't-1'}, 'secret_headers': {'X-Api-Key': 'erp_token'}}
    assert call(url=server.url + '/moved', **given)['json'] == {'at': 'here'}
    assert call(url=server.url + '/away', **given)['json'] == {'at': 'there'}
    sent = {c['path']: c['headers'] for c in server.calls}
    assert sent['/here']['X-Api-Key'] == 'Bearer t0p' and sent['/here']['X-Trace'] == 't-1'
    assert 'X-Api-Key' not in sent['/there'] and sent['/there']['X-Trace'] == 't-1'
    server.on('/to-ftp', {'status': 302, 'headers': {'Location': 'ftp://127.0.0.1/file'}})
    ftp = failure(method='GET', url=server.url + '/to-ftp')
    assert (ftp.code, ftp.retry) == ('http_bad_redirect', False)


def test_client_errors_fail_at_once_server_errors_are_retryable(server):
    server.on('/missing', {'status': 404, 'json': {'error': 'no such order'}})
    server.on('/busy', {'status': 503, 'text': 'try later'})
    not_found = failure(method='GET', url=server.url + '/missing')
    assert (not_found.code, not_found.retry) == ('http_404', False)
    assert '404' in str(not_found) and 'no such order' in str(not_found)
    conflict = failure(method='PUT', url=server.url + '/conflict', json={})  # the server answers 404 there too
    assert conflict.code == 'http_404'
    busy = failure(method='GET', url=server.url + '/busy')
    assert (busy.code, busy.retry) == ('http_503', True) and 'try later' in str(busy)


def test_connection_failures_and_timeouts_are_retryable(server):
    closed = failure(method='GET', url=f'http://127.0.0.1:{free_port()}/x', timeout=2)
    assert (closed.code, closed.retry) == ('http_unreachable', True)
    server.on('/slow', {'json': {}, 'delay': 1.0})
    slow = failure(method='GET', url=server.url + '/slow', timeout=0.2)
    assert (slow.code, slow.retry) == ('http_timeout', True) and '0.2' in str(slow)


@pytest.mark.parametrize('given, words', [
    ({'method': 'FETCH', 'url': 'http://127.0.0.1/'}, 'method "FETCH"'),
    ({'method': 'GET', 'url': 'file:///etc/passwd'}, 'not an absolute http'),
    ({'method': 'GET', 'url': 'ftp://example.org/x'}, 'not an absolute http'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'timeout': 0}, 'timeout'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'timeout': 3600}, 'timeout'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'headers': {'X-A': 'x\r\nX-Injected: 1'}}, 'line break'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'headers': {'Bad Name': 'x'}}, 'header name'),
    ({'method': 'GET'}, 'parameter "url" (str) is required'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'headers': ['x']}, 'must be dict'),
    ({'method': 'GET', 'url': 'http://127.0.0.1/', 'body': 'x'}, 'unknown parameter "body"'),
])
def test_bad_parameters_fail_at_once(given, words):
    error = failure(**given)
    assert error.retry is False and words in str(error)


def test_a_diagram_posts_json_and_the_next_step_sees_the_answer(api, app, server):
    clean_queue(app)
    server.on('/orders', {'status': 201, 'json': {'id': 'ERP-5521'}})
    assert api.deploy('post_order', read_files(os.path.join(DATA, 'service_http', 'post_order.bpmn'))).status == 201
    lines = [{'sku': 'P-1', 'qty': 2}]
    inst = api.start('post_order', {'erp_url': server.url, 'order_no': 'EO-77', 'lines': lines}).json
    assert inst['status'] == 'running'
    run_jobs(app)
    inst = api.instance(inst['id'])
    assert [t['title'] for t in inst['ready_tasks']] == ['Check ERP order']
    assert inst['data']['erp_order']['status'] == 201 and inst['data']['erp_order']['json'] == {'id': 'ERP-5521'}
    [seen] = server.calls
    assert seen['method'] == 'POST' and json.loads(seen['body']) == {'number': 'EO-77', 'lines': lines}


def test_without_a_retry_element_the_operator_defaults_apply(api, app, server):
    """post_order.bpmn has no <spiffworkflow:retry>: http.request's own 3 retries, 2 s doubling."""
    clean_queue(app)
    server.on('/orders', {'status': 502, 'text': 'bad gateway'})
    assert api.deploy('post_order', read_files(os.path.join(DATA, 'service_http', 'post_order.bpmn'))).status == 201
    inst = api.start('post_order', {'erp_url': server.url, 'order_no': 'EO-78', 'lines': []}).json
    assert run_jobs(app) == [OPERATOR.backoff_seconds * 2 ** n for n in range(OPERATOR.retries)] == [2, 4, 8]
    assert len(server.calls) == 1 + OPERATOR.retries
    [incident] = api.instance(inst['id'])['incidents']
    assert 'after 4 attempt(s)' in incident['message'] and 'answered 502' in incident['message']
