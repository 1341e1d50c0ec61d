"""model drafts: working copies of process models saved without publishing, one per person and
model or shared by the model's editors (web/modeler/drafts.py)

Revision ID: 0005_model_drafts
Revises: 0004_order_projection
Create Date: 2026-11-22 01:29:37.519348

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_model_drafts'
down_revision = '0004_order_projection'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('model_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_key', sa.String(length=100), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=100), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_draft')),
    sa.UniqueConstraint('model_key', 'owner', name=op.f('uq_model_draft_model_key_owner'))
    )
    with op.batch_alter_table('model_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_draft_model_key'), ['model_key'], unique=False)


def downgrade():
    with op.batch_alter_table('model_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_draft_model_key'))
    op.drop_table('model_draft')
