"""task drafts and inbox indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:49:40.857908

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # Saved task-form drafts, one per user and task (web/inbox/drafts.py). A database whose
    # initial schema was generated while this model was already imported may have the table.
    if 'task_draft' not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table('task_draft',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('username', sa.String(length=100), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_task_draft_task_id_human_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('task_id', 'username', name=op.f('pk_task_draft'))
        )
    # The inbox's "all" tab and its count: ready tasks oldest first, without reading the
    # completed ones (90% of human_task).
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_ready_created', ['created_at'], unique=False,
                              postgresql_where=sa.text("state = 'ready'"), sqlite_where=sa.text("state = 'ready'"))


def downgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_ready_created')
    op.drop_table('task_draft')
