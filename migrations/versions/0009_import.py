"""import: an index of the cases' origin reference

The case import looks up, for each batch of rows, which of its references (``import:<ref>``)
are already known, so that a re-run skips them; with this index that is an index look-up per
batch instead of a scan of every case.

Revision ID: 0009_import
Revises: 0008_perf
Create Date: 2026-12-07 16:23:30

"""
from alembic import op

import core.base  # noqa: F401 - kept like the other versions

# revision identifiers, used by Alembic.
revision = "0009_import"
down_revision = "0008_perf"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_origin_ref", "cases", ["origin_ref"], unique=False)


def downgrade():
    op.drop_index("ix_cases_origin_ref", table_name="cases")
