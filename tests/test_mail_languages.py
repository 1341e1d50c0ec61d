"""email.send in the recipient's language, against the real local SMTP server (aiosmtpd): a user's
own language, else the diagram's `locale`, else MAIL_DEFAULT_LOCALE; shipped mails translated
through the catalog; inline texts per language; one message per language."""
import os

import pytest

from tests.conftest import DATA
from tests.support.api import read_files
from tests.test_operators_email import body, failure, send, smtp  # noqa: F401 (smtp is a fixture)
from tests.test_service_tasks import clean_queue, run_jobs

ORDER = {'customer': '苏州水务', 'order_number': 'EO-2026-0007', 'title': '泵站改造', 'amount': 460000,
         'currency': 'CNY', 'requested_date': '2027-03-31',
         'lines': [{'description': '水泵', 'quantity': 2, 'unit': '台'}]}


@pytest.fixture
def people(app, db_session):
    from accounts.service import create_user
    create_user('zhang.min', 'password-123', ['department_head'], display_name='张敏', email='zhang.min@factory.test',
                locale='zh')
    create_user('li.wei', 'password-123', ['project_manager'], display_name='Li Wei', email='li.wei@factory.test',
                locale='en')
    create_user('sun.hao', 'password-123', ['site_engineer'], email='sun.hao@factory.test')  # no language set
    create_user('no.mail', 'password-123', ['sales'])


def test_a_chinese_user_gets_the_shipped_mail_in_chinese(app, smtp, people):
    result = send(app, to='zhang.min', mail='order_confirmation', context=ORDER)
    [mail] = smtp.messages
    assert mail['to'] == ['zhang.min@factory.test'] and result['locale'] == 'zh'
    message = mail['message']
    assert message['Subject'] == '订单 EO-2026-0007 已确认'
    assert '张敏' in message['To']
    assert body(mail) == ('尊敬的 苏州水务：\n\n我们确认您的订单 EO-2026-0007：泵站改造。\n\n金额：¥460,000.00\n'
                          '要求完成日期：2027年3月31日\n\n明细：\n- 水泵: 2 台\n\n感谢您的订购。\n')


def test_an_english_user_and_an_unknown_address_get_english(app, smtp, people):
    send(app, to='li.wei@factory.test', mail='order_confirmation', context={**ORDER, 'customer': 'Suzhou Water'})
    send(app, to='buyer@customer.test', mail='order_confirmation', context={**ORDER, 'customer': 'Suzhou Water'})
    for mail in smtp.messages:
        assert mail['message']['Subject'] == 'Order EO-2026-0007 confirmed'
        assert body(mail).startswith('Dear Suzhou Water,\n\nWe confirm your order EO-2026-0007')
        assert 'Amount: CN¥460,000.00\nRequested completion: March 31, 2027\n' in body(mail)


def test_the_locale_parameter_and_the_default_serve_who_has_no_language(app, smtp, people, monkeypatch):
    send(app, to=['buyer@customer.test', 'sun.hao'], mail='task_waiting', locale='zh-CN',
         context={'task': '合同签订', 'order_number': 'EO-2026-0007', 'title': '泵站改造', 'due': '2026-12-01'})
    [mail] = smtp.messages
    assert mail['to'] == ['buyer@customer.test', 'sun.hao@factory.test']
    assert mail['message']['Subject'] == '订单 EO-2026-0007 的“合同签订”待您处理'
    assert '请在 2026年12月1日 前完成。' in body(mail)
    # a user's own language wins over the parameter
    send(app, to='li.wei', mail='task_waiting', locale='zh',
         context={'task': 'Prepare contract', 'order_number': 'EO-2026-0007', 'title': 'Pumps'})
    assert smtp.messages[1]['message']['Subject'] == '"Prepare contract" for order EO-2026-0007 is waiting for you'
    monkeypatch.setitem(app.config, 'MAIL_DEFAULT_LOCALE', 'zh')
    send(app, to='buyer@customer.test', subject='s', template='{{ _("Attachments") }} {{ locale }}')
    assert body(smtp.messages[2]).strip() == '附件 zh'


def test_recipients_in_two_languages_get_one_message_each(app, smtp, people):
    result = send(app, to=['zhang.min', 'li.wei', 'buyer@customer.test'],
                  subject={'en': 'Site visit on Monday', 'zh': '周一现场踏勘'},
                  template={'en': 'Hello {{ name }}', 'zh': '{{ name }}，您好'}, context={'name': 'EOMS'})
    by_subject = {m['message']['Subject']: m for m in smtp.messages}
    assert set(by_subject) == {'Site visit on Monday', '周一现场踏勘'}
    assert by_subject['周一现场踏勘']['to'] == ['zhang.min@factory.test']
    assert by_subject['Site visit on Monday']['to'] == ['li.wei@factory.test', 'buyer@customer.test']
    assert body(by_subject['周一现场踏勘']).strip() == 'EOMS，您好'
    assert [(m['locale'], len(m['to'])) for m in result['messages']] == [('zh', 1), ('en', 2)]
    assert result['message_id'] == result['messages'][0]['message_id']


@pytest.mark.parametrize('given, words', [
    ({'to': 'no.mail', 'subject': 's', 'template': 't'}, 'has no e-mail address'),
    ({'to': 'nobody.here', 'subject': 's', 'template': 't'}, 'nor the username of an active user'),
    ({'to': 'a@b.test', 'mail': 'no_such_mail'}, 'no shipped mail "no_such_mail"'),
    ({'to': 'a@b.test', 'mail': '../config'}, 'must name a shipped mail'),
    ({'to': 'a@b.test', 'mail': 'order_confirmation', 'html': True}, 'plain text'),
    ({'to': 'a@b.test', 'subject': 's'}, 'give "subject" and "template", or "mail"'),
    ({'to': 'a@b.test', 'subject': 's', 'template': 't', 'locale': 'fr'}, '"locale" must be one of en, zh'),
    ({'to': 'a@b.test', 'subject': {'en': 1}, 'template': 't'}, 'texts by language'),
    ({'to': 'a@b.test', 'mail': 'order_confirmation', 'context': {'customer': 'x'}}, "'order_number' is undefined"),
])
def test_bad_parameters_fail_at_once_and_send_nothing(app, smtp, people, given, words):
    error = failure(app, **given)
    assert error.retry is False and words in str(error)
    assert smtp.messages == []


def test_a_diagram_mails_a_user_in_their_language_through_a_worker(api, app, smtp, people):
    clean_queue(app)
    files = read_files(os.path.join(DATA, 'service_email', 'task_reminder.bpmn'))
    assert api.deploy('task_reminder', files).status == 201
    inst = api.start('task_reminder', {'approver': 'zhang.min', 'order_no': 'EO-2026-0009',
                                       'order_title': '变电站扩建'}).json
    run_jobs(app)
    [mail] = smtp.messages
    assert mail['to'] == ['zhang.min@factory.test']
    assert mail['message']['Subject'] == '订单 EO-2026-0009 的“部门负责人审批”待您处理'
    assert api.instance(inst['id'])['data']['reminder']['locale'] == 'zh'
