"""The pages in Simplified Chinese: from the browser's language, or from the user's own setting."""
from playwright.sync_api import expect

from accounts.models import User
from engine.db import db
from .conftest import screenshot, sign_in
from .orders import make_overdue, ready_task, start_approval


def test_inbox_and_task_page_render_in_chinese_for_a_zh_cn_browser(people, new_context):
    order = start_approval('变电站扩建', '江苏电网服务公司', 2400000, urgency='urgent')
    make_overdue(start_approval('办公室装修（三楼）', '杭州湖畔办公', 80000))
    page = new_context(locale='zh-CN', viewport={'width': 1366, 'height': 860}).new_page()
    page.goto('/auth/login')
    expect(page.locator('html')).to_have_attribute('lang', 'zh-CN')
    expect(page.locator('label[for=username]')).to_have_text('用户名')
    sign_in(page, 'li.wei')
    expect(page.locator('h1')).to_have_text('待办任务')
    expect(page.get_by_role('link', name='本组任务')).to_be_visible()
    row = page.locator('tbody tr', has_text=f'#{order}')
    expect(row).to_contain_text('¥2,400,000.00')
    expect(row).to_contain_text('加急')
    expect(row).to_contain_text('项目经理审批')  # the shipped model's task name, from the catalog
    expect(row.locator('.lane')).to_have_text('项目经理')
    expect(page.locator('tr.is-overdue')).to_contain_text('已逾期')
    expect(page.locator('#filter-sort option[value=amount]')).to_have_text('金额')
    screenshot(page, 'inbox-zh.png')

    page.goto(f'/tasks/{ready_task(order, "Project manager approval").id}')
    expect(page.locator('label[for=f-comment]')).to_have_text('审批意见')  # the form's title_zh
    expect(page.locator('.form-title')).to_have_text('审批决定')
    expect(page.get_by_role('button', name='批准')).to_be_visible()
    expect(page.get_by_role('button', name='驳回')).to_be_visible()
    expect(page.get_by_role('button', name='保存草稿')).to_be_visible()
    expect(page.locator('.order-summary')).to_contain_text('客户')
    page.get_by_role('button', name='驳回').click()
    expect(page.locator('#f-comment-error')).to_have_text('此项为必填项。')
    screenshot(page, 'task-zh.png')


def test_a_users_language_setting_wins_over_the_browser(people, new_context):
    user = User.query.filter_by(username='wang.fang').one()
    user.locale = 'zh-CN'
    db.session.commit()
    page = sign_in(new_context(locale='en-US').new_page(), 'wang.fang')
    expect(page.locator('h1')).to_have_text('待办任务')
    page.get_by_role('button', name='English').click()
    expect(page.locator('h1')).to_have_text('Inbox')
    db.session.expire_all()
    assert User.query.filter_by(username='wang.fang').one().locale == 'en'
