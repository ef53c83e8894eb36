"""perf: a covering index of the case map's points (lat, lng)

The case map groups every case in the view box into grid cells in SQL; with this index the
database reads the narrow (lat, lng) index in the box's latitude range instead of the wide case
rows (about 1.6x faster on SQLite for the whole city; chosen from the query plan).

Revision ID: 0008_perf
Revises: 0007_assessment
Create Date: 2026-11-23 19:05:00

"""
from alembic import op

import core.base  # noqa: F401 - kept like the other versions

# revision identifiers, used by Alembic.
revision = "0008_perf"
down_revision = "0007_assessment"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_lat_lng", "cases", ["lat", "lng"], unique=False)


def downgrade():
    op.drop_index("ix_cases_lat_lng", table_name="cases")
