"""Authenticated encryption (AES-256-GCM) for protected fields, with the key from configuration."""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

VERSION = b"\x01"


class DecryptionError(Exception):
    """The ciphertext was altered, or was made with another key or context."""


def _key() -> bytes:
    key = base64.urlsafe_b64decode(current_app.config["ENCRYPTION_KEY"])
    if len(key) != 32:
        raise RuntimeError("ENCRYPTION_KEY must be 32 bytes, url-safe base64 encoded")
    return key


def encrypt_text(plain: str, *, context: str) -> str:
    """Encrypt ``plain``; ``context`` (e.g. ``"totp:12"``) is bound as associated data."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key()).encrypt(nonce, plain.encode(), context.encode())
    return base64.urlsafe_b64encode(VERSION + nonce + sealed).decode()


def decrypt_text(token: str, *, context: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    if raw[:1] != VERSION:
        raise DecryptionError("unknown ciphertext version")
    try:
        return AESGCM(_key()).decrypt(raw[1:13], raw[13:], context.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("ciphertext failed authentication") from exc


def encrypt_bytes(plain: bytes, *, context: str) -> bytes:
    """Encrypt a file's bytes (version, nonce, sealed data), ``context`` bound as associated data."""
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(_key()).encrypt(nonce, plain, context.encode())


def decrypt_bytes(sealed: bytes, *, context: str) -> bytes:
    if sealed[:1] != VERSION:
        raise DecryptionError("unknown ciphertext version")
    try:
        return AESGCM(_key()).decrypt(sealed[1:13], sealed[13:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError("ciphertext failed authentication") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """A keyed hash (HMAC-SHA256 under a key derived from the encryption key) to find equal
    values, e.g. the same informant's phone on two tips, without storing the value."""
    subkey = hmac.new(_key(), b"blind-index:" + purpose.encode(), hashlib.sha256).digest()
    return hmac.new(subkey, value.encode(), hashlib.sha256).hexdigest()
