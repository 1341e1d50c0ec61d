"""Names that come from the shipped process models (task names, lanes) in the user's language.
BPMN names have no second language, so the catalog carries these; a name it does not know (a
model deployed later) is shown as written in the diagram."""
from flask_babel import gettext, lazy_gettext as _l

# Task names of bpmn/order_lifecycle.bpmn, bpmn/order_approval.bpmn and bpmn/change_order.bpmn,
# listed for extraction.
TASK_TITLES = (
    _l('Order intake'), _l('Prepare quotation'), _l('Project manager approval'), _l('Department head approval'),
    _l('Finance approval'), _l('Escalated project manager approval'), _l('Escalated department head approval'),
    _l('Escalated finance approval'), _l('Revise order'), _l('Prepare contract'), _l('Plan milestones'),
    _l('Milestone check-in'), _l('Customer acceptance'), _l('Rectify defects'), _l('Settlement'),
    _l('Approve change'), _l("Chase the customer's signature"),
)
LANES = {
    'requester': _l('Requester'), 'sales': _l('Sales'), 'project_manager': _l('Project manager'),
    'department_head': _l('Department head'), 'finance': _l('Finance'), 'executive': _l('Executive'),
    'site_engineer': _l('Site engineer'), 'customer_service': _l('Customer service'), 'admin': _l('Administrator'),
}


def task_title(name):
    return gettext(name) if name else name


def lane_name(name):
    return str(LANES[name]) if name in LANES else name


def register(app):
    app.jinja_env.filters.update(task_title=task_title, lane_name=lane_name)
