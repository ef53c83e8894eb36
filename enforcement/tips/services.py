"""Tip services: intake (public and hotline), receipt codes, review steps, duplicates, identity.

Every function takes the acting user explicitly (``None`` for the anonymous public), flushes but
never commits, and raises DomainError (422, naming the field) or ConflictError (409). Checks run
before anything is stored, so a refused tip leaves no row and no file behind.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import BinaryIO, Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from shapely.geometry import Point, shape
from sqlalchemy import select

from core import audit, crypto, geo, identity, plates, scoping, settings, storage
from core.base import local_today, utcnow
from core.errors import ConflictError, DomainError
from core.models import Unit
from core.roles import Role
from enforcement import deadlines
from enforcement.tips import photos
from enforcement.tips.models import (
    REWARDABLE,
    Tip,
    TipCase,
    TipChannel,
    TipMessage,
    TipPhoto,
    TipPlate,
    TipStatus,
    TipVerdict,
)
from extensions import db

settings.define("tips.accept_working_days", 1, "working days to accept a tip", minimum=1)
settings.define("tips.conclude_days", 15, "days to conclude a tip after accepting it", minimum=1)
settings.define("tips.reply_days", 5, "days to tell the informant after the verdict", minimum=1)
settings.define("tips.duplicate_window_days", 7, "tips this many days apart may be duplicates")
settings.define("tips.duplicate_radius_m", 300, "tips this close together may be duplicates")
settings.define("tips.max_upload_mb", 10, "largest photo of a tip in megabytes",
                minimum=1)
settings.define("tips.max_photos", 6, "files one tip may carry", minimum=0)

# Crockford base32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
LOOKUP_CHARS = 8  # 40 bits: public, unique, indexed
SECRET_CHARS = 20  # 100 bits: stored only as an argon2 hash
MAX_WHAT = 200
MAX_DESCRIPTION = 2000
MAX_MESSAGE = 2000
KEEP_CONTROLS = frozenset("\n\t")

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against for an unknown receipt code, so that both paths cost the same; made at
    the first use, not at import (an argon2 hash costs every start a quarter of a second)."""
    return _hasher.hash(secrets.token_hex(16))


class TipInputError(DomainError):
    """Several fields of a tip are not valid; ``fields`` names each one."""


@dataclass
class PhotoUpload:
    stream: BinaryIO
    filename: str = ""


@dataclass
class TipInput:
    what: str
    description: str
    occurred_at: dt.datetime
    address: str = ""
    lat: Optional[float] = None
    lng: Optional[float] = None
    plates: list[str] = field(default_factory=list)
    name: Optional[str] = None
    phone: Optional[str] = None
    wants_reward: bool = False
    photos: list[PhotoUpload] = field(default_factory=list)


# Pure helpers ------------------------------------------------------------------------------

def clean_text(value: Optional[str]) -> str:
    """NFC text without control (except newline and tab) or format (zero-width, bidi) characters."""
    text = unicodedata.normalize("NFC", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    return "".join(ch for ch in text if ch in KEEP_CONTROLS or
                   unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co")).strip()


def _random_chars(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def _groups(text: str) -> str:
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def format_receipt(lookup: str, secret: str) -> str:
    """``ABCD-EFGH-`` (the lookup part) followed by the secret in groups of four."""
    return _groups(lookup + secret)


def parse_receipt(code: str) -> Optional[tuple[str, str]]:
    """(lookup, secret) of a code as typed (any case, spaces or hyphens, O/I/L read as 0/1)."""
    text = unicodedata.normalize("NFKC", code or "").upper().translate(_READ_AS)
    text = "".join(ch for ch in text if ch.isalnum())
    if len(text) != LOOKUP_CHARS + SECRET_CHARS or any(ch not in ALPHABET for ch in text):
        return None
    return text[:LOOKUP_CHARS], text[LOOKUP_CHARS:]


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def phone_index(phone: str) -> str:
    """The blind index of a (validated) phone number: equal phones, equal index."""
    return crypto.blind_index(phone, purpose="phone")


def identity_context(tip: Tip, what: str) -> str:
    return f"tip-identity:{tip.identity_salt}:{what}"


# Intake ------------------------------------------------------------------------------------

def root_unit() -> Optional[Unit]:
    return db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id)
                             .limit(1))


def _inside_city(root: Optional[Unit], lat: float, lng: float) -> bool:
    if root is None or root.boundary_geojson is None:
        return True
    geojson = root.boundary_geojson
    geom = shape(geojson.get("geometry", geojson) if geojson.get("type") == "Feature" else geojson)
    point = Point(lng, lat)
    return geom.contains(point) or geom.touches(point)


def _validate(data: TipInput, *, channel: TipChannel, now: dt.datetime) -> dict:
    """Clean and check every field; raise TipInputError naming all bad fields at once."""
    errors: dict[str, list[str]] = {}

    def bad(name, message):
        errors.setdefault(name, []).append(str(message))

    out: dict = {}
    what = clean_text(data.what)
    if not what:
        bad("what", _l("Say briefly what happened."))
    elif len(what) > MAX_WHAT:
        bad("what", _l("At most %(n)d characters.", n=MAX_WHAT))
    description = clean_text(data.description)
    if not description:
        bad("description", _l("Describe what you saw."))
    elif len(description) > MAX_DESCRIPTION:
        bad("description", _l("At most %(n)d characters.", n=MAX_DESCRIPTION))
    address = clean_text(data.address)
    if len(address) > 200:
        bad("address", _l("At most %(n)d characters.", n=200))
    occurred_at = data.occurred_at
    if occurred_at is None or occurred_at.tzinfo is None:
        bad("occurred_at", _l("Enter when it happened."))
    elif occurred_at > now + dt.timedelta(minutes=5):
        bad("occurred_at", _l("The time lies in the future."))
    elif occurred_at < now - dt.timedelta(days=365):
        bad("occurred_at", _l("The time is more than a year ago."))
    lat, lng = data.lat, data.lng
    root = root_unit()
    if lat is None or lng is None:
        if channel is TipChannel.web:
            bad("lat", _l("Pick the place on the map."))
        lat = lng = None
    elif not (-90 <= lat <= 90 and -180 <= lng <= 180 and math.isfinite(lat + lng)):
        bad("lat", _l("The point is not a valid position."))
    elif not _inside_city(root, lat, lng):
        bad("lat", _l("The point lies outside the city."))
    if not address and lat is None:
        bad("address", _l("Give the address or pick the place on the map."))
    normalised = []
    for raw in data.plates:
        if not clean_text(raw):
            continue
        try:
            plate = plates.validate_plate(clean_text(raw)).plate
        except plates.PlateError as exc:
            bad("plates", exc.message)
            continue
        if plate not in normalised:
            normalised.append(plate)
    if len(normalised) > 5:
        bad("plates", _l("At most %(n)d plates.", n=5))
    name = clean_text(data.name) or None
    if name and len(name) > 60:
        bad("name", _l("At most %(n)d characters.", n=60))
    phone = None
    if clean_text(data.phone):
        try:
            phone = identity.validate_phone(clean_text(data.phone))
        except identity.PhoneError as exc:
            bad("phone", exc.message)
    if data.wants_reward and not (name and clean_text(data.phone)):
        bad("name" if not name else "phone",
            _l("A reward needs your name and phone number."))
    if len(data.photos) > settings.get("tips.max_photos"):
        bad("photos", _l("At most %(n)d files.", n=settings.get("tips.max_photos")))
    if errors:
        raise TipInputError(_l("Some fields are not valid."), fields=errors)
    out.update(what=what, description=description, address=address, occurred_at=occurred_at,
               lat=lat, lng=lng, plates=normalised, name=name, phone=phone, root=root)
    return out


def _save_photos(uploads: list[PhotoUpload]) -> list[photos.SavedPhoto]:
    max_bytes = settings.get("tips.max_upload_mb") * 1024 * 1024
    saved: list[photos.SavedPhoto] = []
    try:
        for upload in uploads:
            saved.append(photos.save_photo(upload.stream, max_bytes=max_bytes))
    except storage.UploadError as exc:
        for item in saved:
            photos.remove(item)
        raise TipInputError(exc.message, field="photos") from None
    return saved


def _due(start: dt.date, days: int, *, working: bool = False) -> dt.date:
    from enforcement.cases.clocks import work_calendar

    periods = {days} if working else set(settings.get("deadline.working_day_periods"))
    return deadlines.deadline(start, days, work_calendar(), working_day_periods=periods)


def shared_receipt_secret() -> tuple[str, str]:
    """A receipt secret and its hash for tips entered in bulk (demo data): one slow hash for all
    of them instead of one each (their lookup parts stay unique). Never for the public's tips."""
    secret = _random_chars(SECRET_CHARS)
    return secret, _hasher.hash(secret)


def submit_tip(data: TipInput, *, channel: TipChannel | str, actor=None,
               shared_secret: Optional[tuple[str, str]] = None) -> tuple[Tip, str]:
    """Take in a tip (public web form, or staff entering a hotline call); returns the tip and
    the receipt code, which is shown once and stored only as a hash (``shared_secret``: see
    :func:`shared_receipt_secret`)."""
    channel = TipChannel(channel)
    if channel is not TipChannel.web and (actor is None or actor.role is not Role.tip_reviewer):
        raise DomainError(_l("Only tip reviewers enter hotline and transferred tips."),
                          field="channel")
    now = utcnow()
    clean = _validate(data, channel=channel, now=now)
    stored = _save_photos(data.photos)
    unit = geo.unit_for_point(clean["lat"], clean["lng"]) if clean["lat"] is not None else None
    unit = unit or clean["root"]
    lookup = _random_chars(LOOKUP_CHARS)
    while db.session.scalar(select(Tip.id).where(Tip.receipt_lookup == lookup)) is not None:
        lookup = _random_chars(LOOKUP_CHARS)
    if shared_secret is None:
        secret = _random_chars(SECRET_CHARS)
        secret_hash = _hasher.hash(secret)
    else:
        secret, secret_hash = shared_secret
    tip = Tip(unit_id=unit.id if unit else None, status=TipStatus.received, channel=channel,
              what=clean["what"], description=clean["description"], address=clean["address"],
              lat=clean["lat"], lng=clean["lng"], occurred_at=clean["occurred_at"],
              receipt_lookup=lookup, receipt_hash=secret_hash,
              identity_salt=secrets.token_hex(16), wants_reward=bool(data.wants_reward),
              created_by_id=getattr(actor, "id", None), created_at=now,
              accept_due_on=_due(local_today(now), settings.get("tips.accept_working_days"),
                                 working=True))
    if clean["name"]:
        tip.name_enc = crypto.encrypt_text(clean["name"], context=identity_context(tip, "name"))
    if clean["phone"]:
        tip.phone_enc = crypto.encrypt_text(clean["phone"],
                                            context=identity_context(tip, "phone"))
        tip.phone_index = phone_index(clean["phone"])
    tip.plates = [TipPlate(plate=p) for p in clean["plates"]]
    tip.photos = [TipPhoto(stored_name=s.copy.stored_name, sha256=s.copy.sha256, size=s.copy.size,
                           mime=s.copy.mime, original_name=s.original_name,
                           original_sha256=s.original_sha256, original_mime=s.original_mime)
                  for s in stored]
    db.session.add(tip)
    db.session.flush()
    audit.record("tip.submit", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id, detail={"channel": channel.value})
    return tip, format_receipt(lookup, secret)


def find_by_receipt(code: str) -> Optional[Tip]:
    """The tip of a receipt code, or None; a wrong secret and an unknown lookup cost the same."""
    parsed = parse_receipt(code)
    lookup, secret = parsed if parsed else ("", "x")
    tip = db.session.scalar(select(Tip).where(Tip.receipt_lookup == lookup)) if parsed else None
    try:
        _hasher.verify(tip.receipt_hash if tip else _dummy_hash(), secret)
    except (VerificationError, InvalidHashError):
        return None
    return tip


def public_status(tip: Tip) -> dict:
    """What the public page may say: the status and, when due, how to claim the reward."""
    shown = tip.merged_into if tip.merged_into_id else tip
    out = {"status": shown.status.value}
    if tip.merged_into_id is None and tip.status in REWARDABLE and tip.wants_reward:
        out["claim_hint"] = str(_l("Your tip was found true. The unit handling it will call you "
                                   "about the reward; bring your ID card and this receipt code."))
    return out


# Messages ----------------------------------------------------------------------------------

def _message_body(body: str) -> str:
    text = clean_text(body)
    if not text:
        raise DomainError(_l("Write a message."), field="body")
    if len(text) > MAX_MESSAGE:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_MESSAGE), field="body")
    return text


def informant_message(tip: Tip, body: str) -> TipMessage:
    """A message from the informant (through the receipt code)."""
    message = TipMessage(from_informant=True, body=_message_body(body), at=utcnow())
    tip.messages.append(message)
    db.session.flush()
    return message


def reviewer_message(tip: Tip, actor, body: str) -> TipMessage:
    """A message to the informant; after the verdict the first one counts as the reply."""
    message = TipMessage(from_informant=False, author_id=actor.id, body=_message_body(body),
                         at=utcnow())
    tip.messages.append(message)
    if tip.concluded_at is not None and tip.replied_at is None:
        tip.replied_at = message.at
    db.session.flush()
    audit.record("tip.message", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id)
    return message


# Review ------------------------------------------------------------------------------------

def _require_open(tip: Tip) -> None:
    if not tip.is_open:
        raise ConflictError(_l("This tip is no longer open."))


def accept(tip: Tip, actor) -> Tip:
    """Accept a received tip; the time to conclude starts."""
    if tip.status is not TipStatus.received or tip.merged_into_id is not None:
        raise ConflictError(_l("Only a newly received tip can be accepted."))
    now = utcnow()
    tip.status, tip.accepted_at = TipStatus.accepted, now
    tip.conclude_due_on = _due(local_today(now), settings.get("tips.conclude_days"))
    db.session.flush()
    audit.record("tip.accept", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id)
    return tip


def assign(tip: Tip, actor, unit: Unit) -> Tip:
    """Give the tip to another unit (the location chose one at intake); within the actor's scope."""
    _require_open(tip)
    if not scoping.can_see_unit(actor, unit) or not unit.is_active:
        raise DomainError(_l("Choose a unit in your area."), field="unit_id")
    before = tip.unit_id
    tip.unit_id = unit.id
    db.session.flush()
    audit.record("tip.assign", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=unit.id, detail={"from": before, "to": unit.id})
    return tip


def link_case(tip: Tip, actor, case) -> TipCase:
    """Link a case (in the actor's scope) to the tip; an accepted tip is now investigated."""
    _require_open(tip)
    if case is None or not scoping.in_scope(actor, case):
        raise DomainError(_l("No such case in your area."), field="case_number")
    if any(link.case_id == case.id for link in tip.case_links):
        raise ConflictError(_l("The case is already linked."))
    link = TipCase(case_id=case.id, linked_by_id=actor.id, linked_at=utcnow())
    tip.case_links.append(link)
    if tip.status is TipStatus.accepted:
        tip.status = TipStatus.investigating
    db.session.flush()
    audit.record("tip.link_case", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id, detail={"case_id": case.id})
    return link


def conclude(tip: Tip, actor, verdict: TipVerdict | str, reason: str) -> Tip:
    """Record the verdict with its reason; the time to tell the informant starts."""
    if tip.status not in (TipStatus.accepted, TipStatus.investigating) or tip.merged_into_id:
        raise ConflictError(_l("Accept the tip before concluding it."))
    try:
        verdict = TipVerdict(verdict)
    except ValueError:
        raise DomainError(_l("Choose a verdict."), field="verdict") from None
    reason = clean_text(reason)
    if not reason:
        raise DomainError(_l("Give the reason for the verdict."), field="reason")
    if len(reason) > MAX_DESCRIPTION:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_DESCRIPTION), field="reason")
    now = utcnow()
    tip.verdict, tip.verdict_reason, tip.concluded_at = verdict, reason, now
    tip.status = TipStatus(verdict.value)
    tip.reply_due_on = _due(local_today(now), settings.get("tips.reply_days"))
    db.session.flush()
    audit.record("tip.conclude", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id, detail={"verdict": verdict.value})
    return tip


def close(tip: Tip, actor) -> Tip:
    """Close a concluded tip (after the informant was told)."""
    if tip.concluded_at is None or tip.status is TipStatus.closed:
        raise ConflictError(_l("Only a concluded tip can be closed."))
    tip.status = TipStatus.closed
    db.session.flush()
    audit.record("tip.close", actor=actor, object_type="tip", object_id=tip.id,
                 unit_id=tip.unit_id)
    return tip


def reveal_identity(tip: Tip, actor) -> dict:
    """The informant's name and phone for a tip reviewer (see ``custody`` for everyone else)."""
    from enforcement.tips import custody

    return custody.reveal(tip, actor)


def decrypt_identity(tip: Tip) -> dict:
    """Decrypt name and phone; callers decide who may and audit the read (``custody``)."""
    out = {"name": None, "phone": None}
    if tip.name_enc:
        out["name"] = crypto.decrypt_text(tip.name_enc, context=identity_context(tip, "name"))
    if tip.phone_enc:
        out["phone"] = crypto.decrypt_text(tip.phone_enc,
                                           context=identity_context(tip, "phone"))
    return out


# Duplicates --------------------------------------------------------------------------------

def find_duplicates(tip: Tip, actor, window_days: Optional[int] = None) -> list[Tip]:
    """Other tips in the actor's scope with one of the same plates, or within the configured
    radius, received within ``window_days`` of this one; earliest first."""
    from enforcement.tips import queries

    window = dt.timedelta(days=settings.get("tips.duplicate_window_days")
                          if window_days is None else window_days)
    radius = settings.get("tips.duplicate_radius_m")
    candidates = db.session.scalars(queries.duplicate_candidates(
        actor, tip, since=tip.created_at - window, until=tip.created_at + window,
        radius_m=radius)).all()
    out = []
    for other in candidates:
        same_plate = bool(set(other.plate_list) & set(tip.plate_list))
        near = (tip.lat is not None and other.lat is not None and
                distance_m(tip.lat, tip.lng, other.lat, other.lng) <= radius)
        if same_plate or near:
            out.append(other)
    return out


def merge(duplicate: Tip, into: Tip, actor) -> Tip:
    """Merge two tips on the same facts: the earlier one stays primary. Returns the primary."""
    if duplicate.id == into.id:
        raise DomainError(_l("A tip cannot be merged with itself."), field="into_id")
    if not (scoping.in_scope(actor, duplicate) and scoping.in_scope(actor, into)):
        raise DomainError(_l("No such tip in your area."), field="into_id")
    primary, secondary = sorted((duplicate, into), key=lambda t: (t.created_at, t.id))
    if primary.merged_into_id is not None or secondary.merged_into_id is not None:
        raise ConflictError(_l("One of these tips is already merged."))
    if not secondary.is_open:
        raise ConflictError(_l("Only an open tip can be merged into another."))
    secondary.merged_into_id = primary.id
    secondary.status = TipStatus.closed
    db.session.flush()
    audit.record("tip.merge", actor=actor, object_type="tip", object_id=secondary.id,
                 unit_id=secondary.unit_id, detail={"into": primary.id})
    return primary
