"""Photos of tips: the original kept encrypted for tip reviewers, a copy without metadata for
everyone else.

The copy is decoded and re-encoded by Pillow from the pixels alone (after applying the EXIF
orientation), so no EXIF, GPS, XMP, ICC or text chunk of the original survives in it.
"""
from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import filetype
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from core import crypto, settings, storage
from core.storage import UploadError

settings.define("tips.max_photo_megapixels", 40, "largest photo of a tip in megapixels "
                "(decompression bombs are refused before decoding)", minimum=1)

ORIGINALS = "tips-originals"
COPIES = "tips"
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class SavedPhoto:
    copy: storage.StoredFile
    original_name: str
    original_sha256: str
    original_mime: str


def original_context(sha256: str) -> str:
    return f"tip-photo-original:{sha256}"


def _read_bounded(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_l("The file is larger than %(mb)d MB.", mb=max_bytes // (1024 * 1024)))
    if not data:
        raise UploadError(_l("The file is empty."))
    return data


def clean_copy(data: bytes, *, max_pixels: int) -> tuple[bytes, str]:
    """The photo re-encoded from its pixels only; (bytes, mime). Raises UploadError for anything
    that is not a readable JPEG/PNG/WebP picture of at most ``max_pixels``."""
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else ""
    if mime not in IMAGE_TYPES:
        raise UploadError(_l("Only photos are accepted (JPEG, PNG or WebP; the content decides, "
                             "not the name)."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[IMAGE_TYPES[mime]]) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise UploadError(_l("The photo has too many pixels."))
                upright = ImageOps.exif_transpose(image)
                keep_alpha = IMAGE_TYPES[mime] == "PNG" and upright.mode in ("RGBA", "LA", "P")
                pixels = upright.convert("RGBA" if keep_alpha else "RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadError(_l("The photo has too many pixels.")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise UploadError(_l("The photo cannot be read; it may be damaged.")) from None
    pixels.info.clear()
    out = io.BytesIO()
    if keep_alpha:
        pixels.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    pixels.save(out, format="JPEG", quality=88)
    return out.getvalue(), "image/jpeg"


def save_photo(stream: BinaryIO, *, max_bytes: int) -> SavedPhoto:
    """Check and store one photo: the encrypted original and the clean copy."""
    data = _read_bounded(stream, max_bytes)
    max_pixels = settings.get("tips.max_photo_megapixels") * 1_000_000
    copy_bytes, copy_mime = clean_copy(data, max_pixels=max_pixels)
    sha = hashlib.sha256(data).hexdigest()
    kind = filetype.guess(data[:8192])
    sealed = crypto.encrypt_bytes(data, context=original_context(sha))
    original = storage.save_bytes(ORIGINALS, sealed, "application/octet-stream")
    try:
        copy = storage.save_bytes(COPIES, copy_bytes, copy_mime)
    except BaseException:
        storage.remove(ORIGINALS, original.stored_name)
        raise
    return SavedPhoto(copy=copy, original_name=original.stored_name, original_sha256=sha,
                      original_mime=kind.mime)


def remove(saved: SavedPhoto) -> None:
    storage.remove(COPIES, saved.copy.stored_name)
    storage.remove(ORIGINALS, saved.original_name)


def read_original(photo) -> bytes:
    """The original bytes of a TipPhoto (callers check the role and audit the read)."""
    sealed = storage.path_of(ORIGINALS, photo.original_name).read_bytes()
    return crypto.decrypt_bytes(sealed, context=original_context(photo.original_sha256))
