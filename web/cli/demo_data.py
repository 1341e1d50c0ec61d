"""Demo users for every role and a few orders at different stages, driven through the engine's
own commands exactly as people would move them."""
from accounts.models import User
from accounts.service import create_user
from engine import commands
from engine.commands import Actor
from engine.models import HumanTask, ProcessInstance

PASSWORD = 'eoms-demo-2026'
USERS = [
    ('admin', ['admin'], 'Administrator'),
    ('liu.yang', ['requester'], 'Requester'),
    ('zhao.lei', ['sales'], 'Sales'),
    ('li.wei', ['project_manager'], 'Project manager'),
    ('zhang.min', ['department_head'], 'Department head'),
    ('wang.fang', ['finance'], 'Finance'),
    ('chen.jie', ['executive'], 'Executive'),
    ('sun.hao', ['site_engineer'], 'Site engineer'),
    ('zhou.jing', ['customer_service'], 'Customer service'),
]

INTAKE = {
    'order_type': 'standard', 'urgency': 'normal', 'requested_date': '2027-03-31',
    'line_items': [{'description': 'Centrifugal pump DN150', 'quantity': 2, 'unit': 'set', 'unit_price': 185000},
                   {'description': 'Installation and commissioning', 'quantity': 1, 'unit': 'lot',
                    'unit_price': 90000}],
}
ORDERS = [
    # title, customer, amount, how far to take it
    ('Pump station retrofit', 'Suzhou Water Works', 460000, 'quotation'),
    ('Office fit-out, 3rd floor', 'Hangzhou Lakeside Offices', 80000, 'pm_approval'),
    ('Substation expansion', 'Jiangsu Grid Services', 2400000, 'finance_approval'),
    ('Warehouse roof repair', 'Ningbo Port Logistics', 150000, 'execution'),
    ('Boiler room upgrade', 'Wuxi Textile Mill', 95000, 'settled'),
]
STAGES = ['quotation', 'pm_approval', 'finance_approval', 'execution', 'settled']


def actor(username):
    user = User.query.filter_by(username=username).one()
    return Actor(user.username, tuple(user.groups), '127.0.0.1')


def complete(instance_id, title, username, data):
    row = HumanTask.query.filter_by(instance_id=instance_id, state='ready', title=title).first()
    if row is None:
        ready = [t.title for t in HumanTask.query.filter_by(instance_id=instance_id, state='ready')]
        raise RuntimeError(f'demo order {instance_id}: "{title}" is not ready (ready: {ready})')
    commands.complete_task(row.id, data, actor(username))


def _approve(iid, title, username):
    complete(iid, title, username, {'decision': 'approve', 'comment': 'Agreed.'})


def run_order(title, customer, amount, stop):
    target = STAGES.index(stop)
    inst = commands.start('order_lifecycle', actor('liu.yang'), data={'title': title, 'customer': customer})
    iid = inst.id
    complete(iid, 'Order intake', 'liu.yang', {**INTAKE, 'title': title, 'customer': customer, 'amount': amount,
                                              'description': f'{title} for {customer}.'})
    if target == 0:
        return iid
    complete(iid, 'Prepare quotation', 'zhao.lei', {'quoted_amount': amount, 'validity_days': 30,
                                                    'quotation_notes': 'Prices valid for 30 days.'})
    if target == 1:
        return iid
    _approve(iid, 'Project manager approval', 'li.wei')
    if amount > 100000:
        _approve(iid, 'Department head approval', 'zhang.min')
    if target == 2:
        return iid
    if amount > 1000000:
        _approve(iid, 'Finance approval', 'wang.fang')
    complete(iid, 'Prepare contract', 'zhao.lei', {'contract_number': f'HT-2026-{iid:04d}', 'signed_date': '2026-11-02',
                                                   'payment_terms': 'milestone'})
    complete(iid, 'Plan milestones', 'li.wei', {'milestones': [{'name': 'Materials on site', 'planned_date': '2026-12-10'},
                                                               {'name': 'Works complete', 'planned_date': '2027-01-20'}]})
    if target == 3:
        return iid
    for cost in (amount * 0.45, amount * 0.3):
        complete(iid, 'Milestone check-in', 'sun.hao', {'actual_date': '2026-12-12', 'progress_percent': 100,
                                                        'actual_cost': round(cost, 2)})
    complete(iid, 'Customer acceptance', 'zhou.jing', {'accepted': True, 'acceptance_date': '2027-01-25'})
    complete(iid, 'Settlement', 'wang.fang', {'invoice_number': f'INV-2027-{iid:04d}', 'invoiced_amount': amount,
                                              'paid': True, 'paid_date': '2027-02-20'})
    return iid


def load_demo():
    lines = []
    for username, groups, name in USERS:
        if User.query.filter_by(username=username).first() is None:
            create_user(username, PASSWORD, groups, display_name=name)
    if ProcessInstance.query.filter_by(model_key='order_lifecycle').count() == 0:
        for title, customer, amount, stop in ORDERS:
            iid = run_order(title, customer, amount, stop)
            lines.append(f'demo order {iid}: {title} ({amount:,} CNY) -> {stop}')
    lines.append(f'Demo logins (password for all: {PASSWORD}):')
    lines += [f'  {username:<10} {", ".join(groups)}' for username, groups, _ in USERS]
    return lines
