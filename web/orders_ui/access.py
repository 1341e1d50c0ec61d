"""Who sees which orders on the pages. Staff groups see every order; anyone else sees the orders
they own or created, or whose process they take part in; the intake form is for the groups that
take orders in."""
from engine.inbox import may_view_instance
from orders import changes

STAFF = ('sales', 'project_manager', 'department_head', 'finance', 'executive', 'customer_service')
INTAKE = ('requester', 'sales', 'customer_service')
# Staff who add documents to any order they see (executives only read).
ATTACH = ('sales', 'project_manager', 'department_head', 'finance', 'customer_service')


def sees_all(user):
    return user.in_any(*STAFF)


def may_create(user):
    return user.in_any(*INTAKE)


def may_request_change(user, view):
    """Change requests: the order's owner and creator, and the groups orders.changes names."""
    return changes.may_request(user.actor(), view['owner'], view['created_by'])


def may_view(user, view, inst):
    if sees_all(user) or user.username in (view['owner'], view['created_by']):
        return True
    return inst is not None and may_view_instance(user.actor(), inst)


def may_attach(user, view, inst):
    """Files are added by the people working on the order: its owner and creator, the staff who
    run orders, and whoever takes part in its process."""
    if user.in_any(*ATTACH) or user.username in (view['owner'], view['created_by']):
        return True
    return inst is not None and may_view_instance(user.actor(), inst)
