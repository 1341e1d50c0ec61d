"""Process modeler speed: (1) the BPMN editor page for the shipped order lifecycle, from the
request until the diagram is drawn in the bpmn-js Modeler (Debian's Chromium, headless), and
(2) validation of a generated 200-element diagram on save (the engine's parse plus the modeler's
own checks), server time in this process and through POST /models/<key>/validate.

    .venv/bin/python bench/modeler.py [--runs N]

Uses a scratch SQLite database in a temporary folder and serves the app with werkzeug on a free
port of 127.0.0.1. Targets (issue 5): page ready within 1 s; validation within 200 ms.
Figures are printed, never asserted. Needs `make npm` (the modeler bundle) and /usr/bin/chromium.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.join(ROOT, '.venv', 'bin', 'python')
try:
    import flask  # noqa: F401
except ImportError:  # started outside the project's virtualenv
    if os.path.exists(VENV_PYTHON) and not os.environ.get('EOMS_BENCH_REEXEC'):
        os.environ['EOMS_BENCH_REEXEC'] = '1'
        os.execv(VENV_PYTHON, [VENV_PYTHON, os.path.abspath(__file__), *sys.argv[1:]])
    raise
sys.path.insert(0, ROOT)

CHROMIUM = '/usr/bin/chromium'
PASSWORD = 'bench-password-1'


def diagram(tasks):
    """A process of a start event, `tasks` script tasks in a row and an end event, with the flows
    between them and a shape for each: 2 * tasks + 3 elements."""
    nodes = ['<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    shapes = ['<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>']
    flows, edges = [], []
    for i in range(tasks):
        nodes.append(f'<bpmn:scriptTask id="t{i}" name="Step {i}"><bpmn:incoming>f{i}</bpmn:incoming>'
                     f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing><bpmn:script>x{i} = {i} * 2</bpmn:script></bpmn:scriptTask>')
        x, y = 200 + (i % 10) * 150, 80 + (i // 10) * 120
        shapes.append(f'<bpmndi:BPMNShape id="t{i}_di" bpmnElement="t{i}"><dc:Bounds x="{x}" y="{y}" width="100" height="80"/></bpmndi:BPMNShape>')
    nodes.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{tasks}</bpmn:incoming></bpmn:endEvent>')
    ids = ['start'] + [f't{i}' for i in range(tasks)] + ['end']
    for i in range(tasks + 1):
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{ids[i]}" targetRef="{ids[i + 1]}"/>')
        edges.append(f'<bpmndi:BPMNEdge id="f{i}_di" bpmnElement="f{i}"><di:waypoint x="0" y="0"/><di:waypoint x="1" y="1"/></bpmndi:BPMNEdge>')
    shapes.append(f'<bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="100" y="{200 + tasks * 12}" width="36" height="36"/></bpmndi:BPMNShape>')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
            'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="bench_definitions" targetNamespace="http://bpmn.io/schema/bpmn">'
            '<bpmn:process id="bench_chain" isExecutable="true">' + ''.join(nodes + flows) + '</bpmn:process>'
            '<bpmndi:BPMNDiagram id="bench_diagram"><bpmndi:BPMNPlane id="bench_plane" bpmnElement="bench_chain">'
            + ''.join(shapes + edges) + '</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>')


def percentiles(values):
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]


def setup_app(folder):
    os.environ['DATABASE_URL'] = f'sqlite:///{folder}/bench.db'
    os.environ.setdefault('SECRET_KEY', 'bench')
    from flask_migrate import upgrade
    from accounts.service import create_user
    from engine import deployments
    from web import create_app
    from web.cli.models import bundle_for
    app = create_app({'TESTING': True, 'SECURE_COOKIES': 'false'})
    with app.app_context():
        upgrade()
        for name in ('order_approval', 'order_lifecycle'):
            deployments.deploy(name, bundle_for(os.path.join(ROOT, 'bpmn', f'{name}.bpmn'), os.path.join(ROOT, 'bpmn')),
                               actor='bench')
        create_user('bench.owner', PASSWORD, ['process_owner'])
    return app


def bench_page(base, runs):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'])
        page = browser.new_context(base_url=base, viewport={'width': 1400, 'height': 950}).new_page()
        errors = []
        page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
        page.on('pageerror', lambda e: errors.append(str(e)))
        page.goto('/auth/login')
        page.fill('#username', 'bench.owner')
        page.fill('#password', PASSWORD)
        page.click('.signin-card button[type=submit]')
        page.wait_for_url('**/inbox*')
        url = '/models/order_lifecycle/edit/order_lifecycle.bpmn'
        walls, in_page, imports, cold = [], [], [], None
        for i in range(runs + 1):
            started = time.perf_counter()
            page.goto(url)
            page.wait_for_selector('#canvas[data-ready=true]')
            wall = (time.perf_counter() - started) * 1000
            if i == 0:
                cold = wall   # the first load fills the browser's cache
                continue
            walls.append(wall)
            in_page.append(float(page.get_attribute('#canvas', 'data-ready-at')))
            imports.append(float(page.get_attribute('#canvas', 'data-ready-ms')))
        elements = page.locator('.djs-element').count()
        browser.close()
    return walls, in_page, imports, elements, errors, cold


def bench_validation(app, runs):
    import re
    from web.modeler import service
    text = diagram(98)
    count = len(re.findall(r'<bpmn:(?:startEvent|endEvent|scriptTask|sequenceFlow) ', text))
    times = []
    with app.app_context():
        service.validate('bench_chain', {'bench_chain.bpmn': text})   # warm the parser and schema
        for _ in range(runs):
            result = service.validate('bench_chain', {'bench_chain.bpmn': text})
            assert result['ok'], result['problems'][:3]
            times.append(result['ms'])
    return count, times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=10)
    args = parser.parse_args()
    print(f'load average: {", ".join(f"{x:.2f}" for x in os.getloadavg())}')
    folder = tempfile.mkdtemp(prefix='eoms-bench-modeler-')
    app = setup_app(folder)

    count, times = bench_validation(app, args.runs * 3)
    p50, p95 = percentiles(times)
    print(f'validation of a {count}-element diagram (engine parse + modeler checks), {len(times)} runs: '
          f'p50 {p50:.1f} ms, p95 {p95:.1f} ms  (target <= 200 ms)')

    from werkzeug.serving import make_server
    server = make_server('127.0.0.1', 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{server.server_port}'
    client = app.test_client()
    import re
    login = client.get('/auth/login').get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    client.post('/auth/login', data={'csrf_token': token, 'username': 'bench.owner', 'password': PASSWORD})
    page = client.get('/models/').get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    client.post('/models/new', data={'csrf_token': token, 'key': 'bench_chain'})
    http_times, server_times = [], []
    for _ in range(args.runs * 3):
        started = time.perf_counter()
        answer = client.post('/models/bench_chain/validate', json={'files': {'bench_chain.bpmn': diagram(98)}},
                             headers={'X-CSRFToken': token})
        http_times.append((time.perf_counter() - started) * 1000)
        server_times.append(answer.get_json()['ms'])
    p50, p95 = percentiles(http_times)
    print(f'POST /models/bench_chain/validate (whole request in the test client), {len(http_times)} runs: '
          f'p50 {p50:.1f} ms, p95 {p95:.1f} ms  (target <= 200 ms)')

    if not os.path.exists(CHROMIUM):
        print(f'modeler page: skipped, {CHROMIUM} is missing')
        return
    walls, in_page, imports, elements, errors, cold = bench_page(base, args.runs)
    p50, p95 = percentiles(walls)
    print(f'BPMN editor for order_lifecycle ({elements} drawn elements), {len(walls)} loads: request to diagram '
          f'drawn p50 {p50:.0f} ms, p95 {p95:.0f} ms  (target <= 1000 ms)')
    print(f'  first load with an empty browser cache (1.7 MB modeler bundle): {cold:.0f} ms')
    p50, p95 = percentiles(in_page)
    print(f'  in the page: navigation start to drawn p50 {p50:.0f} ms, p95 {p95:.0f} ms; '
          f'importXML alone p50 {statistics.median(imports):.0f} ms')
    if errors:
        print('  browser errors:', *errors[:5], sep='\n    ')
    server.shutdown()


if __name__ == '__main__':
    main()
