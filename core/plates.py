"""Chinese vehicle plates (GA 36-2018): normalising, validating and finding near matches.

This is the one module that knows what a plate looks like; store and compare only what
:func:`normalise_plate` returns.

What :func:`validate_plate` enforces (and nothing finer, because the finer rules differ between
editions of the standard and between provinces):

* the first character is one of the 31 mainland province abbreviations, or ``使`` (embassy);
* the second is the issuing-authority letter A–Z except ``I``.  ``O`` is accepted: provincial
  public-security and other official vehicles really carry ``O`` plates (陕O…警, 粤O…);
* serial characters are digits and the letters A–Z except ``I`` and ``O`` (normalising already
  reads a serial O/I as 0/1).  The number of letters in an ordinary serial is not limited,
  because the published rules disagree;
* the layout of each kind, see :data:`PLATE_KINDS`:

  ================  =========================================  ============
  kind              layout                                     example
  ================  =========================================  ============
  ordinary          province + letter + 5 serial               渝A12345
  new_energy_small  province + letter + E + serial + 4 digits  渝AD12345
  new_energy_large  province + letter + 5 digits + E           渝A12345D
  trailer           province + letter + 4 serial + 挂           渝A1234挂
  coach             province + letter + 4 serial + 学           渝A1234学
  police            province + letter + 4 serial + 警           渝A1234警
  test              province + letter + 4 serial + 试           渝A1234试
  oversize          province + letter + 4 serial + 超           渝A1234超
  consular          province + letter + 4 serial + 领           沪A1234领
  hong_kong         粤Z + 4 serial + 港                          粤Z1234港
  macao             粤Z + 4 serial + 澳                          粤Z1234澳
  embassy           使 + 3-digit mission code + 3 digits        使224009
  ================  =========================================  ============

  where E is an energy letter: D A B C E (battery electric) or F G H J K (other new energy).

Not recognised: military (军) and armed-police (WJ) plates, which GA 36 does not govern,
temporary paper plates, and the 应急 (emergency rescue) and 民航 plates.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Optional

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

#: The 31 mainland province-level abbreviations used on plates.
PROVINCES: frozenset[str] = frozenset("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")

#: Issuing-authority letters: A–Z except I (O is real, see the module docstring).
AUTHORITY_LETTERS: frozenset[str] = frozenset("ABCDEFGHJKLMNOPQRSTUVWXYZ")

#: Letters allowed in serials: A–Z except I and O.
SERIAL_LETTERS: frozenset[str] = frozenset("ABCDEFGHJKLMNPQRSTUVWXYZ")
SERIAL_CHARS: frozenset[str] = SERIAL_LETTERS | frozenset("0123456789")

#: Energy letters of new-energy plates: D A B C E battery electric, F G H J K other new energy.
ENERGY_LETTERS: frozenset[str] = frozenset("DABCEFGHJK")

#: Plate kinds by their closing character.
SUFFIX_KINDS: dict[str, str] = {
    "挂": "trailer",
    "学": "coach",
    "警": "police",
    "试": "test",
    "超": "oversize",
    "领": "consular",
    "港": "hong_kong",
    "澳": "macao",
}
EMBASSY_CHAR = "使"

#: Every kind :func:`validate_plate` can return.
PLATE_KINDS: tuple[str, ...] = (
    "ordinary", "new_energy_small", "new_energy_large", "trailer", "coach", "police", "test",
    "oversize", "consular", "hong_kong", "macao", "embassy",
)

#: Labels for the user interface.
PLATE_KIND_LABELS: dict[str, LazyString] = {
    "ordinary": _l("Ordinary plate"),
    "new_energy_small": _l("Small new-energy plate"),
    "new_energy_large": _l("Large new-energy plate"),
    "trailer": _l("Trailer plate"),
    "coach": _l("Driving-school plate"),
    "police": _l("Police plate"),
    "test": _l("Test-vehicle plate"),
    "oversize": _l("Oversize-vehicle plate"),
    "consular": _l("Consulate plate"),
    "hong_kong": _l("Hong Kong cross-border plate"),
    "macao": _l("Macao cross-border plate"),
    "embassy": _l("Embassy plate"),
}

#: Plate colours: code value → Chinese name.
PLATE_COLOURS: dict[str, str] = {
    "blue": "蓝",
    "yellow": "黄",
    "green": "绿",
    "yellow_green": "黄绿",
    "white": "白",
    "black": "黑",
}

_DEFAULT_COLOURS: dict[str, str] = {
    "ordinary": "blue",  # small vehicles; large vehicles and motorcycles carry yellow
    "new_energy_small": "green",
    "new_energy_large": "yellow_green",
    "trailer": "yellow",
    "coach": "yellow",
    "police": "white",
    "consular": "black",
    "hong_kong": "black",
    "macao": "black",
    "embassy": "black",
}

# Characters dropped by normalising: separators people and OCR put into plates.
_SEPARATORS = frozenset(
    ".·•‧∙⋅・⸱ꞏ。●⦁◦_"  # dots and middle dots of all kinds (full-width ones fold by NFKC)
    "-‐‑‒–—―−"  # hyphens, dashes and the minus sign
)
# Traditional forms of the Chinese characters that appear on plates.
_TRADITIONAL = str.maketrans({
    "滬": "沪", "遼": "辽", "蘇": "苏", "贛": "赣", "閩": "闽", "貴": "贵", "魯": "鲁", "陝": "陕",
    "寧": "宁", "瓊": "琼", "雲": "云", "晉": "晋", "粵": "粤", "學": "学", "掛": "挂", "領": "领",
    "試": "试",
})
_SERIAL_READING = str.maketrans({"O": "0", "I": "1"})

_SERIAL = "[0-9A-HJ-NP-Z]"
_ENERGY = "[DABCEFGHJK]"
_NEW_ENERGY_SMALL = re.compile(rf"{_ENERGY}{_SERIAL}[0-9]{{4}}")
_NEW_ENERGY_LARGE = re.compile(rf"[0-9]{{5}}{_ENERGY}")
_EMBASSY = re.compile(r"使[0-9]{6}")


class PlateError(ValueError):
    """A plate number that cannot be valid; ``code`` says why, the message says it to the user."""

    def __init__(self, code: str, message: LazyString | str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class PlateInfo:
    """A valid plate: the normalised number, its kind and its parts."""

    plate: str
    kind: str
    province: Optional[str]  # None for embassy plates
    authority: Optional[str]  # issuing-authority letter; None for embassy plates
    serial: str  # the characters between the authority letter (or 使) and any closing character


def _is_separator(ch: str) -> bool:
    return ch in _SEPARATORS or ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Pd"}


def normalise_plate(raw: str) -> str:
    """A plate as stored: half-width, upper case, no separators, serial O/I read as 0/1."""
    text = raw or ""
    for _ in range(4):  # upper-casing and dropping separators can expose new NFKC forms
        before = text
        text = unicodedata.normalize("NFKC", text).upper().translate(_TRADITIONAL)
        text = "".join(ch for ch in text if not _is_separator(ch))
        head = 1 if text.startswith(EMBASSY_CHAR) else 2
        text = text[:head] + text[head:].translate(_SERIAL_READING)
        if text == before:
            break
    return text


def _allowed(ch: str) -> bool:
    return ("A" <= ch <= "Z" or "0" <= ch <= "9" or ch in PROVINCES or ch in SUFFIX_KINDS
            or ch == EMBASSY_CHAR)


def validate_plate(raw: str) -> PlateInfo:
    """Normalise and check a plate; raise :class:`PlateError` when it cannot be valid."""
    plate = normalise_plate(raw)
    if not plate:
        raise PlateError("empty", _l("Enter a plate number."))
    if plate[0] == EMBASSY_CHAR or plate[-1] == EMBASSY_CHAR:
        if not _EMBASSY.fullmatch(plate):
            raise PlateError("bad_embassy",
                             _l("An embassy plate is 使 followed by six digits, e.g. 使224009."))
        return PlateInfo(plate=plate, kind="embassy", province=None, authority=None,
                         serial=plate[1:])
    province = plate[0]
    if province not in PROVINCES:
        raise PlateError("bad_province",
                         _l("A plate begins with a province abbreviation such as 渝 or 京, "
                            "not “%(char)s”.", char=province))
    for ch in plate:
        if not _allowed(ch):
            raise PlateError("bad_character",
                             _l("A plate cannot contain the character “%(char)s”.", char=ch))
    if len(plate) < 2 or plate[1] not in AUTHORITY_LETTERS:
        raise PlateError("bad_authority",
                         _l("The second character of a plate is the letter of the issuing "
                            "authority (A–Z, never I)."))
    authority, rest = plate[1], plate[2:]
    suffix = rest[-1:] if rest[-1:] in SUFFIX_KINDS else ""
    serial = rest[:-1] if suffix else rest
    expected = {"": (5, 6)}.get(suffix, (4,))
    if len(serial) not in expected:
        raise PlateError("bad_length",
                         _l("This plate has %(length)s characters; a plate of this kind has "
                            "%(expected)s.", length=len(plate),
                            expected=" / ".join(str(n + 2 + len(suffix)) for n in expected)))
    if any(ch not in SERIAL_CHARS for ch in serial):
        raise PlateError("bad_serial",
                         _l("After the authority letter a plate has only digits and the letters "
                            "A–Z except I and O."))
    if suffix:
        kind = SUFFIX_KINDS[suffix]
        if kind in {"hong_kong", "macao"} and plate[:2] != "粤Z":
            raise PlateError("bad_cross_border",
                             _l("Hong Kong and Macao cross-border plates begin with 粤Z."))
    elif len(serial) == 5:
        kind = "ordinary"
    elif _NEW_ENERGY_SMALL.fullmatch(serial):
        kind = "new_energy_small"
    elif _NEW_ENERGY_LARGE.fullmatch(serial):
        kind = "new_energy_large"
    else:
        raise PlateError("bad_new_energy",
                         _l("An eight-character (new-energy) plate has the energy letter D, F, A, "
                            "B, C, E, G, H, J or K right after the authority letter or at the end, "
                            "e.g. 渝AD12345 or 渝A12345D."))
    return PlateInfo(plate=plate, kind=kind, province=province, authority=authority,
                     serial=serial)


def is_valid_plate(raw: str) -> bool:
    """True when :func:`validate_plate` accepts ``raw``."""
    try:
        validate_plate(raw)
    except PlateError:
        return False
    return True


def default_colour(info: PlateInfo) -> Optional[str]:
    """The usual colour (a :data:`PLATE_COLOURS` key) of this kind of plate; None if it varies."""
    return _DEFAULT_COLOURS.get(info.kind)


def is_one_off(a: str, b: str) -> bool:
    """True when two plates differ by exactly one substitution, insertion or deletion."""
    return Levenshtein.distance(normalise_plate(a), normalise_plate(b), score_cutoff=1) == 1


def near_matches(plate: str, candidates: Iterable[str], limit: Optional[int] = 10) -> list[str]:
    """Candidates one character off ``plate`` (not equal to it), same-length ones first."""
    target = normalise_plate(plate)
    if not target:
        return []
    found = process.extract(target, list(candidates), scorer=Levenshtein.distance,
                            processor=normalise_plate, score_cutoff=1, limit=None)
    seen: set[str] = set()
    ordered: list[tuple[bool, int, str]] = []
    for choice, score, index in found:
        if score != 1 or choice in seen:
            continue
        seen.add(choice)
        ordered.append((len(normalise_plate(choice)) != len(target), index, choice))
    ordered.sort(key=lambda item: (item[0], item[1]))
    result = [choice for _, _, choice in ordered]
    return result if limit is None else result[:max(limit, 0)]


#: Escape character of the patterns from :func:`like_patterns` (``LIKE … ESCAPE '\\'``).
LIKE_ESCAPE = "\\"


def _escape_like(text: str) -> str:
    return "".join(LIKE_ESCAPE + ch if ch in "\\%_" else ch for ch in text)


def like_patterns(plate: str) -> list[str]:
    """SQL LIKE patterns, one per position with ``_`` there, matching one-substitution variants.

    Use with ``column.like(pattern, escape=LIKE_ESCAPE)`` OR-ed together; they also match the plate
    itself, which the caller excludes.
    """
    text = normalise_plate(plate)
    return [_escape_like(text[:i]) + "_" + _escape_like(text[i + 1:]) for i in range(len(text))]
