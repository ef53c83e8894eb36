"""factory_boy factories for the core models (they flush into the test's session)."""
from __future__ import annotations

import datetime as dt

import factory
from factory.alchemy import SQLAlchemyModelFactory

from core import security
from core.models import Unit, UnitKind, User
from core.roles import Role
from extensions import db

PASSWORD = "Correct-Horse-Battery-9"
_HASH = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = security.hash_password(PASSWORD)
    return _HASH


class UnitFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Unit
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    code = factory.Sequence(lambda n: f"{510100 + n}")
    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = UnitKind.district
    parent = None

    @factory.post_generation
    def set_path(obj, create, extracted, **kwargs):  # noqa: N805
        parent = obj.parent
        obj.path = f"{parent.path if parent else '/'}{obj.id}/"
        obj.depth = parent.depth + 1 if parent else 0
        db.session.flush()


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    role = Role.officer
    unit = factory.SubFactory(UnitFactory)
    password_hash = factory.LazyFunction(_password_hash)
    cert_no = factory.Sequence(lambda n: f"渝交执{n:06d}")
    cert_expires_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=365))


def photo_bytes(fmt: str = "JPEG", *, size=(64, 48), marker: str = "SECRET-AUTHOR") -> bytes:
    """A real picture carrying EXIF author/description and a GPS position (JPEG/WebP) or a
    text chunk (PNG), to prove that copies lose them."""
    import io as _io

    from PIL import Image as _Image
    from PIL import PngImagePlugin

    image = _Image.new("RGB", size, (200, 30, 30))
    out = _io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", marker)
        image.save(out, format="PNG", pnginfo=info)
        return out.getvalue()
    exif = _Image.Exif()
    exif[0x013B] = marker  # Artist
    exif[0x010E] = marker  # ImageDescription
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (29.0, 33.0, 36.0)
    gps[3], gps[4] = "E", (106.0, 33.0, 0.0)
    image.save(out, format=fmt, exif=exif.tobytes())
    return out.getvalue()
