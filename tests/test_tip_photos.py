"""Tip photos: the original kept encrypted for tip reviewers; every other copy without EXIF, GPS
or author metadata; bombs, disguised files and broken pictures refused with nothing stored."""
from __future__ import annotations

import io
import os

import pytest
from PIL import Image

from core import storage
from core.errors import DomainError
from enforcement.tips import photos
from tests.factories import photo_bytes

MB = 1024 * 1024

pytestmark = pytest.mark.usefixtures("english")


def _files(app, area):
    root = os.path.join(app.config["STORAGE_PATH"], area)
    return sum(len(f) for _r, _d, f in os.walk(root))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_copy_has_no_metadata_and_original_is_encrypted(db, app, fmt):
    data = photo_bytes(fmt)
    assert b"SECRET-AUTHOR" in data
    saved = photos.save_photo(io.BytesIO(data), max_bytes=MB)
    copy = storage.path_of(photos.COPIES, saved.copy.stored_name).read_bytes()
    assert b"SECRET-AUTHOR" not in copy
    with Image.open(io.BytesIO(copy)) as image:
        assert image.size == (64, 48)
        assert not image.getexif() and not image.getexif().get_ifd(0x8825)
        assert "Author" not in image.info and "exif" not in image.info
    sealed = storage.path_of(photos.ORIGINALS, saved.original_name).read_bytes()
    assert b"SECRET-AUTHOR" not in sealed and data not in sealed

    class Row:
        original_name, original_sha256 = saved.original_name, saved.original_sha256

    assert photos.read_original(Row) == data


def test_orientation_is_applied_before_metadata_goes():
    image = Image.new("RGB", (60, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when shown
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    copy, mime = photos.clean_copy(out.getvalue(), max_pixels=10**6)
    with Image.open(io.BytesIO(copy)) as clean:
        assert mime == "image/jpeg" and clean.size == (20, 60)


@pytest.mark.parametrize("data, message", [
    (b"<html><script>alert(1)</script></html>", "Only photos"),
    (b"PK\x03\x04" + b"\x00" * 100, "Only photos"),                 # a zip
    (b"%PDF-1.4\n" + b"\x00" * 100, "Only photos"),
    (photo_bytes()[:60], "cannot be read"),                         # a truncated JPEG
])
def test_not_a_photo_is_refused(db, app, data, message):
    before = _files(app, photos.ORIGINALS) + _files(app, photos.COPIES)
    with pytest.raises(DomainError, match=message):
        photos.save_photo(io.BytesIO(data), max_bytes=MB)
    assert _files(app, photos.ORIGINALS) + _files(app, photos.COPIES) == before


def test_decompression_bomb_is_refused_before_decoding(db, app):
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, format="PNG", optimize=True)
    assert len(bomb.getvalue()) < MB  # tiny on disk, 144 megapixels once decoded
    with pytest.raises(DomainError, match="too many pixels"):
        photos.save_photo(io.BytesIO(bomb.getvalue()), max_bytes=MB)


def test_oversized_and_empty_uploads_are_refused(db, app):
    with pytest.raises(DomainError, match="larger than 1 MB"):
        photos.save_photo(io.BytesIO(photo_bytes() + b"\x00" * MB), max_bytes=MB)
    with pytest.raises(DomainError, match="empty"):
        photos.save_photo(io.BytesIO(b""), max_bytes=MB)
