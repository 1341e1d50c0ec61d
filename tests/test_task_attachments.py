"""File fields in task forms, through the pages (Flask's test client, signed in): rendered as file
inputs, stored with the instance's order (or the instance) in the transaction that completes the
task, referenced in the process data, kept by drafts; refused files and refused forms store
nothing. Also the web intake form's attachments and the order page's Attachments section."""
import io
import os
import re
from urllib.parse import quote

import pytest

from tests.conftest import DATA
from tests.support.api import read_files, shipped_bundle, wipe_tables
from tests.test_orders_pages import Browser

PDF = b'%PDF-1.4\n% signed report\n%%EOF\n'
PNG = b'\x89PNG\r\n\x1a\n' + b'\x00' * 32


def files(**fields):
    """Multipart values for the test client: name -> [(bytes, filename)]."""
    return {name: [(io.BytesIO(content), filename) for content, filename in found] for name, found in fields.items()}


@pytest.fixture
def world(app):
    from engine import deployments
    with app.app_context():
        wipe_tables()
        for name in ('order_approval.bpmn', 'order_lifecycle.bpmn'):
            deployments.deploy(name.split('.')[0], shipped_bundle(name), actor='tests')
        folder = os.path.join(DATA, 'attachments')
        deployments.deploy('site_report', read_files(*(os.path.join(folder, n) for n in (
            'site_report.bpmn', 'site_report.json', 'site_report.uischema.json'))), actor='tests')
    yield app
    with app.app_context():
        wipe_tables()


def start_site_report(app, username='sun.hao'):
    """A site_report instance (no order) waiting at "Report the site visit"; (instance id, task id)."""
    from engine import commands
    from engine.commands import Actor
    from engine.models import HumanTask
    with app.app_context():
        inst = commands.start('site_report', Actor(username, ('site_engineer',)))
        task = HumanTask.query.filter_by(instance_id=inst.id, state='ready').one()
        return inst.id, task.id


def attachment_rows(app):
    from orders.models import OrderAttachment
    with app.app_context():
        return [(a.filename, a.source, a.order_id, a.instance_id, a.field, a.task_name, a.uploaded_by)
                for a in OrderAttachment.query.order_by(OrderAttachment.id)]


def instance_data(app, instance_id):
    from engine.models import ProcessInstance
    from engine.db import db
    with app.app_context():
        return db.session.get(ProcessInstance, instance_id).data


def test_file_fields_render_as_file_inputs(world):
    _inst, task_id = start_site_report(world)
    engineer = Browser(world, 'sun.hao', ['site_engineer'])
    html = engineer.get(f'/tasks/{task_id}').get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    report = re.search(r'<input id="f-report"[^>]*>', html).group(0)
    assert 'type="file"' in report and 'multiple' not in report and 'aria-required="true"' in report
    photos = re.search(r'<input id="f-photos"[^>]*>', html).group(0)
    assert 'type="file"' in photos and 'multiple="multiple"' in photos and 'accept="image/*"' in photos


def test_a_required_file_missing_or_refused_is_shown_at_its_field_and_nothing_is_stored(world, monkeypatch):
    _inst, task_id = start_site_report(world)
    engineer = Browser(world, 'sun.hao', ['site_engineer'])
    answer = engineer.post(f'/tasks/{task_id}', {'summary': 'Foundations poured', '_action': 'submit'})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert re.search(r'id="f-report-error"><span>Attach a file\.', html)
    assert 'value="Foundations poured"' in html  # the rest of the input is kept

    answer = engineer.post(f'/tasks/{task_id}', {'summary': 'Foundations poured', '_action': 'submit',
                                                 **files(report=[(b'', 'report.pdf')])})
    assert answer.status_code == 422
    assert '&#34;report.pdf&#34; is empty (0 bytes)' in answer.get_data(as_text=True)

    monkeypatch.setitem(world.config, 'ATTACHMENT_MAX_BYTES', 100)
    answer = engineer.post(f'/tasks/{task_id}', {'summary': '', '_action': 'submit',
                                                 **files(report=[(PDF, 'report.pdf')], photos=[(PNG * 4, 'big.png')])})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert re.search(r'id="f-photos-error"><span>&#34;big.png&#34; is larger than 100 bytes', html)
    assert re.search(r'id="f-summary-error"><span>This field is required', html)
    # the file that was good must be chosen again, and the page says so
    assert 'Choose &#34;report.pdf&#34; again' in html
    assert attachment_rows(world) == []


def test_files_are_stored_with_the_instance_and_referenced_in_the_process_data(world):
    inst_id, task_id = start_site_report(world)
    engineer = Browser(world, 'sun.hao', ['site_engineer'])
    answer = engineer.post(f'/tasks/{task_id}', {'summary': 'Foundations poured', '_action': 'submit',
                                                 **files(report=[(PDF, '现场报告.pdf')],
                                                         photos=[(PNG, 'north.png'), (PNG, 'south.png')])})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    rows = attachment_rows(world)
    assert rows == [('现场报告.pdf', 'task', None, inst_id, 'report', 'Report the site visit', 'sun.hao'),
                    ('north.png', 'task', None, inst_id, 'photos', 'Report the site visit', 'sun.hao'),
                    ('south.png', 'task', None, inst_id, 'photos', 'Report the site visit', 'sun.hao')]
    data = instance_data(world, inst_id)
    report = data['report']
    assert set(report) == {'attachment_id', 'filename', 'size', 'content_type'}
    assert (report['filename'], report['size'], report['content_type']) == ('现场报告.pdf', len(PDF), 'application/pdf')
    assert [p['filename'] for p in data['photos']] == ['north.png', 'south.png']
    assert all(p['content_type'] == 'image/png' for p in data['photos'])

    download = engineer.get(f'/attachments/{report["attachment_id"]}')
    assert download.status_code == 200 and download.data == PDF
    assert f"filename*=UTF-8''{quote('现场报告.pdf')}" in download.headers['Content-Disposition']
    assert download.headers['X-Content-Type-Options'] == 'nosniff'
    stranger = Browser(world, 'liu.yang', ['requester'])  # not in the process
    assert stranger.get(f'/attachments/{report["attachment_id"]}').status_code == 403
    assert stranger.get('/attachments/999999').status_code == 404


def test_a_draft_keeps_its_files_for_its_author_until_the_form_is_submitted(world):
    inst_id, task_id = start_site_report(world)
    engineer = Browser(world, 'sun.hao', ['site_engineer'])
    saved = engineer.post(f'/tasks/{task_id}', {'summary': 'Half done', '_action': 'draft',
                                                **files(report=[(PDF, 'first.pdf')])})
    assert saved.status_code == 302
    [(name, source, *_rest)] = attachment_rows(world)
    assert (name, source) == ('first.pdf', 'draft')
    html = engineer.get(f'/tasks/{task_id}').get_data(as_text=True)
    kept = re.search(r'name="report.__keep" value="(\d+)" checked', html)
    assert kept and 'first.pdf' in html
    draft_id = int(kept.group(1))
    colleague = Browser(world, 'zhou.wei', ['site_engineer'])
    assert colleague.get(f'/attachments/{draft_id}').status_code == 403  # a draft is its author's
    assert 'first.pdf' not in colleague.get(f'/tasks/{task_id}').get_data(as_text=True)

    # a second draft with another report replaces the first file
    engineer.post(f'/tasks/{task_id}', {'summary': 'Half done', '_action': 'draft',
                                        **files(report=[(PDF + b'v2', 'second.pdf')])})
    assert [(r[0], r[1]) for r in attachment_rows(world)] == [('second.pdf', 'draft')]
    html = engineer.get(f'/tasks/{task_id}').get_data(as_text=True)
    second_id = int(re.search(r'name="report.__keep" value="(\d+)"', html).group(1))

    # an id the process may not use is ignored (here: a made-up one)
    done = engineer.post(f'/tasks/{task_id}', {'summary': 'All done', '_action': 'submit',
                                               'report.__keep': str(second_id), 'photos.__keep': '424242'})
    assert done.status_code == 302
    assert [(r[0], r[1], r[3]) for r in attachment_rows(world)] == [('second.pdf', 'task', inst_id)]
    data = instance_data(world, inst_id)
    assert data['report']['attachment_id'] == second_id and data['photos'] == []


def test_files_a_refused_completion_stored_are_rolled_back(world):
    """The engine's prepare hook stores in the completing transaction: a refusal leaves nothing."""
    from engine import commands
    from engine.commands import Actor
    from engine.errors import Invalid
    from orders import attachments
    inst_id, task_id = start_site_report(world)
    actor = Actor('sun.hao', ('site_engineer',))

    def prepare(inst, data):
        stored = attachments.add(attachments.Upload('report.pdf', PDF), instance_id=inst.id, source='task',
                                 uploaded_by='sun.hao', task_id=str(task_id))
        return {**data, 'report': attachments.reference(stored)}  # no summary: the form refuses it

    with world.app_context():
        with pytest.raises(Invalid):
            commands.complete_task(task_id, {}, actor, prepare=prepare)
    assert attachment_rows(world) == []
    with world.app_context():
        commands.complete_task(task_id, {'summary': 'ok'}, actor, prepare=prepare)
    assert [r[0] for r in attachment_rows(world)] == ['report.pdf']
    assert instance_data(world, inst_id)['report']['filename'] == 'report.pdf'


CONTRACT_STEPS = {
    'Order intake': {'title': 'Filter hall design', 'customer': 'Suzhou Water Works', 'order_type': 'standard',
                     'urgency': 'normal', 'amount': 90000, 'description': 'Design of the filter hall',
                     'requested_date': '2027-01-31',
                     'line_items': [{'description': 'Design', 'quantity': 1, 'unit': 'lot', 'unit_price': 90000}]},
    'Prepare quotation': {'quoted_amount': 90000, 'validity_days': 30},
    'Project manager approval': {'decision': 'approve'},
}


def order_at_contract():
    """An order of 90,000 CNY (the project manager alone approves) waiting at "Prepare contract":
    (number, order id, instance id, task id). Runs in an app context."""
    from engine import commands
    from engine.commands import Actor
    from engine.models import HumanTask
    from orders import customers, service
    from orders.validation import CustomerIn, OrderIn
    seller = Actor('zhao.lei', ('sales',))
    customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}), seller)
    order, _ = service.create_order(OrderIn().load({
        'title': 'Filter hall design', 'customer': 'SWW', 'type': 'design', 'owner': 'zhao.lei',
        'line_items': [{'description': 'Design', 'quantity': 1, 'unit': 'lot', 'unit_price': '90000'}]}), seller)
    for _step in range(len(CONTRACT_STEPS) + 1):
        task = HumanTask.query.filter_by(instance_id=order.instance_id, state='ready').one()
        if task.title == 'Prepare contract':
            return order.number, order.id, order.instance_id, task.id
        commands.complete_task(task.id, CONTRACT_STEPS[task.title], Actor('admin', ('admin',)))
    raise AssertionError('the order did not reach "Prepare contract"')


def _order_at_contract(app):
    with app.app_context():
        return order_at_contract()


def test_the_signed_contract_goes_with_the_order_and_shows_on_its_page(world):
    number, order_id, inst_id, task_id = _order_at_contract(world)
    sales = Browser(world, 'zhao.lei', ['sales'])
    html = sales.get(f'/tasks/{task_id}').get_data(as_text=True)
    assert re.search(r'<input id="f-signed_contract"[^>]*type="file"[^>]*accept="\.pdf', html)
    answer = sales.post(f'/tasks/{task_id}', {'contract_number': 'HT-2026-017',
                                              'payment_terms': 'milestone', '_action': 'submit',
                                              **files(signed_contract=[(PDF, '合同扫描件.pdf')])})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert attachment_rows(world) == [('合同扫描件.pdf', 'task', order_id, inst_id, 'signed_contract',
                                       'Prepare contract', 'zhao.lei')]
    page = sales.get(f'/orders/{number}').get_data(as_text=True)
    section = page[page.index('id="attachments"'):]
    start = section.index('合同扫描件.pdf')
    row = section[start:section.index('</tr>', start)]
    assert 'zhao.lei' in row and 'Prepare contract' in row and f'{len(PDF)} bytes' in row
    link = re.search(r'href="(/attachments/\d+)" download>合同扫描件.pdf', section).group(1)
    assert sales.get(link).data == PDF
    assert instance_data(world, inst_id)['signed_contract']['filename'] == '合同扫描件.pdf'


def test_the_order_page_lists_files_and_takes_uploads_from_those_who_work_on_it(world):
    number, order_id, _inst, _task = _order_at_contract(world)
    sales = Browser(world, 'zhao.lei', ['sales'])
    page = sales.get(f'/orders/{number}').get_data(as_text=True)
    assert 'No files yet.' in page and 'name="files"' in page
    refused = sales.post(f'/orders/{number}/attachments', files(files=[(PDF, 'ok.pdf'), (b'', 'empty.txt')]))
    assert refused.status_code == 422
    assert re.search(r'id="f-attachment-files-error" role="alert"><span>&#34;empty.txt&#34; is empty',
                     refused.get_data(as_text=True))
    assert attachment_rows(world) == []  # all or nothing
    done = sales.post(f'/orders/{number}/attachments', files(files=[(PDF, 'survey.pdf'), (PNG, 'site.png')]))
    assert done.status_code == 302 and done.headers['Location'].endswith('#attachments')
    assert [(r[0], r[1], r[2]) for r in attachment_rows(world)] == [('survey.pdf', 'web', order_id),
                                                                     ('site.png', 'web', order_id)]
    page = sales.get(f'/orders/{number}').get_data(as_text=True)
    assert 'survey.pdf' in page and 'site.png' in page and 'Order page' in page

    executive = Browser(world, 'chen.jie', ['executive'])  # sees every order, adds nothing
    page = executive.get(f'/orders/{number}').get_data(as_text=True)
    assert 'survey.pdf' in page and 'name="files"' not in page
    assert executive.post(f'/orders/{number}/attachments', files(files=[(PDF, 'x.pdf')])).status_code == 403


INTAKE = {'title': 'Canteen ventilation', 'customer': 'SWW', 'type': 'construction', 'order_type': 'standard',
          'priority': 'normal', 'urgency': 'normal', 'line_items-0-description': 'Exhaust hood',
          'line_items-0-quantity': '2', 'line_items-0-unit': 'set', 'line_items-0-unit_price': '12000'}


def test_the_intake_form_keeps_its_attachments_with_the_new_order(world):
    from engine.commands import Actor
    from orders import customers
    from orders.validation import CustomerIn
    with world.app_context():
        customers.create_customer(CustomerIn().load({'code': 'SWW', 'name': 'Suzhou Water Works'}),
                                  Actor('tests', ('admin',)))
    sales = Browser(world, 'zhao.lei', ['sales'])
    assert 'name="attachments"' in sales.get('/orders/intake').get_data(as_text=True)

    # a bad field: no order, no file, and the page asks for the file again
    refused = sales.post('/orders/intake', {**INTAKE, 'title': '', **files(attachments=[(PDF, '需求说明.pdf')])})
    assert refused.status_code == 422
    assert 'Choose &#34;需求说明.pdf&#34; again' in refused.get_data(as_text=True)
    # an empty file: no order either
    refused = sales.post('/orders/intake', {**INTAKE, **files(attachments=[(b'', 'blank.pdf')])})
    assert refused.status_code == 422 and 'id="err-attachments"' in refused.get_data(as_text=True)
    assert attachment_rows(world) == []

    created = sales.post('/orders/intake', {**INTAKE, **files(attachments=[(PDF, '需求说明.pdf'), (PNG, 'plan.png')])})
    assert created.status_code == 302
    number = created.headers['Location'].rsplit('/', 1)[-1]
    from orders.models import Order
    with world.app_context():
        order_id = Order.query.filter_by(number=number).one().id
    assert [(r[0], r[1], r[2], r[6]) for r in attachment_rows(world)] == [
        ('需求说明.pdf', 'intake', order_id, 'zhao.lei'), ('plan.png', 'intake', order_id, 'zhao.lei')]
    page = sales.get(f'/orders/{number}').get_data(as_text=True)
    assert '需求说明.pdf' in page and 'Intake form' in page
