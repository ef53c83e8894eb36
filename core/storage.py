"""Protected file storage outside the web root: generated names, SHA-256, type from content."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from core.errors import DomainError

CHUNK = 1024 * 1024
# What evidence may be: detected from the bytes, never from the name the browser sent.
ALLOWED_TYPES = {
    "image/jpeg": "photo", "image/png": "photo", "image/webp": "photo", "image/heic": "photo",
    "video/mp4": "video", "video/quicktime": "video", "video/3gpp": "video",
    "audio/mpeg": "audio", "audio/mp4": "audio", "audio/m4a": "audio", "audio/amr": "audio",
    "audio/x-wav": "audio", "audio/aac": "audio",
    "application/pdf": "document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "document",
}


class UploadError(DomainError):
    field = "file"


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int
    mime: str
    kind: str


def root(area: str) -> Path:
    """The folder of a storage area (``evidence``, ``documents``) under the instance path."""
    path = Path(current_app.config.get("STORAGE_PATH") or Path(current_app.instance_path) /
                "files") / area
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(area: str, stored_name: str) -> Path:
    name = os.path.basename(stored_name)
    return root(area) / name[:2] / name


def _write(area: str, chunks, max_bytes: int | None) -> tuple[str, str, int, bytes]:
    stored_name = secrets.token_hex(16)
    target = path_of(area, stored_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    tmp = target.with_suffix(".part")
    try:
        with open(tmp, "wb") as fh:
            for chunk in chunks:
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise UploadError(_l("The file is larger than %(mb)d MB.",
                                         mb=max_bytes // (1024 * 1024)))
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                fh.write(chunk)
        os.chmod(tmp, 0o440)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return stored_name, digest.hexdigest(), size, head


def save_upload(area: str, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
    """Store an uploaded file unchanged; refuse empty, oversized or unrecognised content."""
    stored_name, sha, size, head = _write(area, iter(lambda: stream.read(CHUNK), b""), max_bytes)
    kind = filetype.guess(head)
    mime = kind.mime if kind else "application/octet-stream"
    if size == 0 or mime not in ALLOWED_TYPES:
        remove(area, stored_name)
        raise UploadError(_l("This kind of file is not accepted (photos, audio, video, PDF or "
                             "Word documents only; the content decides, not the name)."))
    return StoredFile(stored_name, sha, size, mime, ALLOWED_TYPES[mime])


def save_bytes(area: str, data: bytes, mime: str) -> StoredFile:
    """Store generated content (e.g. an issued PDF)."""
    stored_name, sha, size, _head = _write(area, [data], None)
    return StoredFile(stored_name, sha, size, mime, "document")


def remove(area: str, stored_name: str) -> None:
    path = path_of(area, stored_name)
    if path.exists():
        os.chmod(path, 0o640)
        path.unlink()


def sha256_of(area: str, stored_name: str) -> str:
    digest = hashlib.sha256()
    with open(path_of(area, stored_name), "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()
