"""Translated names of stages, statuses, work types and flags (one place for every template)."""
from flask_babel import lazy_gettext as _l

STAGE_NAMES = {'intake': _l('Intake'), 'quotation': _l('Quotation'), 'approval': _l('Approval'),
               'contract': _l('Contract'), 'execution': _l('Execution'), 'acceptance': _l('Acceptance'),
               'settlement': _l('Settlement'), 'closed': _l('Closed'), 'cancelled': _l('Cancelled')}
STATUS_NAMES = {'open': _l('Open'), 'error': _l('Needs attention'), 'closed': _l('Closed'),
                'cancelled': _l('Cancelled')}
TYPE_NAMES = {'design': _l('Design'), 'procurement': _l('Procurement'), 'construction': _l('Construction'),
              'installation': _l('Installation'), 'maintenance': _l('Maintenance'), 'consulting': _l('Consulting'),
              'other': _l('Other')}
ORDER_TYPE_NAMES = {'standard': _l('Standard'), 'framework': _l('Framework'), 'emergency': _l('Emergency')}
PRIORITY_NAMES = {'low': _l('Low'), 'normal': _l('Normal'), 'high': _l('High'), 'critical': _l('Critical')}
URGENCY_NAMES = {'normal': _l('Normal'), 'urgent': _l('Urgent')}
COST_CATEGORY_NAMES = {'labour': _l('Labour'), 'material': _l('Material'), 'equipment': _l('Equipment'),
                       'subcontract': _l('Subcontracting'), 'transport': _l('Transport'), 'other': _l('Other costs')}
COST_KIND_NAMES = {'budget': _l('Budget'), 'actual': _l('Actual cost')}
IMPORT_STATUS_NAMES = {'checked': _l('Checked, waiting for you to start it'), 'queued': _l('Waiting for a worker'),
                       'running': _l('Importing'), 'done': _l('Imported'), 'failed': _l('Stopped by an error'),
                       'discarded': _l('Discarded')}
FLAG_NAMES = {'overdue': _l('Overdue'), 'cost_overrun': _l('Cost overrun')}
SORT_NAMES = {'-created_at': _l('Newest first'), 'created_at': _l('Oldest first'), 'number': _l('Number'),
              '-number': _l('Number, descending'), '-amount': _l('Largest amount'), 'amount': _l('Smallest amount'),
              'customer': _l('Customer'), 'title': _l('Title'), 'requested_date': _l('Requested date, soonest'),
              '-requested_date': _l('Requested date, latest'), '-updated_at': _l('Recently changed')}


def template_names():
    return dict(stage_names=STAGE_NAMES, status_names=STATUS_NAMES, type_names=TYPE_NAMES,
                order_type_names=ORDER_TYPE_NAMES, priority_names=PRIORITY_NAMES, urgency_names=URGENCY_NAMES,
                flag_names=FLAG_NAMES, sort_names=SORT_NAMES, cost_category_names=COST_CATEGORY_NAMES,
                cost_kind_names=COST_KIND_NAMES, import_status_names=IMPORT_STATUS_NAMES)
