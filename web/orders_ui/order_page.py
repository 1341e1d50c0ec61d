"""What the order page shows besides orders.queries.order_view: the instance's diagram, who holds
its tasks, a stage timeline made from the audit events, milestone lateness with the Gantt chart, and
the cost deviation, overall and per category."""
import json
from datetime import date
from decimal import Decimal

from engine import queries as engine_queries
from engine.errors import NotFound
from engine.inbox import diagram_files, diagram_marks, now, open_tasks, timeline
from orders import costs as order_costs, settings, stages
from ..auth.users import display_names
from . import gantt


def instance_of(view):
    try:
        return engine_queries.get_instance(view['instance_id'])
    except NotFound:
        return None


def stage_timeline(events, current_stage):
    """[{stage, first, last, actors, current}] in the order the stages were worked on."""
    steps = {}
    for e in events:
        if e.kind == 'started':
            stage = 'intake'
        elif e.kind == 'task_completed':
            stage = stages.stage_of_task((e.detail or {}).get('task'), e.task_name)
        else:
            continue
        if stage is None:
            continue
        step = steps.setdefault(stage, {'stage': stage, 'first': e.at, 'last': e.at, 'actors': [],
                                        'current': False})
        step['last'] = e.at
        if e.actor and e.actor not in step['actors']:
            step['actors'].append(e.actor)
    if current_stage in steps:
        steps[current_stage]['current'] = True
    elif current_stage:
        steps[current_stage] = {'stage': current_stage, 'first': None, 'last': None, 'actors': [], 'current': True}
    return sorted(steps.values(), key=lambda s: stages.STAGES.index(s['stage']))


def costs(view):
    budget = Decimal(str(view['budget'] or 0))
    actual = Decimal(str(view['actual_cost'] or 0))
    deviation = actual - budget
    percent = float(deviation / budget * 100) if budget else None
    return {'budget': view['budget'], 'actual': view['actual_cost'], 'deviation': deviation,
            'percent': percent, 'limit': settings.get('ORDER_OVERRUN_PERCENT'), 'over': view['cost_overrun']}


def milestones(view, today=None):
    today = today or date.today()
    out = []
    for m in view['milestones']:
        late = (m['actual_end'] is None and m['planned_end'] < today) or \
               (m['actual_end'] is not None and m['actual_end'] > m['planned_end'])
        out.append({**m, 'late': late})
    return out


def context(view, inst):
    """Everything the template needs besides the order view."""
    events = timeline(inst.id) if inst is not None else []
    tasks = open_tasks(inst.id) if inst is not None else []
    files, marks = [], {}
    if inst is not None:
        marks = diagram_marks(inst)
        files = [name for name, _content in diagram_files(inst, marks['current']['ids'])]
    people = {view['owner'], view['created_by']} | {t.assignee for t in tasks} | {e.actor for e in events}
    late = milestones(view)
    start = view['planned_start'] or (view['created_at'].date() if view['created_at'] else None)
    return {'inst': inst, 'events': events, 'tasks': tasks, 'files': files, 'marks': json.dumps(marks),
            'steps': stage_timeline(events, view['stage']), 'costs': costs(view),
            'cost_categories': order_costs.by_category(view['id']),
            'milestones': late, 'gantt': gantt.layout(late, start), 'names': display_names(people), 'now': now()}


def cost_form(user, entered=None, errors=None):
    """The booking form's state for this user, or None when they may not book costs."""
    groups = user.actor().groups
    kinds = [k for k in order_costs.KINDS if order_costs.may_book(groups, k)]
    if not kinds:
        return None
    entered = entered or {'kind': 'actual' if 'actual' in kinds else kinds[0]}
    return {'kinds': kinds, 'categories': order_costs.CATEGORIES, 'entered': entered, 'errors': errors or {}}
