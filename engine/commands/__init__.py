"""Every change to a process instance, through one locked path (core.run_command)."""
from ..projection import find_task
from .core import (Actor, LoopTooDeep, NoChange, advance, audit, flat_correlation, load_workflow, lock_instance,
                   open_incidents, record_incident, run_command, specs_for, start)
from .events import (deliver_message, finish_service_task, fire_timers, retry_incident, run_due_timers,
                     terminate)
from .human import check_may_act, claim, complete_task, may_act, task_row, unclaim

__all__ = ['Actor', 'LoopTooDeep', 'NoChange', 'advance', 'audit', 'flat_correlation', 'load_workflow',
           'lock_instance', 'open_incidents', 'record_incident', 'run_command', 'specs_for', 'start',
           'deliver_message', 'finish_service_task', 'fire_timers', 'retry_incident', 'run_due_timers', 'terminate',
           'check_may_act', 'claim', 'complete_task', 'may_act', 'task_row', 'unclaim', 'find_task']
