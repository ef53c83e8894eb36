"""Blacklist (黑名单) and focused-attention list (重点关注名单): entries, their reasons, objections,
the event history (which is also the change feed), publication batches and sightings."""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Optional

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.base import UTCDateTime, utcnow
from core.models import Unit, User, str_enum
from extensions import db


class EntryStatus(str, enum.Enum):
    nominated = "nominated"
    notified = "notified"
    listed = "listed"
    published = "published"
    expired = "expired"
    removed = "removed"


class ListKind(str, enum.Enum):
    blacklist = "blacklist"
    attention = "attention"  # 重点关注名单: below the blacklist threshold, watched the same way


class SubjectKind(str, enum.Enum):
    vehicle = "vehicle"
    person = "person"
    area = "area"


class ObjectionStatus(str, enum.Enum):
    pending = "pending"
    upheld = "upheld"
    rejected = "rejected"


#: Entries that count as "on the list" (checks, monitoring, the feed's rebuilt list).
ACTIVE = frozenset({EntryStatus.listed, EntryStatus.published})
ENDED = frozenset({EntryStatus.expired, EntryStatus.removed})
OPEN = frozenset({EntryStatus.nominated, EntryStatus.notified}) | ACTIVE


def _uid() -> str:
    return uuid.uuid4().hex


def _entry_visible(actor, entry) -> bool:
    """An entry is seen by its unit's subtree; once published, by every unit (shared list)."""
    from core import scoping

    return entry.status is EntryStatus.published or scoping.can_see_unit(actor, entry.unit)


class BlacklistEntry(db.Model):
    """One listing of one subject (vehicle, person or key area) for one set of facts."""

    __tablename__ = "blacklist_entries"
    __unit_column__ = "unit_id"
    __scope_check__ = staticmethod(_entry_visible)
    __table_args__ = (
        UniqueConstraint("rule_code", "subject_key", "facts_key"),  # never nominated twice
        Index("ix_blacklist_entries_plate_status", "plate", "status"),
        Index("ix_blacklist_entries_id_number_status", "id_number", "status"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on > starts_on",
                        name="ends_after_start"),
        CheckConstraint("length(reason) > 0", name="has_reason"),
        CheckConstraint("status NOT IN ('listed', 'published') OR (starts_on IS NOT NULL AND "
                        "ends_on IS NOT NULL)", name="active_has_period"),
        CheckConstraint("list_kind <> 'blacklist' OR status NOT IN ('notified', 'listed', "
                        "'published') OR office_approved_by_id IS NOT NULL",
                        name="listing_approved"),
        CheckConstraint("status NOT IN ('expired', 'removed') OR ended_at IS NOT NULL",
                        name="ended_has_time"),
        CheckConstraint("subject_kind <> 'vehicle' OR plate IS NOT NULL", name="vehicle_plate"),
        CheckConstraint("subject_kind <> 'person' OR person_name IS NOT NULL",
                        name="person_name"),
        CheckConstraint("subject_kind <> 'area' OR area_name IS NOT NULL", name="area_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(32), unique=True, default=_uid)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    list_kind: Mapped[ListKind] = mapped_column(str_enum(ListKind), default=ListKind.blacklist)
    subject_kind: Mapped[SubjectKind] = mapped_column(str_enum(SubjectKind))
    subject_key: Mapped[str] = mapped_column(String(80))
    status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus),
                                                default=EntryStatus.nominated, index=True)
    rule_code: Mapped[str] = mapped_column(String(40))
    facts_key: Mapped[str] = mapped_column(String(64))
    is_serious: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text)
    # the subject
    plate: Mapped[Optional[str]] = mapped_column(String(16))
    plate_colour: Mapped[Optional[str]] = mapped_column(String(16))
    vin: Mapped[Optional[str]] = mapped_column(String(17))
    vehicle_id: Mapped[Optional[int]] = mapped_column(ForeignKey("vehicles.id"), index=True)
    person_name: Mapped[Optional[str]] = mapped_column(String(60))
    id_number: Mapped[Optional[str]] = mapped_column(String(18))
    phone: Mapped[Optional[str]] = mapped_column(String(20))
    person_id: Mapped[Optional[int]] = mapped_column(ForeignKey("persons.id"), index=True)
    area_name: Mapped[Optional[str]] = mapped_column(String(120))
    area_lat: Mapped[Optional[float]] = mapped_column(Float)
    area_lng: Mapped[Optional[float]] = mapped_column(Float)
    # the process
    nominated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    nominated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    leader_approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    leader_approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    office_approved_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    office_approved_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    notified_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    notified_on: Mapped[Optional[dt.date]]
    objection_due_on: Mapped[Optional[dt.date]]
    listed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[Optional[dt.date]]
    ends_on: Mapped[Optional[dt.date]] = mapped_column(index=True)
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    first_published_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    ended_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    end_reason: Mapped[Optional[str]] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    cases: Mapped[list[EntryCase]] = relationship(cascade="all, delete-orphan",
                                                    order_by="EntryCase.case_id",
                                                    back_populates="entry")
    events: Mapped[list[EntryEvent]] = relationship(order_by="EntryEvent.id",
                                                      back_populates="entry")
    objections: Mapped[list[Objection]] = relationship(order_by="Objection.id",
                                                         back_populates="entry")
    nominated_by: Mapped[Optional[User]] = relationship(foreign_keys=[nominated_by_id])
    leader_approved_by: Mapped[Optional[User]] = relationship(
        foreign_keys=[leader_approved_by_id])
    office_approved_by: Mapped[Optional[User]] = relationship(
        foreign_keys=[office_approved_by_id])
    notified_by: Mapped[Optional[User]] = relationship(foreign_keys=[notified_by_id])
    listed_by: Mapped[Optional[User]] = relationship(foreign_keys=[listed_by_id])
    published_by: Mapped[Optional[User]] = relationship(foreign_keys=[published_by_id])
    ended_by: Mapped[Optional[User]] = relationship(foreign_keys=[ended_by_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED

    @property
    def subject_label(self) -> str:
        if self.subject_kind is SubjectKind.vehicle:
            return self.plate or ""
        if self.subject_kind is SubjectKind.person:
            return self.person_name or ""
        return self.area_name or ""


class EntryCase(db.Model):
    """A case that is a reason for the entry."""

    __tablename__ = "blacklist_entry_cases"
    __scope_parent__ = "entry"

    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id", ondelete="CASCADE"),
                                          primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True, index=True)

    entry: Mapped[BlacklistEntry] = relationship(back_populates="cases")
    case = relationship("Case")


class EntryEvent(db.Model):
    """One step of an entry's history (never edited or deleted). Steps that change the list
    carry ``feed_seq``, the change feed's order (issued under a row lock held until commit, so
    sequence order is commit order and a consumer never skips a late commit); ``snapshot`` is
    the entry's shareable state after the step; ``is_shared`` marks steps taken once the entry
    had been published (every unit may see them)."""

    __tablename__ = "blacklist_events"
    __scope_parent__ = "entry"
    __table_args__ = (CheckConstraint("(feed_seq IS NOT NULL) = is_feed", name="feed_has_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[Optional[EntryStatus]] = mapped_column(
        str_enum(EntryStatus, "event_from_status"))
    to_status: Mapped[EntryStatus] = mapped_column(str_enum(EntryStatus, "event_to_status"))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    is_feed: Mapped[bool] = mapped_column(default=False)
    feed_seq: Mapped[Optional[int]] = mapped_column(Integer, unique=True)
    is_shared: Mapped[bool] = mapped_column(default=False)
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)

    entry: Mapped[BlacklistEntry] = relationship(back_populates="events")
    actor: Mapped[Optional[User]] = relationship()


class FeedCounter(db.Model):
    """The last change-feed sequence number issued (one row, locked while a step is recorded)."""

    __tablename__ = "blacklist_feed_counter"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class Objection(db.Model):
    """The party's objection (异议) and its review, upheld or rejected with reasons."""

    __tablename__ = "blacklist_objections"
    __scope_parent__ = "entry"
    __table_args__ = (
        CheckConstraint("length(grounds) > 0", name="has_grounds"),
        CheckConstraint("(status = 'pending') = (reviewed_at IS NULL)", name="reviewed_iff_done"),
        CheckConstraint("status = 'pending' OR length(coalesce(review_reason, '')) > 0",
                        name="review_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    status: Mapped[ObjectionStatus] = mapped_column(str_enum(ObjectionStatus),
                                                    default=ObjectionStatus.pending)
    received_on: Mapped[dt.date]
    grounds: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)
    review_reason: Mapped[Optional[str]] = mapped_column(Text)

    entry: Mapped[BlacklistEntry] = relationship(back_populates="objections")
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])
    reviewed_by: Mapped[Optional[User]] = relationship(foreign_keys=[reviewed_by_id])


class PublicationBatch(db.Model):
    """A periodic publication (定期曝光): a frozen, already-masked snapshot of what was listed."""

    __tablename__ = "blacklist_batches"
    __unit_column__ = "unit_id"
    __shared__ = True  # published: every unit and the public may read it

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    published_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    unit: Mapped[Unit] = relationship()
    items: Mapped[list[BatchItem]] = relationship(order_by="BatchItem.id",
                                                    back_populates="batch",
                                                    cascade="all, delete-orphan")


class BatchItem(db.Model):
    """One entry as published in a batch: the masked public fields, frozen."""

    __tablename__ = "blacklist_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("blacklist_batches.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    public: Mapped[dict] = mapped_column(JSON)

    batch: Mapped[PublicationBatch] = relationship(back_populates="items")
    entry: Mapped[BlacklistEntry] = relationship()


class SightingSource(str, enum.Enum):
    case = "case"
    tip = "tip"
    quick_check = "quick_check"
    api_check = "api_check"


class Sighting(db.Model):
    """A listed plate entered somewhere: the alert of the monitoring page."""

    __tablename__ = "blacklist_sightings"
    __unit_column__ = "unit_id"
    __table_args__ = (
        Index("ix_blacklist_sightings_unit_seen", "unit_id", "seen_at"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="point_complete"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("blacklist_entries.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    plate: Mapped[str] = mapped_column(String(16))
    source: Mapped[SightingSource] = mapped_column(str_enum(SightingSource))
    source_id: Mapped[Optional[int]] = mapped_column(Integer)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[Optional[float]] = mapped_column(Float)
    lng: Mapped[Optional[float]] = mapped_column(Float)
    acknowledged_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)

    entry: Mapped[BlacklistEntry] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()


class SyncSource(db.Model):
    """Another instance whose change feed this one pulls (``blacklist sync``), and its cursor."""

    __tablename__ = "blacklist_sync_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(300), unique=True)
    cursor: Mapped[Optional[str]] = mapped_column(Text)
    last_synced_at: Mapped[Optional[dt.datetime]] = mapped_column(UTCDateTime)


class RemoteEntry(db.Model):
    """An entry of another instance, as its change feed last described it."""

    __tablename__ = "blacklist_remote_entries"
    __table_args__ = (UniqueConstraint("source_id", "uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("blacklist_sync_sources.id"))
    uid: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    plate: Mapped[Optional[str]] = mapped_column(String(16), index=True)
    data: Mapped[dict] = mapped_column(JSON)
    last_event_id: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PlateKey(db.Model):
    """The near-match index of the checks (``blacklist/plate_keys.py``): an entry's plate under
    itself and under each string one character shorter. Keys depend on the plate alone, so rows
    are only ever added (a plate with no active entry finds nothing)."""

    __tablename__ = "blacklist_plate_keys"
    __table_args__ = {"sqlite_with_rowid": False}

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), primary_key=True)
