"""Resident ID numbers, phone numbers and masking; pure, no database."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.identity import (
    IdNumberError,
    PhoneError,
    is_valid_id_number,
    mask_id_number,
    mask_name,
    mask_phone,
    normalise_id_number,
    normalise_phone,
    validate_id_number,
    validate_phone,
)

TODAY = dt.date(2026, 3, 1)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_char(first17: str) -> str:
    """MOD 11-2 written out from GB 11643, independent of the code under test."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def make_id(area: str, birth: str, order: str) -> str:
    body = area + birth + order
    return body + check_char(body)


def wrong_check(number: str) -> str:
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


def test_independent_check_digit_matches_a_published_example():
    assert check_char("11010519491231002") == "X"


@pytest.mark.parametrize(("area", "birth", "order", "sex", "area_name"), [
    ("110105", "19491231", "002", "F", "北京市朝阳区"),
    ("500101", "19850615", "123", "M", "重庆市万州区"),
    ("500112", "20000229", "456", "F", "重庆市渝北区"),  # a leap day
    ("510107", "19000101", "001", "M", "四川省武侯区"),
    ("500381", "19900101", "011", "M", "重庆市江津市"),  # code from 1997, holder born earlier
    ("110112", "19700101", "019", "M", "北京市通州区"),
    ("110103", "20050707", "002", "F", "北京市崇文区"),  # abolished 2010, after the birth
])
def test_valid_id_numbers(area, birth, order, sex, area_name):
    number = make_id(area, birth, order)
    info = validate_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == dt.datetime.strptime(birth, "%Y%m%d").date()
    assert info.sex == sex
    assert info.area_code == area
    assert info.area_known is True
    assert info.area_name == area_name
    assert info.warnings == [] and info.warning_codes == []


def test_x_check_digit_lower_case_full_width_and_spaces():
    number = "11010519491231002X"
    assert validate_id_number("11010519491231002x").number == number
    assert validate_id_number(" 110105 19491231 002x ").number == number
    assert validate_id_number("１１０１０５１９４９１２３１００２Ｘ").number == number
    assert validate_id_number("110105-19491231-002X").number == number
    assert validate_id_number("110105\u300019491231\u3000002ｘ").number == number
    assert normalise_id_number(" １１０１０５ 19491231002x") == number


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   ", "empty"),
    ("11010519491231002", "length"),
    ("11010519491231002X1", "length"),
    ("110105490101001", "length"),  # old 15-digit numbers are not accepted
    ("1101051949123100X2", "format"),
    ("11010519491231002Y", "format"),
    ("A1010519491231002X", "format"),
    ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "format"),  # Arabic-Indic digits are not ID digits
])
def test_malformed_id_numbers(raw, code):
    with pytest.raises(IdNumberError) as caught:
        validate_id_number(raw, today=TODAY)
    assert caught.value.code == code
    assert str(caught.value)


@pytest.mark.parametrize(("birth", "code"), [
    ("19900231", "birth_date"),  # 31 February
    ("19900230", "birth_date"),
    ("20010229", "birth_date"),  # not a leap year
    ("19901301", "birth_date"),
    ("19900001", "birth_date"),
    ("19900100", "birth_date"),
    ("20260302", "birth_date_future"),
    ("20991231", "birth_date_future"),
    ("18991231", "birth_date_too_early"),
])
def test_bad_birth_dates(birth, code):
    with pytest.raises(IdNumberError) as caught:
        validate_id_number(make_id("500101", birth, "123"), today=TODAY)
    assert caught.value.code == code


def test_birth_today_is_accepted_and_today_defaults_to_the_real_date():
    today = dt.date.today()
    number = make_id("500101", today.strftime("%Y%m%d"), "123")
    assert validate_id_number(number).birth_date == today


def test_wrong_check_digit():
    number = make_id("110105", "19491231", "002")
    with pytest.raises(IdNumberError) as caught:
        validate_id_number(wrong_check(number), today=TODAY)
    assert caught.value.code == "check_digit"
    assert isinstance(caught.value, ValueError)
    assert not is_valid_id_number(wrong_check(number), today=TODAY)


@pytest.mark.parametrize("area", ["999999", "500199", "000000"])
def test_unknown_area_code_is_valid_with_a_warning(area):
    info = validate_id_number(make_id(area, "19900101", "123"), today=TODAY)
    assert info.area_known is False
    assert info.warning_codes == ["area_unknown"]
    assert len(info.warnings) == 1 and area in info.warnings[0]


def test_area_abolished_before_the_birth_is_a_warning():
    info = validate_id_number(make_id("512221", "2000" "0101", "001"), today=TODAY)  # 万县, -1992
    assert info.area_known is True
    assert info.warning_codes == ["area_obsolete"]
    assert info.area_name == "四川省万县"
    assert validate_id_number(make_id("512221", "19800101", "001"), today=TODAY).warnings == []


def test_residence_permit_area_codes():
    assert validate_id_number(make_id("810000", "19800101", "001"), today=TODAY).area_known
    assert validate_id_number(make_id("830000", "19800101", "001"), today=TODAY).area_known


_birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)


@given(st.text(alphabet="0123456789", min_size=6, max_size=6), _birth_dates,
       st.text(alphabet="0123456789", min_size=3, max_size=3))
def test_any_17_digits_with_a_real_date_and_the_check_digit_validate(area, birth, order):
    number = make_id(area, birth.strftime("%Y%m%d"), order)
    info = validate_id_number(number, today=TODAY)
    assert info.number == number
    assert info.birth_date == birth
    assert info.sex == ("M" if int(order[-1]) % 2 else "F")
    assert info.area_known or info.warning_codes == ["area_unknown"]
    with pytest.raises(IdNumberError):
        validate_id_number(wrong_check(number), today=TODAY)


@given(st.text(max_size=25))
def test_id_validation_never_fails_unexpectedly(raw):
    try:
        info = validate_id_number(raw, today=TODAY)
    except IdNumberError as error:
        assert error.code
    else:
        assert len(info.number) == 18


# ------------------------------------------------------------------------------ masking

@pytest.mark.parametrize(("args", "expected"), [
    (("11010519491231002X",), "110105********002X"),
    (("11010519491231002x", 3, 2), "110*************2X"),
    (("11010519491231002X", 0, 4), "**************002X"),
    (("11010519491231002X", 0, 0), ""),
    (("110105", 6, 4), "******"),
    (("",), ""),
])
def test_mask_id_number(args, expected):
    assert mask_id_number(*args) == expected


@pytest.mark.parametrize(("name", "expected"), [
    ("张三", "张*"),
    ("王小明", "王**"),
    ("欧阳娜娜", "欧阳**"),
    ("司马光", "司马*"),
    ("诸葛亮", "诸葛*"),
    ("上官婉儿", "上官**"),
    ("欧阳", "欧*"),  # two characters: a surname and a given name
    ("王", "*"),
    (" 李四 ", "李*"),
    ("买买提·艾力", "买**·**"),
    ("", ""),
])
def test_mask_name(name, expected):
    assert mask_name(name) == expected


@pytest.mark.parametrize(("args", "expected"), [
    (("13812345678",), ""),
    (("+86 138-1234-5678", 3, 4), "138****5678"),
    (("023-62345678", 4, 4), "023-****5678"),
    (("",  3, 4), ""),
])
def test_mask_phone(args, expected):
    assert mask_phone(*args) == expected


# ------------------------------------------------------------------------------ phones

@pytest.mark.parametrize(("raw", "phone"), [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("0086-138-1234-5678", "13812345678"),
    ("8613812345678", "13812345678"),
    ("013812345678", "13812345678"),
    ("１３８１２３４５６７８", "13812345678"),
    ("19912345678", "19912345678"),
    ("023-62345678", "023-62345678"),
    ("(023) 6234 5678", "023-62345678"),
    ("（023）62345678", "023-62345678"),
    ("02362345678", "023-62345678"),
    ("010-62345678", "010-62345678"),
    ("0755-82345678", "0755-82345678"),
    ("0311 8234567", "0311-8234567"),
    ("+86 23 6234 5678", "023-62345678"),
    ("023-62345678-123", "023-62345678-123"),
    ("023-62345678 转 123", "023-62345678-123"),
    ("023 6234 5678 ext. 9", "023-62345678-9"),
    ("02362345678#88", "023-62345678-88"),
])
def test_valid_phones(raw, phone):
    assert validate_phone(raw) == phone
    assert normalise_phone(raw) == phone
    assert validate_phone(phone) == phone


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("  ", "empty"),
    ("12328", "service_number"),
    ("12345", "service_number"),
    ("110", "service_number"),
    ("120", "service_number"),
    ("023-12345", "service_number"),
    ("023 12328", "service_number"),
    ("1381234567", "format"),  # ten digits
    ("138123456789", "format"),
    ("12812345678", "format"),  # no 12x mobile numbers
    ("23456789", "format"),  # a landline without its area code
    ("023-12345678", "format"),  # local numbers never start with 1
    ("023-02345678", "format"),
    ("023-623456", "format"),
    ("0755-823456789", "format"),
    ("+852 6123 4567", "format"),
    ("abc13812345678", "format"),
    ("138-1234-5678 / 139", "format"),
    ("138.1234.5678x", "format"),
])
def test_invalid_phones(raw, code):
    with pytest.raises(PhoneError) as caught:
        validate_phone(raw)
    assert caught.value.code == code
    assert isinstance(caught.value, ValueError)
    assert str(caught.value)


@given(st.text(max_size=30))
def test_phone_validation_returns_a_normal_form_or_raises(raw):
    try:
        phone = validate_phone(raw)
    except PhoneError as error:
        assert error.code in {"empty", "format", "service_number"}
    else:
        assert validate_phone(phone) == phone == normalise_phone(raw)
