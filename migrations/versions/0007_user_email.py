"""users' e-mail addresses: the email.send operator mails a user named as a recipient there, in the
user's language

Revision ID: 0007_user_email
Revises: 0006_changes_attachments_costs
Create Date: 2026-11-22 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_user_email'
down_revision = '0006_changes_attachments_costs'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_app_user_email'), ['email'], unique=False)


def downgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_email'))
        batch_op.drop_column('email')
