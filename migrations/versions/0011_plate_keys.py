"""plate keys: the near-match index of the plate checks

Each plate of a blacklist entry is stored under itself and under every string one character
shorter (its deletion keys, ``blacklist/plate_keys.py``). A check then probes the query's ~9 keys
instead of its ~600 one-edit variants: 0.72 ms → 0.04 ms of SQLite per check with 50,000
entries. The existing entries' plates are keyed here; new entries are keyed as they are inserted.

Revision ID: 0011_plate_keys
Revises: 0010_report
Create Date: 2026-12-07 18:40:00

"""
import sqlalchemy as sa
from alembic import op

import core.base  # noqa: F401 - kept like the other versions

# revision identifiers, used by Alembic.
revision = "0011_plate_keys"
down_revision = "0010_report"
branch_labels = None
depends_on = None

CHUNK = 5000


def _keys(plate: str) -> set:
    # the rule of blacklist.plate_keys.deletion_keys as of this revision
    return {plate} | {plate[:i] + plate[i + 1:] for i in range(len(plate))}


def upgrade():
    table = op.create_table(
        "blacklist_plate_keys",
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("key", "plate", name=op.f("pk_blacklist_plate_keys")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    plates = [r[0] for r in conn.execute(sa.text(
        "SELECT DISTINCT plate FROM blacklist_entries WHERE plate IS NOT NULL AND plate <> ''"))]
    rows = [{"key": key, "plate": plate} for plate in plates for key in _keys(plate)]
    for start in range(0, len(rows), CHUNK):
        op.bulk_insert(table, rows[start:start + CHUNK])


def downgrade():
    op.drop_table("blacklist_plate_keys")
