"""The near-match index of the plate checks (blacklist/plate_keys.py): the deletion-key rule
against a brute-force oracle, the keys kept for new entries, and the checks' near matches."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import func, select

from blacklist import check, plate_keys
from blacklist.models import PlateKey
from core import plates
from tests.blacklist_support import listed_entry
from tests.test_blacklist_api import token_for


def one_off_variants(plate: str) -> set[str]:
    """The oracle: every string one substitution, insertion or deletion from ``plate``, with
    the characters plates may have at that position, generated one by one."""
    out = {plate[:i] + plate[i + 1:] for i in range(len(plate))}
    for i in range(len(plate)):
        out.update(plate[:i] + ch + plate[i + 1:] for ch in plate_keys.alphabet(i))
    for i in range(len(plate) + 1):
        out.update(plate[:i] + ch + plate[i:] for ch in plate_keys.alphabet(i))
    out.discard(plate)
    out.discard("")
    return out


# a small alphabet over every position kind, so that random pairs are often one edit apart
_CHARS = "渝川AB0189XY学警"
_plate = st.text(alphabet=_CHARS, min_size=0, max_size=8)


@hsettings(max_examples=400, deadline=None)
@given(_plate, _plate)
def test_is_one_off_is_membership_of_the_variants(query, plate):
    assert plate_keys.is_one_off(query, plate) == (plate in one_off_variants(query))


@hsettings(max_examples=200, deadline=None)
@given(_plate, st.data())
def test_every_variant_shares_a_deletion_key(query, data):
    variants = sorted(one_off_variants(query))
    if not variants:
        return
    plate = data.draw(st.sampled_from(variants))
    assert plate_keys.deletion_keys(query) & plate_keys.deletion_keys(plate)


def test_variants_agree_with_the_registry_near_matches():
    serial = st.text(alphabet=sorted(plates.SERIAL_CHARS), min_size=5, max_size=5)

    @hsettings(max_examples=60, deadline=None)
    @given(serial, serial)
    def agree(a, b):
        pa, pb = "渝A" + a, "渝A" + b
        assert plate_keys.is_one_off(pa, pb) == (plates.near_matches(pa, [pb]) == [pb])

    agree()


@pytest.mark.parametrize("query, plate, expected", [
    ("渝A12345", "渝B12345", True),    # substitution
    ("渝A12345", "渝A1234", True),     # deletion
    ("渝A12345", "渝A123456", True),   # insertion
    ("渝A12345", "渝A21345", False),   # swapped neighbours share a key but are two edits
    ("渝A12345", "渝A12345", False),   # the plate itself is not a near match
    ("渝A12345", "A12345", True),      # a deletion needs no alphabet
    ("A12345", "渝A12345", True),      # a province inserted at the front
    ("渝A12345", "1A12345", False),    # a digit is no province
])
def test_is_one_off_examples(query, plate, expected):
    assert plate_keys.is_one_off(query, plate) is expected


def test_deletion_keys():
    assert plate_keys.deletion_keys("渝A1") == {"渝A1", "A1", "渝1", "渝A"}


def test_new_entries_are_keyed_once_per_plate(db, tree):
    listed_entry(tree, plate="渝A12345")
    stored = set(db.session.scalars(select(PlateKey.key).where(PlateKey.plate == "渝A12345")))
    assert stored == plate_keys.deletion_keys("渝A12345")
    plate_keys.add_plates(db.session.connection(), ["渝A12345", "渝A12345", "", None])
    assert db.session.scalar(select(func.count()).select_from(PlateKey)) == len(stored)


def test_check_finds_each_kind_of_near_match_and_not_two_edits(db, tree, client):
    for plate in ("渝AD12345", "渝A12345", "渝AF12345", "渝AD21345", "渝A12345D"):
        listed_entry(tree, plate=plate)
    headers = token_for(db, tree["north_team"])

    def check_of(plate):
        return client.get("/api/v1/blacklist/check", query_string={"plate": plate},
                          headers=headers).get_json()

    body = check_of("渝AD12345")  # 渝AD21345 (swapped neighbours) is two edits away
    assert body["listed"] is True and body["near_matches"] == ["渝AF12345", "渝A12345"]
    body = check_of("渝A1234D")  # a substitution, then an insertion
    assert body["listed"] is False and body["near_matches"] == ["渝A12345", "渝A12345D"]


def test_exact_match_does_not_need_the_keys(db, tree, client):
    """A plate whose keys are missing (say, a row written by hand) is still found exactly."""
    listed_entry(tree, plate="渝A12345")
    db.session.execute(PlateKey.__table__.delete())
    db.session.flush()
    headers = token_for(db, tree["north_team"])
    body = client.get("/api/v1/blacklist/check", query_string={"plate": "渝A12345"},
                      headers=headers).get_json()
    assert body["listed"] is True and body["entries"][0]["plate"] == "渝A12345"


def test_quick_check_reports_the_same_near_matches(db, tree):
    entry = listed_entry(tree, plate="渝A10000")
    actor = entry.nominated_by
    answer = check.check_plate(actor, "渝A10001")
    assert answer["listed"] is False and answer["near_matches"] == ["渝A10000"]
    assert check.check_plate(actor, "渝A10000")["entries"] == [entry]
    db.session.rollback()
