"""Near matches of a plate — the plates one character off (substitution, insertion or deletion,
within the characters plates use at that position, domain §3.5) — found through deletion keys.

Every plate of an entry is stored under itself and under each string one character shorter
(:func:`deletion_keys`, table ``blacklist_plate_keys``). Two plates one edit apart always share
a key: a substitution at ``i`` leaves both equal once ``i`` is deleted, an insertion is undone by
one deletion. So a check looks up the query's few keys (about 9) instead of its ~600 one-edit
variants, and keeps the candidates :func:`is_one_off` confirms (a shared key also joins plates
two edits apart, such as swapped neighbours).

Keys depend on the plate alone: they are added when an entry is inserted through the ORM (the
``after_insert`` listener below) or in bulk (:func:`add_plates`), and never removed.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from blacklist.models import BlacklistEntry, PlateKey
from core import plates

_FIRST = frozenset(plates.PROVINCES | {plates.EMBASSY_CHAR})
_SECOND = frozenset(plates.AUTHORITY_LETTERS | set("0123456789"))
_REST = frozenset(plates.SERIAL_CHARS | set(plates.SUFFIX_KINDS))


def alphabet(position: int) -> frozenset:
    """The characters a plate may have at ``position`` (province, authority, then serial)."""
    return _FIRST if position == 0 else _SECOND if position == 1 else _REST


def deletion_keys(plate: str) -> set[str]:
    """``plate`` and every string one deletion shorter (pure)."""
    return {plate} | {plate[:i] + plate[i + 1:] for i in range(len(plate))}


def is_one_off(query: str, plate: str) -> bool:
    """Is ``plate`` one substitution, insertion or deletion away from ``query``, with a
    substituted or inserted character that plates may have at its position? (pure)"""
    if not plate or plate == query:
        return False
    if len(plate) == len(query):
        diff = [i for i, (a, b) in enumerate(zip(query, plate)) if a != b]
        return len(diff) == 1 and plate[diff[0]] in alphabet(diff[0])
    if len(plate) == len(query) - 1:
        return any(query[:i] + query[i + 1:] == plate for i in range(len(query)))
    if len(plate) == len(query) + 1:
        return any(plate[:i] + plate[i + 1:] == query and plate[i] in alphabet(i)
                   for i in range(len(plate)))
    return False


def key_rows(values: Iterable[str]) -> list[dict]:
    """The ``blacklist_plate_keys`` rows of the plates ``values`` (pure)."""
    return [{"key": key, "plate": plate} for plate in set(values) if plate
            for key in deletion_keys(plate)]


def add_plates(conn, values: Iterable[str]) -> None:
    """Store the keys of the plates ``values`` on ``conn`` (already stored ones are kept)."""
    rows = key_rows(values)
    if rows:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(insert(PlateKey).on_conflict_do_nothing(), rows)


@event.listens_for(BlacklistEntry, "after_insert")
def _keys_of_new_entry(_mapper, connection, entry: BlacklistEntry) -> None:
    if entry.plate:
        add_plates(connection, [entry.plate])
