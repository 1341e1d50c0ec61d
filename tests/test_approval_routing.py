"""The shipped order_approval model driven through the REST API by people in the right groups:
which levels an order needs, rejections and revisions, withdrawal, SLA escalation by firing the
boundary timers, and the audit trail."""
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.security import generate_password_hash

from tests.support.api import shipped_bundle

PM, DH, FIN = 'Project manager approval', 'Department head approval', 'Finance approval'
LANE = {PM: 'project_manager', DH: 'department_head', FIN: 'finance', 'Revise order': 'requester',
        'Escalated project manager approval': 'department_head',
        'Escalated department head approval': 'finance',
        'Escalated finance approval': 'executive'}


class Approval:
    def __init__(self, api):
        self.api = api
        r = api.deploy('order_approval', shipped_bundle('order_approval.bpmn'))
        assert r.status == 201, r
        self.pm = api.as_user('pat', ['project_manager'])
        self.dh = api.as_user('dana', ['department_head'])
        self.finance = api.as_user('fred', ['finance'])
        self.requester = api.as_user('rita', ['requester'])
        self.executive = api.as_user('ed', ['executive'])
        self.by_group = {'project_manager': self.pm, 'department_head': self.dh, 'finance': self.finance,
                         'requester': self.requester, 'executive': self.executive}

    def start(self, amount, order_type='standard', urgency='normal'):
        r = self.requester.start('order_approval', {
            'amount': amount, 'order_type': order_type, 'urgency': urgency, 'title': 'Pump station retrofit',
            'customer': 'Huadong Water', 'description': 'Replace two pumps and the control cabinet'})
        assert r.status == 201, r
        assert r.json['status'] == 'waiting', r.json['incidents']
        return r.json

    def task(self, inst, title):
        """The only ready task, which must be `title` in its lane."""
        assert [t['title'] for t in inst['ready_tasks']] == [title], [t['title'] for t in inst['ready_tasks']]
        task = inst['ready_tasks'][0]
        assert task['lane'] == LANE[title] and task['groups'] == [LANE[title]], task
        return task

    def act(self, inst, title, data, user=None):
        task = self.task(inst, title)
        user = user or self.by_group[LANE[title]]
        r = user.complete(task['id'], data)
        assert r.status == 200, r
        assert r.json['status'] != 'error', r.json['incidents']
        return r.json

    def approve(self, inst, title, comment=None, user=None):
        data = {'decision': 'approve', **({'comment': comment} if comment is not None else {})}
        return self.act(inst, title, data, user)

    def reject(self, inst, title, comment, user=None):
        return self.act(inst, title, {'decision': 'reject', 'comment': comment}, user)


@pytest.fixture
def flow(api, monkeypatch):
    # These users only use API tokens: a cheap password hash keeps the setup fast.
    monkeypatch.setattr('accounts.service.generate_password_hash',
                        lambda password: generate_password_hash(password, method='pbkdf2:sha256:1'))
    return Approval(api)


def levels(history):
    return [(h['round'], h['level'], h['decision'], h['decided_by'], h['escalated']) for h in history]


@pytest.mark.parametrize('amount, order_type, chain', [
    (50_000, 'standard', [PM]),
    (100_000, 'standard', [PM]),
    (100_001, 'standard', [PM, DH]),
    (1_000_000, 'standard', [PM, DH]),
    (1_000_001, 'standard', [PM, DH, FIN]),
    (5_000, 'emergency', [PM, DH]),
    (2_000_000, 'emergency', [PM, DH, FIN]),
    (5_000, 'framework', [PM, FIN]),
    (500_000, 'framework', [PM, DH, FIN]),
    (5_000, 'internal', [PM, DH, FIN]),
])
def test_the_amount_and_order_type_decide_the_approval_levels(flow, amount, order_type, chain):
    inst = flow.start(amount, order_type)
    assert inst['data']['approval_status'] == 'pending'
    for title in chain:
        task = flow.task(inst, title)
        outsider = flow.requester if title != PM else flow.finance
        refused = outsider.complete(task['id'], {'decision': 'approve'})
        assert refused.status == 403 and refused.json['error']['code'] == 'not_your_task', refused
        inst = flow.approve(inst, title, comment=f'{title} ok')

    assert inst['status'] == 'completed' and inst['ready_tasks'] == []
    data = inst['data']
    assert data['approval_status'] == 'approved'
    assert data['approved_amount'] == amount
    assert data['needs_department_head'] is (DH in chain)
    assert data['needs_finance'] is (FIN in chain)
    expected = {PM: ('pm', 'pat'), DH: ('dh', 'dana'), FIN: ('finance', 'fred')}
    for title, (prefix, user) in expected.items():
        if title in chain:
            assert (data[f'{prefix}_decision'], data[f'{prefix}_approver'], data[f'{prefix}_escalated']) == (
                'approve', user, False)
            assert data[f'{prefix}_comment'] == f'{title} ok'
        else:
            assert data[f'{prefix}_decision'] is None and data[f'{prefix}_approver'] is None
    assert [h['decided_by'] for h in data['approval_history']] == [expected[t][1] for t in chain]
    assert (data['decision'], data['comment']) == ('', '')


def test_a_rejection_needs_a_comment(flow):
    inst = flow.start(50_000)
    task = flow.task(inst, PM)
    for data, paths in (({'decision': 'reject'}, ['comment']),
                        ({'decision': 'reject', 'comment': '   '}, ['comment']),
                        ({'decision': 'reject', 'comment': ''}, ['comment']),
                        ({'decision': 'maybe'}, ['decision']),
                        ({}, ['decision'])):
        r = flow.pm.complete(task['id'], data)
        assert r.status == 422, (data, r)
        assert r.json['error']['code'] == 'invalid_form_data'
        assert sorted({d['path'] for d in r.json['error']['details']}) == paths, (data, r.json)
    # A field the form does not have (here: the outcome itself) is refused too.
    smuggled = flow.pm.complete(task['id'], {'decision': 'approve', 'approval_status': 'approved'})
    assert smuggled.status == 422, smuggled

    now = flow.api.instance(inst['id'])
    assert now['status'] == 'waiting' and now['data']['approval_status'] == 'pending'
    assert [t['id'] for t in now['ready_tasks']] == [task['id']]
    events = flow.api.get(f'/process-instances/{inst["id"]}/events').json
    assert [e['kind'] for e in events] == ['started']


def test_a_rejection_goes_to_the_requester_who_resubmits_and_the_chain_restarts(flow):
    inst = flow.start(500_000)
    inst = flow.approve(inst, PM)
    inst = flow.reject(inst, DH, 'Too expensive for one pump station')

    revise = flow.task(inst, 'Revise order')
    assert 'Too expensive for one pump station' in revise['instructions']
    assert inst['data']['dh_decision'] == 'reject' and inst['data']['approval_status'] == 'pending'
    refused = flow.pm.complete(revise['id'], {'revision_action': 'withdraw', 'revision_note': 'no'})
    assert refused.status == 403, refused
    incomplete = flow.requester.complete(revise['id'], {'revision_action': 'resubmit', 'revision_note': 'Cheaper'})
    assert incomplete.status == 422, incomplete
    assert sorted(d['path'] for d in incomplete.json['error']['details']) == ['amount', 'description']

    # Cheaper: only the project manager is needed in round 2.
    inst = flow.act(inst, 'Revise order', {'revision_action': 'resubmit', 'revision_note': 'One pump only',
                                           'amount': 80_000, 'description': 'Replace one pump'})
    assert inst['data']['approval_round'] == 2
    assert (inst['data']['pm_decision'], inst['data']['dh_decision']) == (None, None)
    inst = flow.approve(inst, PM)
    assert inst['status'] == 'completed'
    data = inst['data']
    assert (data['approval_status'], data['approved_amount'], data['description']) == (
        'approved', 80_000, 'Replace one pump')
    assert data['needs_department_head'] is False
    assert (data['dh_decision'], data['dh_approver']) == (None, None)
    assert levels(data['approval_history']) == [
        (1, 'project_manager', 'approve', 'pat', False),
        (1, 'department_head', 'reject', 'dana', False),
        (1, 'requester', 'resubmit', 'rita', False),
        (2, 'project_manager', 'approve', 'pat', False)]


def test_a_resubmission_with_a_higher_amount_adds_levels(flow):
    inst = flow.start(20_000)
    inst = flow.reject(inst, PM, 'The cabinet is missing from the scope')
    inst = flow.act(inst, 'Revise order', {'revision_action': 'resubmit', 'revision_note': 'Cabinet added',
                                           'amount': 1_500_000, 'description': 'Pumps and cabinet'})
    for title in (PM, DH, FIN):
        inst = flow.approve(inst, title)
    assert inst['status'] == 'completed'
    assert (inst['data']['approval_status'], inst['data']['approved_amount']) == ('approved', 1_500_000)
    assert [(h['round'], h['level']) for h in inst['data']['approval_history']] == [
        (1, 'project_manager'), (1, 'requester'), (2, 'project_manager'), (2, 'department_head'), (2, 'finance')]


def test_withdrawing_ends_the_approval(flow):
    inst = flow.start(2_000_000)
    inst = flow.approve(inst, PM)
    inst = flow.approve(inst, DH)
    inst = flow.reject(inst, FIN, 'Budget frozen this quarter')
    inst = flow.act(inst, 'Revise order', {'revision_action': 'withdraw', 'revision_note': 'Postponed'})
    assert inst['status'] == 'completed' and inst['ended_at'] and inst['ready_tasks'] == []
    data = inst['data']
    assert (data['approval_status'], data['withdrawn_by']) == ('withdrawn', 'rita')
    assert 'approved_amount' not in data
    assert levels(data['approval_history'])[-1] == (1, 'requester', 'withdraw', 'rita', False)


def parse(ts):
    return datetime.fromisoformat(ts)


def test_the_approval_sla_is_a_timer_two_days_ahead(flow):
    before = datetime.now(timezone.utc)
    inst = flow.start(50_000)
    after = datetime.now(timezone.utc)
    task = flow.task(inst, PM)
    assert len(inst['timers']) == 1, inst['timers']
    timer = inst['timers'][0]
    assert timer['name'] == 'Project manager SLA expired'
    due = parse(timer['due_at'])
    assert before + timedelta(days=2) - timedelta(seconds=1) <= due <= after + timedelta(days=2, seconds=1)
    assert parse(task['due_at']) == due
    assert parse(flow.pm.get('/tasks?scope=groups').json[0]['due_at']) == due


def test_firing_the_sla_timer_escalates_to_the_next_lane(flow):
    api = flow.api
    inst = flow.start(50_000)
    pm_task = flow.task(inst, PM)
    timer_id = inst['timers'][0]['task_id']
    fire = f'/process-instances/{inst["id"]}/timers/fire'

    refused = flow.pm.post(fire, {'task_id': timer_id})
    assert refused.status == 403 and refused.json['error']['code'] == 'admin_only', refused
    unknown = api.post(fire, {'task_id': str(uuid.uuid4())})
    assert unknown.status == 404 and unknown.json['error']['code'] == 'timer_not_found', unknown
    not_a_timer = api.post(fire, {'task_id': pm_task['id']})
    assert not_a_timer.status == 404, not_a_timer
    assert api.post('/process-instances/999999/timers/fire', {}).status == 404
    assert flow.api.instance(inst['id'])['timers'] == inst['timers']

    fired = api.post(fire, {'task_id': timer_id})
    assert fired.status == 200, fired
    inst = fired.json
    escalated = flow.task(inst, 'Escalated project manager approval')
    assert escalated['groups'] == ['department_head']
    assert inst['timers'] == []

    again = api.post(fire, {'task_id': timer_id})
    assert again.status == 409 and again.json['error']['code'] == 'timer_not_armed', again
    nothing_armed = api.post(fire, {})
    assert nothing_armed.status == 409, nothing_armed
    late = flow.pm.complete(pm_task['id'], {'decision': 'approve'})
    assert late.status == 409 and late.json['error']['code'] == 'task_not_ready', late
    assert flow.pm.complete(escalated['id'], {'decision': 'approve'}).status == 403

    inst = flow.approve(inst, 'Escalated project manager approval')
    assert inst['status'] == 'completed'
    data = inst['data']
    assert (data['approval_status'], data['pm_decision'], data['pm_approver'], data['pm_escalated']) == (
        'approved', 'approve', 'dana', True)
    fired_events = [e for e in api.get(f'/process-instances/{inst["id"]}/events').json if e['kind'] == 'timer_fired']
    assert [(e['actor'], e['task_name'], e['detail']['task_id']) for e in fired_events] == [
        ('alice', 'Project manager SLA expired', timer_id)]


def test_each_level_escalates_one_lane_down(flow):
    api = flow.api
    inst = flow.start(2_000_000)
    inst = flow.approve(inst, PM)
    assert [t['name'] for t in inst['timers']] == ['Department head SLA expired']
    inst = api.post(f'/process-instances/{inst["id"]}/timers/fire', {}).json
    inst = flow.approve(inst, 'Escalated department head approval')  # by finance, in the DH's place
    assert [t['name'] for t in inst['timers']] == ['Finance SLA expired']
    inst = api.post(f'/process-instances/{inst["id"]}/timers/fire',
                    {'task_id': inst['timers'][0]['task_id']}).json
    inst = flow.approve(inst, 'Escalated finance approval')
    assert inst['status'] == 'completed'
    data = inst['data']
    assert data['approval_status'] == 'approved'
    assert (data['dh_approver'], data['dh_escalated']) == ('fred', True)
    assert (data['finance_approver'], data['finance_escalated']) == ('ed', True)
    assert levels(data['approval_history']) == [
        (1, 'project_manager', 'approve', 'pat', False),
        (1, 'department_head', 'approve', 'fred', True),
        (1, 'finance', 'approve', 'ed', True)]


def test_the_audit_trail_records_who_did_what_from_where(flow):
    api = flow.api
    inst = flow.start(300_000)
    inst = flow.approve(inst, PM, comment='Fine')
    inst = flow.approve(inst, DH)
    events = api.get(f'/process-instances/{inst["id"]}/events')
    assert events.status == 200, events
    rows = events.json
    assert [(e['kind'], e['actor'], e['task_name']) for e in rows] == [
        ('started', 'rita', None),
        ('task_completed', 'pat', PM),
        ('task_completed', 'dana', DH),
        ('completed', 'dana', None)]
    for e in rows:
        assert e['source_ip'] == '127.0.0.1'
        assert parse(e['at']).tzinfo is not None
    pm_event = rows[1]
    assert pm_event['detail']['as_admin'] is False
    assert pm_event['detail']['task'] == 'pm_approval'
    assert sorted(pm_event['detail']['fields']) == ['comment', 'decision']
    assert [parse(e['at']) for e in rows] == sorted(parse(e['at']) for e in rows)
    assert flow.pm.get('/process-instances/999999/events').status == 404
