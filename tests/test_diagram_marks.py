"""The instance view marks diagram elements from the instance's saved state, inside the called
approval process too: finished steps, the current task, armed timers, failed steps."""
from engine.db import db
from engine.inbox import diagram_marks
from engine.models import ProcessInstance
from tests.support.api import shipped_bundle
from web.cli.demo_data import INTAKE


def test_marks_follow_the_order_into_the_called_approval(api, app):
    assert api.deploy('order_lifecycle', shipped_bundle()).status == 201
    inst = api.start('order_lifecycle').json
    api.complete(api.ready_task(inst['id'], 'Order intake')['id'],
                 {**INTAKE, 'title': 'Pump room', 'customer': 'Suzhou Water Works', 'amount': 90000,
                  'description': 'Two pumps.'})
    api.complete(api.ready_task(inst['id'], 'Prepare quotation')['id'], {'quoted_amount': 90000, 'validity_days': 30})
    current = api.ready(inst['id'])[0]['name']
    with app.app_context():
        marks = diagram_marks(db.session.get(ProcessInstance, inst['id']))
    assert {'order_intake', 'prepare_quotation', 'determine_approval_levels'} <= set(marks['done']['ids'])
    assert set(marks['current']['ids']) == {'approval', current}   # the call activity runs, its task waits
    assert 'approval' not in marks['done']['ids']
    assert 'pm_sla_expired' in marks['waiting']['ids']      # its SLA timer is armed
    assert marks['incident']['ids'] == []
