"""A file in a task form, in a browser: chosen on the task page (one over the limit is taken out at
once), submitted with the form, listed on the order page with the task it came from, and
downloaded with its Chinese name."""
import re

from playwright.sync_api import expect

from tests.test_task_attachments import order_at_contract
from .conftest import screenshot, sign_in

PDF = b'%PDF-1.4\n% signed contract HT-2026-017\n%%EOF\n'


def test_a_file_from_a_task_form_is_on_the_order_page_and_downloads(app, people, new_context, tmp_path,
                                                                     monkeypatch):
    number, _order_id, _inst_id, task_id = order_at_contract()
    page = sign_in(new_context(accept_downloads=True).new_page(), 'zhao.lei')
    page.goto(f'/tasks/{task_id}')
    expect(page.locator('h1')).to_have_text('Prepare contract')

    monkeypatch.setitem(app.config, 'ATTACHMENT_MAX_BYTES', 1000)
    page.reload()
    big = tmp_path / 'scan-600dpi.pdf'
    big.write_bytes(PDF + b'0' * 2000)
    page.locator('#f-signed_contract').set_input_files(str(big))
    expect(page.locator('#f-signed_contract-size')).to_contain_text('"scan-600dpi.pdf" is larger than 1,000 bytes')
    expect(page.locator('#f-signed_contract')).to_have_value('')
    monkeypatch.setitem(app.config, 'ATTACHMENT_MAX_BYTES', 20 * 1024 * 1024)
    page.reload()

    page.locator('#f-contract_number').fill('HT-2026-017')
    page.locator('#f-payment_terms').select_option('milestone')
    scan = tmp_path / '合同扫描件.pdf'
    scan.write_bytes(PDF)
    page.locator('#f-signed_contract').set_input_files(str(scan))
    screenshot(page, 'task-with-file.png')
    page.get_by_role('button', name='Submit', exact=True).last.click()
    expect(page.locator('.notice-success')).to_contain_text('Prepare contract')

    page.goto(f'/orders/{number}')
    row = page.locator('#attachments tbody tr', has_text='合同扫描件.pdf')
    expect(row).to_contain_text('Prepare contract')
    expect(row).to_contain_text('Zhao Lei')
    screenshot(page, 'order-attachments.png')
    with page.expect_download() as caught:
        row.get_by_role('link', name='合同扫描件.pdf').click()
    download = caught.value
    assert download.suggested_filename == '合同扫描件.pdf'
    with open(download.path(), 'rb') as f:
        assert f.read() == PDF


def test_the_attachments_section_in_chinese(people, new_context, tmp_path):
    number, *_ids = order_at_contract()
    page = sign_in(new_context(locale='zh-CN').new_page(), 'zhao.lei')
    page.goto(f'/orders/{number}')
    section = page.locator('#attachments')
    expect(section.locator('h2')).to_have_text('附件')
    expect(section).to_contain_text('暂无文件。')
    drawing = tmp_path / '施工图纸.pdf'
    drawing.write_bytes(PDF)
    section.get_by_label('添加文件').set_input_files(str(drawing))
    section.get_by_role('button', name='上传').click()
    expect(page.locator('.notice-success')).to_contain_text('已添加 1 个文件。')
    expect(page).to_have_url(re.compile('#attachments$'))
    expect(page.locator('#attachments tbody tr', has_text='施工图纸.pdf')).to_contain_text('订单页面')
