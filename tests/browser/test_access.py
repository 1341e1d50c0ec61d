"""Who may open what, sign-in and sign-out, and instructions that try to run a script."""
import os
import re

from playwright.sync_api import expect

from engine import commands, deployments
from engine.commands import Actor
from tests.conftest import DATA
from .conftest import PASSWORD, sign_in
from .orders import ready_task, start_approval


def test_each_role_signs_in_and_sees_its_own_tasks(people, new_context):
    order = start_approval('Substation expansion', 'Jiangsu Grid Services', 2400000)
    for username, name, sees_task in (('liu.yang', 'Liu Yang', False), ('li.wei', 'Li Wei', True),
                                      ('zhang.min', 'Zhang Min', False), ('wang.fang', 'Wang Fang', False)):
        page = sign_in(new_context().new_page(), username)
        expect(page.locator('.whoami')).to_contain_text(name)
        expect(page.locator('tbody tr', has_text=f'#{order}')).to_have_count(1 if sees_task else 0)
        expect(page.get_by_role('link', name='All tasks')).to_have_count(0)  # the admin's tab
        page.get_by_role('button', name='Sign out').click()
        expect(page.locator('.notice-info')).to_contain_text('You are signed out')
        page.goto('/inbox')
        expect(page).to_have_url(re.compile(r'/auth/login\?next=%2Finbox'))


def test_a_wrong_password_gets_a_clear_message(people, new_context):
    page = new_context().new_page()
    page.goto('/auth/login')
    page.locator('#username').fill('li.wei')
    page.locator('#password').fill('not-the-password')
    page.locator('.signin-card button[type=submit]').click()
    expect(page.locator('#signin-error')).to_have_text('The username or password is not correct.')
    expect(page.locator('#username')).to_have_value('li.wei')
    expect(page.locator('#password')).to_have_value('')


def test_a_task_of_another_group_answers_403_by_url(people, new_context):
    order = start_approval('Office fit-out, 3rd floor', 'Hangzhou Lakeside Offices', 80000)
    task_id = ready_task(order, 'Project manager approval').id
    page = sign_in(new_context().new_page(), 'wang.fang')
    response = page.goto(f'/tasks/{task_id}')
    assert response.status == 403
    expect(page.locator('h1')).to_have_text('You may not open this page')
    expect(page.locator('body')).not_to_contain_text('Traceback')
    # nor can the form be posted to, nor the task claimed
    status = page.evaluate("""async (url) => {
        const token = document.body.getAttribute('hx-headers').match(/"X-CSRFToken": "([^"]+)"/)[1];
        const body = new URLSearchParams({csrf_token: token, decision: 'approve'});
        const r = await fetch(url, {method: 'POST', body});
        const c = await fetch(url + '/claim', {method: 'POST', body});
        return [r.status, c.status];
    }""", f'/tasks/{task_id}')
    assert status == [403, 403]
    assert page.goto('/inbox?tab=all').status == 403
    assert page.goto('/operations/instances').status == 403
    assert page.goto(f'/instances/{order}').status == 403
    assert page.goto('/tasks/no-such-task').status == 404


def test_a_form_post_without_the_csrf_token_is_refused(people, new_context):
    order = start_approval('Warehouse roof repair', 'Ningbo Port Logistics', 150000)
    task_id = ready_task(order, 'Project manager approval').id
    page = sign_in(new_context().new_page(), 'li.wei')
    page.goto('/inbox')
    status = page.evaluate("""async (url) => (await fetch(url, {method: 'POST',
        body: new URLSearchParams({decision: 'approve'})})).status""", f'/tasks/{task_id}')
    assert status == 400
    assert ready_task(order, 'Project manager approval').id == task_id  # nothing happened


def test_instructions_with_a_script_render_inert(people, new_context):
    path = os.path.join(DATA, 'browser', 'untrusted_instructions.bpmn')
    deployments.deploy('untrusted_instructions', {'untrusted_instructions.bpmn': open(path, 'rb').read()})
    inst = commands.start('untrusted_instructions', Actor('liu.yang', ('requester',)), data={
        'customer': 'Mallory <b>Trading</b>', 'note': '<img src=x onerror="window.__pwned = \'data\'">'})
    task_id = ready_task(inst.id, "Read the customer's notes").id
    page = sign_in(new_context().new_page(), 'liu.yang')
    page.goto(f'/tasks/{task_id}')
    box = page.locator('.instructions')
    expect(box).to_contain_text("<script>window.__pwned = 'instructions'</script>")
    expect(box).to_contain_text('<img src=x onerror=')
    expect(box.locator('h3')).to_have_text('Notes from Mallory <b>Trading</b>')
    assert box.locator('script, img, b, a[href^="javascript"]').count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate('window.__pwned') is None


def test_the_session_cookie_is_http_only_and_same_site(people, new_context):
    context = new_context()
    sign_in(context.new_page(), 'li.wei')
    cookie = next(c for c in context.cookies() if c['name'] == 'session')
    assert cookie['httpOnly'] is True
    assert cookie['sameSite'] == 'Lax'
    assert PASSWORD not in str(context.cookies())
