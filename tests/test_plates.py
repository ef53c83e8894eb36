"""Plates (GA 36-2018): normalising, validating, colours and near matches; pure, no database."""
from __future__ import annotations

import sqlite3

import pytest
from flask import Flask
from flask_babel import Babel
from hypothesis import given
from hypothesis import strategies as st

from core.plates import (
    LIKE_ESCAPE,
    PLATE_COLOURS,
    PLATE_KIND_LABELS,
    PLATE_KINDS,
    PROVINCES,
    PlateError,
    default_colour,
    is_one_off,
    is_valid_plate,
    like_patterns,
    near_matches,
    normalise_plate,
    validate_plate,
)

# raw, normalised, kind, province, default colour
VALID = [
    ("渝A12345", "渝A12345", "ordinary", "渝", "blue"),
    ("京B8H2K9", "京B8H2K9", "ordinary", "京", "blue"),
    ("川AAB123", "川AAB123", "ordinary", "川", "blue"),
    ("琼E00001", "琼E00001", "ordinary", "琼", "blue"),
    ("渝AD12345", "渝AD12345", "new_energy_small", "渝", "green"),
    ("沪AFA1234", "沪AFA1234", "new_energy_small", "沪", "green"),
    ("粤BK88888", "粤BK88888", "new_energy_small", "粤", "green"),
    ("渝A12345D", "渝A12345D", "new_energy_large", "渝", "yellow_green"),
    ("浙C54321F", "浙C54321F", "new_energy_large", "浙", "yellow_green"),
    ("渝A1234挂", "渝A1234挂", "trailer", "渝", "yellow"),
    ("渝A1234学", "渝A1234学", "coach", "渝", "yellow"),
    ("渝A1234警", "渝A1234警", "police", "渝", "white"),
    ("京AA250警", "京AA250警", "police", "京", "white"),
    ("陕O1313警", "陕O1313警", "police", "陕", "white"),  # O is a real authority letter
    ("渝A1234试", "渝A1234试", "test", "渝", None),
    ("渝A1234超", "渝A1234超", "oversize", "渝", None),
    ("沪A0123领", "沪A0123领", "consular", "沪", "black"),
    ("粤Z1234港", "粤Z1234港", "hong_kong", "粤", "black"),
    ("粤ZA123澳", "粤ZA123澳", "macao", "粤", "black"),
    ("使224009", "使224009", "embassy", None, "black"),
]


@pytest.mark.parametrize(("raw", "plate", "kind", "province", "colour"), VALID)
def test_valid_plates(raw, plate, kind, province, colour):
    info = validate_plate(raw)
    assert (info.plate, info.kind, info.province) == (plate, kind, province)
    assert default_colour(info) == colour
    assert info.kind in PLATE_KINDS
    assert is_valid_plate(raw)


@pytest.mark.parametrize(("raw", "plate"), [
    ("渝a·12345", "渝A12345"),
    ("渝Ａ１２３４５", "渝A12345"),
    ("渝A-O2345", "渝A02345"),
    ("渝A-OI234", "渝A01234"),
    (" 渝 A 123 45 ", "渝A12345"),
    ("渝A．12345", "渝A12345"),
    ("渝A•12345", "渝A12345"),
    ("渝A・12345", "渝A12345"),
    ("渝A\u300012345", "渝A12345"),
    ("渝A\u200b12345", "渝A12345"),
    ("渝A—12345", "渝A12345"),
    ("渝ad·1234o", "渝AD12340"),
    ("使 224·009", "使224009"),
    ("使2O4OO9", "使204009"),
    ("粵Z·1234港", "粤Z1234港"),  # traditional 粵
    ("渝A1234學", "渝A1234学"),
    ("渝O12345", "渝O12345"),  # the authority letter is kept as typed
    ("渝I12345", "渝I12345"),
    ("", ""),
])
def test_normalise(raw, plate):
    assert normalise_plate(raw) == plate


def test_messy_input_validates_to_the_normalised_plate():
    assert validate_plate("渝a·12345").plate == "渝A12345"
    assert validate_plate("渝Ａ１２３４５").plate == "渝A12345"
    assert validate_plate("渝A-O2345").plate == "渝A02345"
    assert validate_plate("渝 AD 1234 5").kind == "new_energy_small"


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("  ·- ", "empty"),
    ("X渝A12345", "bad_province"),
    ("台A12345", "bad_province"),
    ("AA12345", "bad_province"),
    ("12345", "bad_province"),
    ("渝", "bad_authority"),
    ("渝112345", "bad_authority"),
    ("渝I12345", "bad_authority"),
    ("渝渝12345", "bad_authority"),
    ("渝A1234", "bad_length"),
    ("渝A", "bad_length"),
    ("渝A1234567", "bad_length"),
    ("渝A12345挂", "bad_length"),
    ("渝A123挂", "bad_length"),
    ("渝A12渝45", "bad_serial"),
    ("渝A12挂45", "bad_serial"),
    ("渝A12345%", "bad_character"),
    ("渝A12#45", "bad_character"),
    ("渝A1234军", "bad_character"),
    ("渝A123456", "bad_new_energy"),
    ("渝AL12345", "bad_new_energy"),
    ("渝AD1234D", "bad_new_energy"),
    ("渝ADDD123", "bad_new_energy"),
    ("渝A1234DD", "bad_new_energy"),
    ("京A1234港", "bad_cross_border"),
    ("粤B1234澳", "bad_cross_border"),
    ("使12345", "bad_embassy"),
    ("使1234567", "bad_embassy"),
    ("使A23456", "bad_embassy"),
    ("224009使", "bad_embassy"),
])
def test_invalid_plates(raw, code):
    with pytest.raises(PlateError) as caught:
        validate_plate(raw)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)  # a user-facing message, also outside a request
    assert not is_valid_plate(raw)


def test_error_message_is_lazy_and_renders_in_a_request():
    app = Flask(__name__)
    Babel(app)
    with pytest.raises(PlateError) as caught:
        validate_plate("渝A12345%")
    with app.test_request_context():
        assert str(caught.value.message) == "A plate cannot contain the character “%”."


def test_colours_and_labels():
    assert PLATE_COLOURS == {"blue": "蓝", "yellow": "黄", "green": "绿", "yellow_green": "黄绿",
                             "white": "白", "black": "黑"}
    assert set(PLATE_KIND_LABELS) == set(PLATE_KINDS)
    for plate, *_ in VALID:
        colour = default_colour(validate_plate(plate))
        assert colour is None or colour in PLATE_COLOURS
    assert len(PROVINCES) == 31


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("渝A12345", "渝A12346", True),
    ("渝A12345", "渝B12345", True),
    ("渝A12345", "渝A1234", True),
    ("渝A12345", "渝A123456", True),
    ("渝A12345", "渝A12345", False),
    ("渝A12345", "渝A·12345", False),  # the same plate once normalised
    ("渝A12345", "渝A12354", False),  # a transposition is two edits
    ("渝A12345", "川B12345", False),
    ("渝A12345", "渝A-O2346", False),
    ("渝A02345", "渝A-O2346", True),
])
def test_is_one_off(a, b, expected):
    assert is_one_off(a, b) is expected
    assert is_one_off(b, a) is expected


def test_near_matches():
    candidates = ["渝A12345", "渝A·12345", "渝A1234", "渝A12346", "川A99999", "渝B12345",
                  "渝A123456", "渝A12346"]
    assert near_matches("渝a12345", candidates) == ["渝A12346", "渝B12345", "渝A1234", "渝A123456"]
    assert near_matches("渝A12345", candidates, limit=1) == ["渝A12346"]
    assert near_matches("渝A12345", iter(candidates), limit=None)[-1] == "渝A123456"
    assert near_matches("渝A12345", []) == []
    assert near_matches("", candidates) == []


def test_like_patterns():
    assert like_patterns("渝A-12345") == ["_A12345", "渝_12345", "渝A_2345", "渝A1_345",
                                          "渝A12_45", "渝A123_5", "渝A1234_"]
    assert like_patterns("渝A12%4") == ["_A12\\%4", "渝_12\\%4", "渝A_2\\%4", "渝A1_\\%4",
                                        "渝A12_4", "渝A12\\%_"]
    assert like_patterns("") == []


def _like_hits(plate: str, stored: list[str]) -> set[str]:
    """Run the patterns in SQLite the way a repository query would."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE TABLE vehicle (plate TEXT)")
        conn.executemany("INSERT INTO vehicle VALUES (?)", [(p,) for p in stored])
        patterns = like_patterns(plate)
        where = " OR ".join("plate LIKE ? ESCAPE ?" for _ in patterns)
        args = [x for p in patterns for x in (p, LIKE_ESCAPE)]
        query = f"SELECT plate FROM vehicle WHERE {where}"  # noqa: S608 - placeholders only
        return {row[0] for row in conn.execute(query, args)}
    finally:
        conn.close()


def test_like_patterns_find_one_substitution_in_sql():
    stored = ["渝A12345", "渝A12346", "渝B12345", "川A12345", "渝A1234", "渝A12366", "渝A123456",
              "渝A1%345"]
    assert _like_hits("渝A12345", stored) == {"渝A12345", "渝A12346", "渝B12345", "川A12345",
                                              "渝A1%345"}
    assert _like_hits("渝A1%345", stored) == {"渝A1%345", "渝A12345"}


# ------------------------------------------------------------------------------ properties

_DIGIT = st.sampled_from("0123456789")
_LETTER = st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ")
_SERIAL = st.one_of(_DIGIT, _LETTER)
_PROVINCE = st.sampled_from(sorted(PROVINCES))
_AUTHORITY = st.sampled_from("ABCDEFGHJKLMNOPQRSTUVWXYZ")
_ENERGY = st.sampled_from("DABCEFGHJK")


def _join(*parts):
    return st.tuples(*parts).map("".join)


def _chars(strategy, n):
    return st.lists(strategy, min_size=n, max_size=n).map("".join)


_VALID_BY_KIND = {
    "ordinary": _join(_PROVINCE, _AUTHORITY, _chars(_SERIAL, 5)),
    "new_energy_small": _join(_PROVINCE, _AUTHORITY, _ENERGY, _SERIAL, _chars(_DIGIT, 4)),
    "new_energy_large": _join(_PROVINCE, _AUTHORITY, _chars(_DIGIT, 5), _ENERGY),
    "trailer": _join(_PROVINCE, _AUTHORITY, _chars(_SERIAL, 4), st.just("挂")),
    "coach": _join(_PROVINCE, _AUTHORITY, _chars(_SERIAL, 4), st.just("学")),
    "police": _join(_PROVINCE, _AUTHORITY, _chars(_SERIAL, 4), st.just("警")),
    "hong_kong": _join(st.just("粤Z"), _chars(_SERIAL, 4), st.just("港")),
    "macao": _join(st.just("粤Z"), _chars(_SERIAL, 4), st.just("澳")),
    "embassy": _join(st.just("使"), _chars(_DIGIT, 6)),
}
_VALID_PLATE = st.sampled_from(sorted(_VALID_BY_KIND)).flatmap(
    lambda kind: _VALID_BY_KIND[kind].map(lambda plate: (kind, plate)))
_PLATE_TEXT = st.text(alphabet="渝京粤使挂学警港澳ABDIOZ0123456789·-. ａｏｉ", max_size=12)


@given(st.one_of(st.text(max_size=20), _PLATE_TEXT))
def test_normalise_is_idempotent(raw):
    once = normalise_plate(raw)
    assert normalise_plate(once) == once


@given(_VALID_PLATE)
def test_valid_plates_survive_normalising_unchanged(kind_and_plate):
    kind, plate = kind_and_plate
    assert normalise_plate(plate) == plate
    info = validate_plate(plate)
    assert (info.plate, info.kind) == (plate, kind)


@given(_VALID_PLATE, st.sampled_from(["·", " ", "-", "．", "•"]), st.data())
def test_separators_and_case_do_not_matter(kind_and_plate, separator, data):
    _kind, plate = kind_and_plate
    cut = data.draw(st.integers(min_value=1, max_value=len(plate) - 1))
    assert validate_plate(plate[:cut] + separator + plate[cut:].lower()).plate == plate


@given(_PLATE_TEXT, _PLATE_TEXT)
def test_is_one_off_is_symmetric(a, b):
    assert is_one_off(a, b) == is_one_off(b, a)


@given(_VALID_PLATE, st.data())
def test_every_single_substitution_is_a_near_match(kind_and_plate, data):
    _kind, plate = kind_and_plate
    i = data.draw(st.integers(min_value=0, max_value=len(plate) - 1))
    other = data.draw(st.sampled_from("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ").filter(
        lambda ch: ch != plate[i]))
    variant = plate[:i] + other + plate[i + 1:]
    assert is_one_off(plate, variant)
    assert near_matches(plate, [plate, variant]) == [variant]
    assert len(like_patterns(plate)) == len(plate)
    assert _like_hits(plate, [variant]) == {variant}
