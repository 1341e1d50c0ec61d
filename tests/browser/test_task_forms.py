"""The task page's form: server-side validation shown next to each field with the input kept,
rejects that need a comment, drafts, and the racing second approver."""
import re

from playwright.sync_api import expect

from .conftest import screenshot, sign_in
from .orders import ready_task, start_approval


def test_a_form_with_errors_shows_them_inline_and_keeps_the_input(people, new_context):
    page = sign_in(new_context().new_page(), 'liu.yang')
    page.get_by_role('button', name='New order').click()
    expect(page.locator('h1')).to_have_text('Order intake')
    page.locator('#f-title').fill('Canteen kitchen ventilation')
    page.get_by_label('Emergency').check()
    page.locator('#f-amount').fill('-5')
    page.locator('#f-line_items-0-description').fill('Exhaust hood')
    page.locator('#f-line_items-0-quantity').fill('0')
    page.get_by_role('button', name='Submit', exact=True).last.click()

    expect(page.locator('#error-summary')).to_be_visible()
    expect(page.locator('#f-customer-error')).to_have_text(re.compile('This field is required'))
    expect(page.locator('#f-amount-error')).to_have_text(re.compile('Enter 0 or more'))
    expect(page.locator('#f-line_items-0-quantity-error')).to_have_text(re.compile('Enter more than 0'))
    expect(page.locator('#f-line_items-0-unit-error')).to_have_text(re.compile('required'))
    expect(page.locator('#f-requested_date-error')).to_have_text(re.compile('required'))
    expect(page.locator('#f-customer')).to_have_attribute('aria-invalid', 'true')
    expect(page.locator('#f-customer')).to_have_attribute('aria-describedby', re.compile('f-customer-error'))
    # what was typed is still there
    expect(page.locator('#f-title')).to_have_value('Canteen kitchen ventilation')
    expect(page.get_by_label('Emergency')).to_be_checked()
    expect(page.locator('#f-amount')).to_have_value('-5')
    expect(page.locator('#f-line_items-0-description')).to_have_value('Exhaust hood')
    screenshot(page, 'task-errors.png')
    # the summary links to the field
    page.locator('#error-summary a', has_text='Customer').click()
    expect(page).to_have_url(re.compile('#f-customer$'))


def test_a_reject_without_a_comment_is_refused(people, new_context):
    order = start_approval('Warehouse roof repair', 'Ningbo Port Logistics', 150000)
    page = sign_in(new_context().new_page(), 'li.wei')
    page.goto(f'/tasks/{ready_task(order, "Project manager approval").id}')
    page.get_by_role('button', name='Reject').click()
    expect(page.locator('#f-comment-error')).to_have_text(re.compile('This field is required'))
    expect(page.locator('h1')).to_have_text('Project manager approval')  # still the same open task
    page.locator('#f-comment').fill('   ')
    page.get_by_role('button', name='Reject').click()
    expect(page.locator('#f-comment-error')).to_have_text(re.compile('cannot be blank|required'))
    page.locator('#f-comment').fill('The roof area is twice what the survey says; please re-measure.')
    page.get_by_role('button', name='Reject').click()
    expect(page.locator('.notice-success')).to_contain_text('Project manager approval')
    requester = sign_in(new_context().new_page(), 'liu.yang')
    requester.locator('tbody tr', has_text=f'#{order}').get_by_role('link', name='Revise order').click()
    expect(requester.locator('.instructions')).to_contain_text('please re-measure')
    expect(requester.locator('#f-amount')).to_have_value('150000')  # pre-filled from the order


def test_a_draft_is_kept_for_its_author_only(people, new_context):
    order = start_approval('Pump station retrofit', 'Suzhou Water Works', 460000)
    task_id = ready_task(order, 'Project manager approval').id
    page = sign_in(new_context().new_page(), 'li.wei')
    page.goto(f'/tasks/{task_id}')
    page.locator('#f-comment').fill('Half written: check the pump curves first')
    page.get_by_role('button', name='Save draft').click()
    expect(page.locator('.notice-success')).to_contain_text('Draft saved')
    page.goto('/inbox')
    page.goto(f'/tasks/{task_id}')
    expect(page.locator('#f-comment')).to_have_value('Half written: check the pump curves first')
    other = sign_in(new_context().new_page(), 'wu.qiang')
    other.goto(f'/tasks/{task_id}')
    expect(other.locator('#f-comment')).to_have_value('')


def test_two_approvers_race_and_the_loser_sees_who_won(people, new_context):
    order = start_approval('Substation expansion', 'Jiangsu Grid Services', 2400000)
    task_id = ready_task(order, 'Project manager approval').id
    first = sign_in(new_context().new_page(), 'li.wei')
    second = sign_in(new_context().new_page(), 'wu.qiang')
    for page in (first, second):
        page.goto(f'/tasks/{task_id}')
        page.locator('#f-comment').fill('Looks right.')
    first.get_by_role('button', name='Approve').click()
    expect(first.locator('.notice-success')).to_be_visible()
    second.get_by_role('button', name='Approve').click()
    conflict = second.locator('.conflict')
    expect(conflict).to_have_attribute('role', 'alert')
    expect(conflict).to_contain_text('already completed by Li Wei (li.wei)')
    expect(conflict).to_contain_text('nothing was recorded twice')
    expect(second.get_by_role('button', name='Approve')).to_have_count(0)
    # exactly one completion in the timeline
    first.goto(f'/instances/{order}')
    expect(first.locator('.timeline li', has_text='Completed a task: Project manager approval')).to_have_count(1)


def test_a_claim_on_a_stale_inbox_says_someone_else_was_faster(people, new_context):
    order = start_approval('Office fit-out, 3rd floor', 'Hangzhou Lakeside Offices', 80000)
    first = sign_in(new_context().new_page(), 'li.wei')
    second = sign_in(new_context().new_page(), 'wu.qiang')
    first.locator('tbody tr', has_text=f'#{order}').get_by_role('button', name=re.compile('^Claim')).click()
    expect(first.locator('#count-mine')).to_have_text('1')
    second.locator('tbody tr', has_text=f'#{order}').get_by_role('button', name=re.compile('^Claim')).click()
    expect(second.locator('#inbox-results .notice-warning')).to_have_text('Someone else claimed this task a moment ago.')
    expect(second.locator('tbody tr', has_text=f'#{order}')).to_contain_text('Claimed by li.wei')
    expect(second.locator('#count-mine')).to_have_text('0')
    # and the holder's claim keeps the task page's form for them only
    second.goto(f'/tasks/{ready_task(order, "Project manager approval").id}')
    expect(second.locator('.claim-bar')).to_contain_text('Claimed by Li Wei (li.wei)')
