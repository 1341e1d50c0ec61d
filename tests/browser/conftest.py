"""Browser tests: the real app served by werkzeug in a thread on a free port, driven by Debian's
Chromium through playwright (nothing downloads a browser). Screenshots go to test-artifacts/."""
import os
import threading

import pytest
from playwright.sync_api import expect
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from tests.conftest import ROOT

CHROMIUM = '/usr/bin/chromium'
ARTIFACTS = os.path.join(ROOT, 'test-artifacts')
PASSWORD = 'eoms-demo-2026'
# username -> groups: the demo roles, plus a second project manager and a second finance user
# for races.
PEOPLE = {
    'admin': ['admin'], 'liu.yang': ['requester'], 'zhao.lei': ['sales'], 'li.wei': ['project_manager'],
    'zhang.min': ['department_head'], 'wang.fang': ['finance'], 'chen.jie': ['executive'],
    'sun.hao': ['site_engineer'], 'zhou.jing': ['customer_service'], 'wu.qiang': ['project_manager'],
    'ma.li': ['finance'],
}
NAMES = {'liu.yang': 'Liu Yang', 'li.wei': 'Li Wei', 'zhang.min': 'Zhang Min', 'wang.fang': 'Wang Fang',
         'wu.qiang': 'Wu Qiang', 'zhao.lei': 'Zhao Lei', 'ma.li': 'Ma Li'}
_HASH = generate_password_hash(PASSWORD)
# CI machines are small and shared: give the pages time before an expectation fails.
expect.set_options(timeout=10_000)


@pytest.fixture(scope='session')
def live_server(app):
    server = make_server('127.0.0.1', 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name='live-server', daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_port}'
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope='session')
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f'{CHROMIUM} is missing: install Debian\'s chromium package to run the browser tests')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'])
        yield chromium
        chromium.close()


@pytest.fixture
def people(db_session):
    """The demo users (password PASSWORD) and the shipped process models, deployed."""
    from accounts.models import User
    from engine import deployments
    from tests.support.api import shipped_bundle
    for username, groups in PEOPLE.items():
        db_session.add(User(username=username, password_hash=_HASH, groups=groups,
                            display_name=NAMES.get(username, username)))
    db_session.commit()
    for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
        deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
    return PEOPLE


@pytest.fixture
def new_context(browser, live_server):
    """new_context(locale='en-GB') -> a fresh browser context (own cookies) on the live server."""
    made = []

    def make(locale='en-GB', **options):
        context = browser.new_context(base_url=live_server, locale=locale, **options)
        context.set_default_timeout(15000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def sign_in(page, username, password=PASSWORD):
    page.goto('/auth/login')
    page.locator('#username').fill(username)
    page.locator('#password').fill(password)
    page.locator('.signin-card button[type=submit]').click()
    page.wait_for_url('**/inbox*')
    return page


def screenshot(page, name, full_page=True):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, name)
    page.screenshot(path=path, full_page=full_page)
    return path
