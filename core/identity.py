"""People's identifiers: resident ID numbers, phone numbers, and masking for display.

Pure helpers: no database, no Flask request needed (messages are lazy translations).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from stdnum import numdb
from stdnum.cn import ric

# ---------------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)

ID_NUMBER_LENGTH = 18
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

_ID_RE = re.compile(r"[0-9]{17}[0-9X]")
_ID_SEPARATORS = re.compile(r"[\s\-‐‑‒–—−]+")
_RANGE_RE = re.compile(r"\[(\d*)-(\d*)\](.*)")
# Area codes in use that GB/T 2260 (and so stdnum's data) does not list.
_EXTRA_AREAS = {"830000": "台湾居民居住证"}


class IdNumberError(ValueError):
    """An ID number that cannot be valid; ``code`` says why, the message says it to the user."""

    def __init__(self, code: str, message: LazyString | str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class IdNumberInfo:
    """A valid 18-digit resident ID number and what it says about its holder."""

    number: str  # normalised: 18 characters, upper-case X
    birth_date: dt.date
    sex: str  # "M" or "F"
    area_code: str  # the first six digits
    area_known: bool  # the area code is listed in GB/T 2260 (current or former)
    area_name: Optional[str] = None  # e.g. "重庆市万州区"; the province alone when only it is known
    warnings: list[str] = field(default_factory=list)  # messages, translated when validated
    warning_codes: list[str] = field(default_factory=list)  # "area_unknown", "area_obsolete"


def normalise_id_number(raw: str) -> str:
    """The ID number as typed, half-width, without spaces or hyphens, with an upper-case X."""
    text = unicodedata.normalize("NFKC", raw or "")
    return _ID_SEPARATORS.sub("", text).upper()


@functools.lru_cache(maxsize=8192)  # a bulk import meets the same few areas again and again
def _area(code: str, birth_year: int) -> tuple[bool, Optional[str], bool]:
    """(known, name, obsolete) of an area code for someone born in ``birth_year``."""
    if code in _EXTRA_AREAS:
        return True, _EXTRA_AREAS[code], False
    parts = numdb.get("cn/loc").info(code)
    info: dict[str, str] = {}
    for _prefix, props in parts:
        info.update(props)
    province = info.get("province")
    county = info.get("county")
    if not county:
        return False, province, False
    periods = []
    for entry in county.split(","):
        match = _RANGE_RE.fullmatch(entry)
        if match:
            start, end, name = match.groups()
            periods.append((int(start) if start else None, int(end) if end else None, name))
        else:
            periods.append((None, None, entry))
    current = [p for p in periods
               if (p[0] is None or p[0] <= birth_year) and (p[1] is None or birth_year <= p[1])]
    later = [p for p in periods if p[0] is not None and p[0] > birth_year]
    # An area code created after the birth is normal (the code is where the card was first
    # issued); one abolished before the birth cannot have been issued to this person.
    obsolete = not current and not later
    name = current[0][2] if current else periods[-1][2]  # else the latest name
    full = name if not province or name == province else f"{province}{name}"
    return True, full, obsolete


def validate_id_number(raw: str, today: Optional[dt.date] = None) -> IdNumberInfo:
    """Check an 18-digit resident ID number (format, birth date, check digit); warn on odd areas."""
    number = normalise_id_number(raw)
    if not number:
        raise IdNumberError("empty", _l("Enter an ID number."))
    if len(number) != ID_NUMBER_LENGTH:
        raise IdNumberError("length", _l("An ID number has 18 characters; this one has "
                                         "%(length)s.", length=len(number)))
    if not _ID_RE.fullmatch(number):
        raise IdNumberError("format", _l("An ID number is 17 digits followed by a digit or X."))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError("birth_date", _l("The birth date in the ID number does not "
                                             "exist.")) from None
    today = today or dt.date.today()
    if birth > today:
        raise IdNumberError("birth_date_future", _l("The birth date in the ID number is in the "
                                                    "future."))
    if birth < EARLIEST_BIRTH_DATE:
        raise IdNumberError("birth_date_too_early", _l("The birth date in the ID number is "
                                                       "before 1900."))
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberError("check_digit", _l("The ID number's check digit is wrong; check "
                                              "each digit again."))
    area_code = number[:6]
    known, area_name, obsolete = _area(area_code, birth.year)
    warnings: list[str] = []
    codes: list[str] = []
    if not known:
        codes.append("area_unknown")
        warnings.append(str(_l("The area code %(code)s of this ID number is not a known "
                               "administrative division; check it with the holder.",
                               code=area_code)))
    elif obsolete:
        codes.append("area_obsolete")
        warnings.append(str(_l("The area code %(code)s was abolished before the holder's birth "
                               "date; check it with the holder.", code=area_code)))
    return IdNumberInfo(number=number, birth_date=birth,
                        sex="M" if int(number[16]) % 2 else "F", area_code=area_code,
                        area_known=known, area_name=area_name, warnings=warnings,
                        warning_codes=codes)


def is_valid_id_number(raw: str, today: Optional[dt.date] = None) -> bool:
    """True when :func:`validate_id_number` accepts ``raw``."""
    try:
        validate_id_number(raw, today)
    except IdNumberError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Masking for display

COMPOUND_SURNAMES: frozenset[str] = frozenset({
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "司空", "太史", "申屠",
    "钟离", "闻人", "澹台", "公冶", "宗政", "濮阳", "赫连", "单于", "万俟", "拓跋", "东郭", "梁丘",
    "左丘", "公羊", "谷梁", "乐正", "漆雕", "仲孙", "叔孙", "巫马", "公西", "羊舌", "微生", "第五",
})
_NAME_SEPARATORS = frozenset(" ·•・.-")


def _mask(value: str, keep_head: int, keep_tail: int, mask_char: str) -> str:
    keep_head, keep_tail = max(keep_head, 0), max(keep_tail, 0)
    if not value or keep_head + keep_tail == 0:
        return ""
    if len(value) <= keep_head + keep_tail:
        return mask_char * len(value)
    tail = value[len(value) - keep_tail:] if keep_tail else ""
    return value[:keep_head] + mask_char * (len(value) - keep_head - keep_tail) + tail


def mask_id_number(id_no: str, keep_head: int = 6, keep_tail: int = 4,
                   mask_char: str = "*") -> str:
    """The ID number with all but ``keep_head`` leading and ``keep_tail`` trailing chars masked.

    Keeping nothing hides the number entirely (""); a value too short to keep that much is
    masked in full.
    """
    return _mask(normalise_id_number(id_no), keep_head, keep_tail, mask_char)


def mask_name(name: str, mask_char: str = "*") -> str:
    """The surname (two characters if compound) followed by one mask per other character."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    if not text:
        return ""
    if len(text) == 1:
        return mask_char
    keep = 2 if len(text) > 2 and text[:2] in COMPOUND_SURNAMES else 1
    return text[:keep] + "".join(ch if ch in _NAME_SEPARATORS else mask_char
                                 for ch in text[keep:])


def mask_phone(phone: str, keep_head: int = 0, keep_tail: int = 0, mask_char: str = "*") -> str:
    """The phone number hidden ("" when nothing is kept, the default) or partly masked."""
    return _mask(normalise_phone(phone), keep_head, keep_tail, mask_char)


# ---------------------------------------------------------------------------------------------
# Phone numbers (mainland China)

#: Public service numbers (hotlines, emergency): never a person's phone.
SERVICE_NUMBERS: frozenset[str] = frozenset({
    "110", "112", "114", "119", "120", "122", "12110", "12315", "12318", "12319", "12320",
    "12328", "12333", "12345", "12348", "12355", "12358", "12365", "12366", "12369", "12377",
    "12388", "12395",
})

_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE_RE = re.compile(r"(0(?:10|2[0-9]|[3-9][0-9]{2}))([2-9][0-9]{6,7})")
_EXTENSION_RE = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*([0-9]{1,6})\s*$", re.IGNORECASE)
_GROUP_RE = re.compile(r"[0-9]+")


class PhoneError(ValueError):
    """A phone number that cannot be a person's mainland number; ``code`` says why."""

    def __init__(self, code: str, message: LazyString | str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _area_code_length(digits: str) -> int:
    return 3 if digits.startswith(("010", "02")) else 4


def _as_landline(digits: str) -> Optional[str]:
    """``0AA-NNNNNNNN`` / ``0AAA-NNNNNNN`` when the digits form a landline number."""
    if not digits.startswith("0"):
        return None
    cut = _area_code_length(digits)
    match = _LANDLINE_RE.fullmatch(digits)
    if not match or len(match.group(1)) != cut:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def _split_extension(raw: str) -> tuple[str, Optional[str]]:
    """(the number part, the extension after 转/分机/ext/x/#) of a phone number as typed."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    match = _EXTENSION_RE.search(text)
    if match and _GROUP_RE.search(text[:match.start()]):
        return text[:match.start()].strip(), match.group(1)
    return text, None


def _drop_leading_digits(groups: list[str], count: int) -> list[str]:
    """The digit groups without their first ``count`` digits."""
    rest = list(groups)
    while rest and count:
        taken = min(count, len(rest[0]))
        rest[0], count = rest[0][taken:], count - taken
        if not rest[0]:
            rest.pop(0)
    return rest


def normalise_phone(raw: str) -> str:
    """The canonical form of a phone number when recognisable, else the digits typed.

    Mobile: ``13812345678``; landline: ``023-12345678``, with ``-123`` for an extension.  A
    ``+86``/``0086``/``86`` country prefix and a trunk ``0`` before a mobile number are dropped.
    """
    text, extension = _split_extension(raw)
    groups = _GROUP_RE.findall(text)
    digits = "".join(groups)
    country = None
    if text.startswith("+"):
        country = "86" if digits.startswith("86") else ""
    elif digits.startswith("0086"):
        country = "0086"
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        country = "86"
    if country == "":
        return "+" + digits + (f"-{extension}" if extension else "")  # not a mainland number
    if country:
        digits = digits[len(country):]
        groups = _drop_leading_digits(groups, len(country))
        if len(digits) >= 9 and not _MOBILE_RE.fullmatch(digits) and not digits.startswith("0"):
            digits, groups = "0" + digits, ["0" + groups[0], *groups[1:]]
    if len(digits) == 12 and _MOBILE_RE.fullmatch(digits[1:]) and digits.startswith("0"):
        digits = digits[1:]
    if extension is None and _MOBILE_RE.fullmatch(digits):
        return digits
    landline = _as_landline(digits)
    if landline is None and extension is None and len(groups) >= 2 and len(groups[-1]) <= 6:
        landline = _as_landline("".join(groups[:-1]))
        if landline is not None:
            extension = groups[-1]
    return (landline or digits) + (f"-{extension}" if extension else "")


_PHONE_CHARS_RE = re.compile(r"\+?[0-9\s\-‐‑‒–—−()./·]+")
_CANONICAL_LANDLINE_RE = re.compile(r"(0[0-9]{2,3})-([0-9]+)(?:-[0-9]{1,6})?")


def validate_phone(raw: str) -> str:
    """A person's mainland mobile or landline number, normalised; raise :class:`PhoneError`."""
    if not (raw or "").strip():
        raise PhoneError("empty", _l("Enter a phone number."))
    if not _PHONE_CHARS_RE.fullmatch(_split_extension(raw)[0]):
        raise PhoneError("format", _l("A phone number has only digits, spaces, hyphens and "
                                      "brackets, and may start with +86."))
    phone = normalise_phone(raw)
    if _MOBILE_RE.fullmatch(phone):
        return phone
    match = _CANONICAL_LANDLINE_RE.fullmatch(phone)
    if match:
        area, local = match.groups()
        if _as_landline(area + local) == f"{area}-{local}":
            return phone
    digits = phone.replace("-", "").lstrip("+")
    local = digits[_area_code_length(digits):] if digits.startswith("0") else digits
    if digits in SERVICE_NUMBERS or local in SERVICE_NUMBERS:
        raise PhoneError("service_number", _l("%(number)s is a public service number, not a "
                                              "person's phone.", number=local))
    raise PhoneError("format", _l("Enter a mainland mobile number (11 digits starting with 1) or "
                                  "a landline with its area code, e.g. 023-12345678."))
