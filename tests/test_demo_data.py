"""`make run` loads demo data: users for every role, customers, and orders at six stages, one of them waiting for
the customer's signed contract."""
from engine import deployments
from engine.models import HumanTask, ProcessInstance
from orders import signatures
from orders.models import Order
from tests.support.api import shipped_bundle
from web.cli.demo_data import ORDERS, USERS, load_demo


def test_demo_orders_stand_where_the_demo_says(app, db_session):
    deployments.deploy('order_lifecycle', shipped_bundle(), actor='cli')
    lines = load_demo()
    assert any(line.startswith('Demo logins') for line in lines)
    assert len(lines) == len(ORDERS) + 1 + len(USERS)
    orders = Order.query.order_by(Order.number).all()
    assert [o.title for o in orders] == [title for title, *_ in ORDERS]
    waiting_at = {}
    for order in orders:
        inst = db_session.get(ProcessInstance, order.instance_id)
        ready = [t.title for t in HumanTask.query.filter_by(instance_id=inst.id, state='ready')]
        waiting_at[order.title] = (inst.status, ready)
    assert waiting_at['Pump station retrofit'] == ('waiting', ['Prepare quotation'])
    assert waiting_at['Office fit-out, 3rd floor'] == ('waiting', ['Project manager approval'])
    assert waiting_at['Substation expansion'] == ('waiting', ['Finance approval'])
    assert waiting_at['Warehouse roof repair'] == ('waiting', ['Milestone check-in'])
    assert waiting_at['Boiler room upgrade'] == ('completed', [])
    assert waiting_at['Cooling tower overhaul'] == ('waiting', [])
    assert signatures.waiting(orders[5].instance_id)
    assert [o.stage for o in orders] == ['quotation', 'approval', 'approval', 'execution', 'closed', 'contract']
    assert [o.revision for o in orders] == [1, 1, 1, 2, 1, 1]  # the order in execution had a change approved
    assert db_session.get(ProcessInstance, orders[4].instance_id).data['signed_date'] == '2026-11-02'
    roof = orders[3]
    assert (roof.amount, str(roof.planned_end)) == (165000, '2027-02-15')
    assert [(c.status, c.revision, c.previous['amount']) for c in roof.changes] == [('approved', 2, 150000)]
    assert load_demo()[-1].strip().startswith('zhou.jing'), 'a second load adds nothing and still prints logins'
    assert Order.query.count() == len(ORDERS)
