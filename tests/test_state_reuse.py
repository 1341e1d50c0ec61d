"""A command gets back the workflow object the previous command on its instance saved, instead of
decoding the same text again, but only that exact state: a command that changed the workflow and
then failed leaves nothing behind for the next one."""
import os

from tests.conftest import DATA
from tests.support.api import read_files
from tests.test_service_tasks import clean_queue, outbox_rows

CHAIN = os.path.join(DATA, 'service_chain', 'chain_fork.bpmn')


def _started(api, app):
    clean_queue(app)
    assert api.deploy('chain_fork', read_files(CHAIN)).status == 201
    inst = api.start('chain_fork', {'erp_url': 'http://127.0.0.1:9'}).json
    [row] = outbox_rows(app)
    return inst['id'], row['task_id']


def test_the_next_command_gets_the_saved_workflow_back_and_a_failed_one_leaves_nothing(api, app):
    from engine.commands import Actor, NoChange, run_command
    from engine.errors import Conflict
    from engine.projection import find_task
    iid, task_id = _started(api, app)
    actor = Actor('alice', ('admin',))
    seen = []

    def look(inst, wf):
        seen.append((wf, dict(find_task(wf, task_id).data)))
        raise NoChange()

    def change_then_refuse(inst, wf):
        seen.append((wf, None))
        find_task(wf, task_id).data['probe'] = 'changed by a command that failed'
        raise Conflict('refused after changing the workflow', code='test_refusal')

    def save(inst, wf):
        seen.append((wf, None))
        find_task(wf, task_id).data['note'] = 'saved'

    with app.app_context():
        run_command(iid, save, actor)
        run_command(iid, look, actor)
        assert seen[1][0] is seen[0][0], 'the workflow saved by the first command came back'
        assert seen[1][1]['note'] == 'saved'
        try:
            run_command(iid, change_then_refuse, actor)
        except Conflict:
            pass
        else:
            raise AssertionError('the command was not refused')
        run_command(iid, look, actor)
    assert 'probe' not in seen[3][1], 'the next command saw the failed one\'s change'
    assert seen[3][0] is not seen[2][0]
    assert seen[3][1]['note'] == 'saved'
