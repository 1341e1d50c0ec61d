"""The operators' list and the admin's actions on an instance: filter, retry an incident,
terminate with a reason; and keyboard-only use of the inbox and a task."""
import re

from playwright.sync_api import expect

from engine import commands
from engine.commands import Actor
from .conftest import sign_in
from .orders import ready_task, start_approval


def test_admin_filters_instances_retries_an_incident_and_terminates_with_a_reason(people, new_context):
    calm = start_approval('Pump station retrofit', 'Suzhou Water Works', 460000)
    broken = start_approval('Substation expansion', 'Jiangsu Grid Services', 2400000)
    commands.record_incident(broken, RuntimeError('The ERP did not answer'), Actor('worker', ()))
    page = sign_in(new_context().new_page(), 'admin')
    page.get_by_role('link', name='Instances').click()
    expect(page.locator('tbody tr')).to_have_count(2)
    page.get_by_label('With open incidents only').check()
    page.get_by_role('button', name='Apply').click()
    expect(page.locator('tbody tr')).to_have_count(1)
    expect(page.locator('tbody tr')).to_contain_text(f'#{broken}')
    page.locator('#op-status').select_option('error')
    page.get_by_role('button', name='Apply').click()
    expect(page).to_have_url(re.compile('status=error'))
    page.get_by_role('link', name=f'#{broken}').click()

    expect(page.locator('.incidents')).to_contain_text('The ERP did not answer')
    expect(page.locator('#data-title')).to_be_visible()  # admins see the process data
    page.get_by_role('button', name='Retry').click()
    expect(page.locator('.notice-success')).to_contain_text('runs again')
    expect(page.locator('.incidents')).to_have_count(0)

    page.get_by_role('button', name='Terminate').click()  # no reason: refused by the browser
    expect(page.locator('.status')).to_have_text('Waiting')
    page.get_by_label('Reason').fill('The customer cancelled the tender.')
    page.get_by_role('button', name='Terminate').click()
    expect(page.locator('.notice-success')).to_contain_text(f'Order {broken} was terminated')
    expect(page.locator('.page-head .status')).to_have_text('Terminated')
    expect(page.locator('.timeline')).to_contain_text('Reason: The customer cancelled the tender.')
    expect(page.locator('#open-title + p')).to_have_text('No open tasks.')

    manager = sign_in(new_context().new_page(), 'li.wei')
    expect(manager.locator('tbody tr')).to_have_count(1)
    expect(manager.locator('tbody tr')).to_contain_text(f'#{calm}')
    assert manager.goto(f'/instances/{calm}').status == 200  # a project manager may follow the order
    expect(manager.locator('#data-title')).to_have_count(0)
    expect(manager.locator('#terminate')).to_have_count(0)
    status = manager.evaluate("""async (url) => {
        const token = document.body.getAttribute('hx-headers').match(/"X-CSRFToken": "([^"]+)"/)[1];
        return (await fetch(url, {method: 'POST', body: new URLSearchParams({csrf_token: token, reason: 'x'})})).status;
    }""", f'/instances/{calm}/terminate')
    assert status == 403


def test_keyboard_only_sign_in_claim_and_approve(people, new_context):
    order = start_approval('Warehouse roof repair', 'Ningbo Port Logistics', 150000)
    page = new_context().new_page()
    page.goto('/auth/login')
    expect(page.locator('#username')).to_have_attribute('autofocus', '')
    page.locator('#username').focus()  # what autofocus does in a focused window
    page.keyboard.type('li.wei')
    page.keyboard.press('Tab')
    page.keyboard.type('eoms-demo-2026')
    page.keyboard.press('Enter')
    page.wait_for_url('**/inbox')
    claim = page.get_by_role('button', name=re.compile('^Claim'))
    claim.focus()
    page.keyboard.press('Enter')
    expect(page.locator('#count-mine')).to_have_text('1')
    link = page.get_by_role('link', name='Project manager approval')
    link.focus()
    page.keyboard.press('Enter')
    expect(page.locator('h1')).to_have_text('Project manager approval')
    page.locator('#f-comment').focus()
    page.keyboard.type('Fine by me.')
    page.keyboard.press('Tab')  # to Approve
    expect(page.get_by_role('button', name='Approve')).to_be_focused()
    page.keyboard.press('Enter')
    expect(page.locator('.notice-success')).to_be_visible()
    assert ready_task(order, 'Department head approval')
