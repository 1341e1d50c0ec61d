"""Stage, status and risk flags of an order, derived when orders are read from its lifecycle
instance: the instance's status and its ready (else latest) human task, the due times of ready
tasks, the order's milestones, and its budget against the actual cost. Nothing here is stored,
so it can never drift from the process."""
from datetime import date

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from engine.models import HumanTask, ProcessInstance, utcnow
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
    'revise_order': 'approval',
    'prepare_contract': 'contract',
    'plan_milestones': 'execution', 'milestone_checkin': 'execution',
    'customer_acceptance': 'acceptance', 'rectify_defects': 'acceptance',
    'settlement': 'settlement',
}
TITLE_STAGES = {
    'Order intake': 'intake', 'Prepare quotation': 'quotation',
    'Project manager approval': 'approval', 'Escalated project manager approval': 'approval',
    'Department head approval': 'approval', 'Escalated department head approval': 'approval',
    'Finance approval': 'approval', 'Escalated finance approval': 'approval', 'Revise order': 'approval',
    'Prepare contract': 'contract', 'Plan milestones': 'execution', 'Milestone check-in': 'execution',
    'Customer acceptance': 'acceptance', 'Rectify defects': 'acceptance', 'Settlement': 'settlement',
}
OPEN_INSTANCE = ('running', 'waiting', 'error')


def stage_of_task(name, title):
    return TASK_STAGES.get(name) or TITLE_STAGES.get(title)


def _withdrawn():
    return ProcessInstance.data['approval_status'].as_string() == 'withdrawn'


def _task_stage():
    """Stage of the instance's ready human task, else of its latest one."""
    task = aliased(HumanTask)
    by_task = case(TASK_STAGES, value=task.name, else_=case(TITLE_STAGES, value=task.title))
    return (select(by_task).where(task.instance_id == Order.instance_id)
            .order_by(case((task.state == 'ready', 0), else_=1), task.created_at.desc())
            .limit(1).correlate(Order).scalar_subquery())


def stage_expr():
    finished = ProcessInstance.status == 'completed'
    return case((ProcessInstance.status == 'terminated', literal('cancelled')),
                (and_(finished, _withdrawn()), literal('cancelled')),
                (finished, literal('closed')),
                else_=func.coalesce(_task_stage(), literal('intake')))


def status_expr():
    finished = ProcessInstance.status == 'completed'
    return case((ProcessInstance.status == 'terminated', literal('cancelled')),
                (and_(finished, _withdrawn()), literal('cancelled')),
                (finished, literal('closed')),
                (ProcessInstance.status == 'error', literal('error')),
                else_=literal('open'))


def overdue_expr(now=None, today=None):
    """An open order with a ready task (an approval, a check-in) past its due time, or a
    milestone past its planned end without an actual end."""
    now, today = now or utcnow(), today or date.today()
    task_late = exists().where(HumanTask.instance_id == Order.instance_id, HumanTask.state == 'ready',
                               HumanTask.due_at < now)
    milestone_late = exists().where(OrderMilestone.order_id == Order.id, OrderMilestone.actual_end.is_(None),
                                    OrderMilestone.planned_end < today)
    return and_(ProcessInstance.status.in_(OPEN_INSTANCE), or_(task_late, milestone_late))


def actual_cost_expr():
    """The larger of the cost booked on the order and the lifecycle's `total_actual_cost`."""
    from_process = ProcessInstance.data['total_actual_cost'].as_float()
    return case((from_process > Order.actual_cost, from_process), else_=Order.actual_cost)


def budget_expr():
    return func.coalesce(Order.budget, Order.amount)


def overrun_expr(percent=None):
    percent = settings.get('ORDER_OVERRUN_PERCENT') if percent is None else percent
    return actual_cost_expr() > budget_expr() * (1 + float(percent) / 100.0)
