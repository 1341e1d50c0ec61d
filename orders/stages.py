"""Stages and statuses of an order (projection.py derives them from its lifecycle instance), and
its risk flags, computed when orders are read: overdue (a ready task past its due time, or a
milestone past its planned end) and cost overrun (actual cost over budget by more than
ORDER_OVERRUN_PERCENT)."""
from datetime import date

from sqlalchemy import and_, case, func, or_, select

from engine.models import utcnow
from . import settings
from .models import Order, OrderMilestone

LIFECYCLE = 'order_lifecycle'
STAGES = ('intake', 'quotation', 'approval', 'contract', 'execution', 'acceptance', 'settlement', 'closed',
          'cancelled')
STATUSES = ('open', 'error', 'closed', 'cancelled')

# Human tasks of order_lifecycle (and the order_approval it calls) by BPMN id, and by title for
# diagrams that renamed an id but kept the task's name.
TASK_STAGES = {
    'order_intake': 'intake',
    'prepare_quotation': 'quotation',
    'pm_approval': 'approval', 'escalated_pm_approval': 'approval',
    'dh_approval': 'approval', 'escalated_dh_approval': 'approval',
    'finance_approval': 'approval', 'escalated_finance_approval': 'approval',
    'revise_order': 'approval', 'approve_change': 'approval',
    'prepare_contract': 'contract', 'chase_signature': 'contract',
    'plan_milestones': 'execution', 'milestone_checkin': 'execution',
    'customer_acceptance': 'acceptance', 'rectify_defects': 'acceptance',
    'settlement': 'settlement',
}
TITLE_STAGES = {
    'Order intake': 'intake', 'Prepare quotation': 'quotation',
    'Project manager approval': 'approval', 'Escalated project manager approval': 'approval',
    'Department head approval': 'approval', 'Escalated department head approval': 'approval',
    'Finance approval': 'approval', 'Escalated finance approval': 'approval', 'Revise order': 'approval',
    'Approve change': 'approval',
    'Prepare contract': 'contract', "Chase the customer's signature": 'contract', 'Plan milestones': 'execution', 'Milestone check-in': 'execution',
    'Customer acceptance': 'acceptance', 'Rectify defects': 'acceptance', 'Settlement': 'settlement',
}
OPEN_STATUSES = ('open', 'error')
# Stages in which an order takes change requests (orders/changes.py).
CHANGE_STAGES = ('execution',)


def stage_of_task(name, title):
    return TASK_STAGES.get(name) or TITLE_STAGES.get(title)


def furthest(tasks):
    """The stage of the task furthest along the lifecycle, or None: the lifecycle's main path
    only moves forward, and the approval of a change request (an `approval` task while the order
    is in execution) runs beside it, so the furthest stage is the main path's."""
    found = [s for s in (stage_of_task(t.name, t.title) for t in tasks) if s is not None]
    return max(found, key=STAGES.index) if found else None


def _late_milestones(today):
    return select(OrderMilestone.order_id).where(OrderMilestone.actual_end.is_(None),
                                                 OrderMilestone.planned_end < today)


def overdue_expr(now=None, today=None):
    """An open order with a ready task (an approval, a check-in) past its due time, or a
    milestone past its planned end without an actual end. Usable as a column and as a filter:
    the task part reads the order's next_due_at, the milestone part is one semi-join."""
    now, today = now or utcnow(), today or date.today()
    return and_(Order.status.in_(OPEN_STATUSES),
                or_(and_(Order.next_due_at.isnot(None), Order.next_due_at < now),  # never NULL: negatable
                    Order.id.in_(_late_milestones(today))))


def actual_cost_expr():
    """The larger of the cost booked on the order and the lifecycle's `total_actual_cost`."""
    return case((Order.process_actual_cost > Order.actual_cost, Order.process_actual_cost), else_=Order.actual_cost)


def budget_expr():
    return func.coalesce(Order.budget, Order.amount)


def overrun_expr(percent=None):
    percent = settings.get('ORDER_OVERRUN_PERCENT') if percent is None else percent
    return actual_cost_expr() > budget_expr() * (1 + float(percent) / 100.0)
