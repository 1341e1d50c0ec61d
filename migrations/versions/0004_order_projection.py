"""order projection: each order keeps its lifecycle's stage, status, earliest due time of its
ready tasks and actual cost (written with every change to the instance), so lists and boards
filter on indexed columns

Revision ID: 0004_order_projection
Revises: 0003_orders
Create Date: 2026-11-22 01:15:09.376243

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_order_projection'
down_revision = '0003_orders'
branch_labels = None
depends_on = None

# BPMN ids of the order_lifecycle / order_approval human tasks and the stage each stands for
# (orders/stages.py TASK_STAGES at the time of this migration), for filling in existing orders.
TASK_STAGES = {
    'order_intake': 'intake', 'prepare_quotation': 'quotation', 'pm_approval': 'approval',
    'escalated_pm_approval': 'approval', 'dh_approval': 'approval', 'escalated_dh_approval': 'approval',
    'finance_approval': 'approval', 'escalated_finance_approval': 'approval', 'revise_order': 'approval',
    'prepare_contract': 'contract', 'plan_milestones': 'execution', 'milestone_checkin': 'execution',
    'customer_acceptance': 'acceptance', 'rectify_defects': 'acceptance', 'settlement': 'settlement',
}


def upgrade():
    with op.batch_alter_table('eng_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=20), nullable=False, server_default='intake'))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='open'))
        batch_op.add_column(sa.Column('next_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('process_actual_cost', sa.Numeric(precision=16, scale=2), nullable=True))
        batch_op.create_index(batch_op.f('ix_eng_order_next_due_at'), ['next_due_at'], unique=False)
        batch_op.create_index('ix_eng_order_stage_created', ['stage', 'created_at'], unique=False)
        batch_op.create_index('ix_eng_order_status_created', ['status', 'created_at'], unique=False)

    # Existing orders: derive the columns once from their instances, as orders/projection.py does.
    cases = ' '.join(f"WHEN '{name}' THEN '{stage}'" for name, stage in TASK_STAGES.items())
    op.execute(f"""
        UPDATE eng_order SET
            status = (SELECT CASE WHEN pi.status = 'terminated' THEN 'cancelled'
                                  WHEN pi.status = 'completed' THEN 'closed'
                                  WHEN pi.status = 'error' THEN 'error' ELSE 'open' END
                      FROM process_instance pi WHERE pi.id = eng_order.instance_id),
            stage = COALESCE((SELECT CASE ht.name {cases} END FROM human_task ht
                              WHERE ht.instance_id = eng_order.instance_id
                              ORDER BY CASE WHEN ht.state = 'ready' THEN 0 ELSE 1 END, ht.created_at DESC
                              LIMIT 1), 'intake'),
            next_due_at = (SELECT MIN(ht.due_at) FROM human_task ht
                           WHERE ht.instance_id = eng_order.instance_id AND ht.state = 'ready')""")
    op.execute("UPDATE eng_order SET stage = status WHERE status IN ('closed', 'cancelled')")


def downgrade():
    with op.batch_alter_table('eng_order', schema=None) as batch_op:
        batch_op.drop_index('ix_eng_order_status_created')
        batch_op.drop_index('ix_eng_order_stage_created')
        batch_op.drop_index(batch_op.f('ix_eng_order_next_due_at'))
        batch_op.drop_column('process_actual_cost')
        batch_op.drop_column('next_due_at')
        batch_op.drop_column('status')
        batch_op.drop_column('stage')
