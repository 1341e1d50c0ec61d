"""Demo users for every role, customers, and a few orders at different stages: orders are created
through the order service (numbered, searchable) and moved by the engine's own commands exactly
as people would move them."""
from datetime import date

from accounts.models import User
from accounts.service import create_user
from engine import commands
from engine.commands import Actor
from engine.models import HumanTask
from orders import changes, customers, service, signatures
from orders.models import Customer, Order
from orders.validation import CustomerIn, OrderIn

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
CUSTOMERS = [
    ('SZWW', '苏州水务集团 Suzhou Water Works', '91320500MA1XYZ1234'),
    ('HZLO', 'Hangzhou Lakeside Offices', None),
    ('JSGS', '江苏电网服务 Jiangsu Grid Services', '91320000MA2ABC5678'),
    ('NBPL', 'Ningbo Port Logistics', None),
    ('WXTM', 'Wuxi Textile Mill', None),
]
ORDERS = [
    # title, customer code, work type, amount, how far to take it
    ('Pump station retrofit', 'SZWW', 'installation', 460000, 'quotation'),
    ('Office fit-out, 3rd floor', 'HZLO', 'construction', 80000, 'pm_approval'),
    ('Substation expansion', 'JSGS', 'construction', 2400000, 'finance_approval'),
    ('Warehouse roof repair', 'NBPL', 'maintenance', 150000, 'execution'),
    ('Boiler room upgrade', 'WXTM', 'installation', 95000, 'settled'),
    ('Cooling tower overhaul', 'HZLO', 'maintenance', 120000, 'signature'),
]
STAGES = ['quotation', 'pm_approval', 'finance_approval', 'signature', 'execution', 'settled']


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


def _order(title, code, work_type, amount):
    items = [{'description': item['description'], 'quantity': item['quantity'], 'unit': item['unit'],
              'unit_price': round(item['unit_price'] * amount / 460000, 2)} for item in INTAKE['line_items']]
    values = OrderIn().load({'title': title, 'customer': code, 'type': work_type, 'amount': amount,
                             'description': f'{title}.', 'requested_date': INTAKE['requested_date'],
                             'line_items': items})
    order, _created = service.create_order(values, actor('liu.yang'), source='demo')
    return order


def _change(number, iid, amount):
    """A change request in execution, approved by the project manager: the order's revision 2."""
    values = changes.ChangeIn().load({'scope': 'Replace the gutters along the north side as well.',
                                      'reason': 'Found corroded during the roof survey.',
                                      'amount_delta': round(amount * 0.1, 2), 'new_planned_end': '2027-02-15'})
    changes.file_change(number, values, actor('zhao.lei'))
    _approve(iid, 'Approve change', 'li.wei')


def run_order(title, code, work_type, amount, stop):
    """An order entered whole through the order service: its lifecycle starts at the quotation."""
    target = STAGES.index(stop)
    order = _order(title, code, work_type, amount)
    iid = order.instance_id
    if target == 0:
        return order.number
    complete(iid, 'Prepare quotation', 'zhao.lei', {'quoted_amount': amount, 'validity_days': 30,
                                                    'quotation_notes': 'Prices valid for 30 days.'})
    if target == 1:
        return order.number
    _approve(iid, 'Project manager approval', 'li.wei')
    if amount > 100000:
        _approve(iid, 'Department head approval', 'zhang.min')
    if target == 2:
        return order.number
    if amount > 1000000:
        _approve(iid, 'Finance approval', 'wang.fang')
    complete(iid, 'Prepare contract', 'zhao.lei', {'contract_number': f'HT-2026-{iid:04d}', 'payment_terms': 'milestone'})
    if stop == 'signature':
        return order.number
    signatures.record(order.number, {'signed_date': date(2026, 11, 2), 'signed_by': 'Purchasing manager'},
                      actor('zhao.lei'))
    complete(iid, 'Plan milestones', 'li.wei', {'milestones': [{'name': 'Materials on site', 'planned_date': '2026-12-10'},
                                                               {'name': 'Works complete', 'planned_date': '2027-01-20'}]})
    if stop == 'execution':
        _change(order.number, iid, amount)
        return order.number
    for cost in (amount * 0.45, amount * 0.3):
        complete(iid, 'Milestone check-in', 'sun.hao', {'actual_date': '2026-12-12', 'progress_percent': 100,
                                                        'actual_cost': round(cost, 2)})
    complete(iid, 'Customer acceptance', 'zhou.jing', {'accepted': True, 'acceptance_date': '2027-01-25'})
    complete(iid, 'Settlement', 'wang.fang', {'invoice_number': f'INV-2027-{iid:04d}', 'invoiced_amount': amount,
                                              'paid': True, 'paid_date': '2027-02-20'})
    return order.number


def load_demo():
    lines = []
    for username, groups, name in USERS:
        if User.query.filter_by(username=username).first() is None:
            create_user(username, PASSWORD, groups, display_name=name)
    for code, name, tax_number in CUSTOMERS:
        if Customer.query.filter_by(code=code).first() is None:
            customers.create_customer(CustomerIn().load({'code': code, 'name': name, 'tax_number': tax_number}),
                                      actor('admin'))
    if Order.query.count() == 0:
        for title, code, work_type, amount, stop in ORDERS:
            number = run_order(title, code, work_type, amount, stop)
            lines.append(f'demo order {number}: {title} ({amount:,} CNY) -> {stop}')
    lines.append(f'Demo logins (password for all: {PASSWORD}):')
    lines += [f'  {username:<10} {", ".join(groups)}' for username, groups, _ in USERS]
    return lines
