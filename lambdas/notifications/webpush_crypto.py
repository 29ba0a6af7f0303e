"""Web Push message encryption (RFC 8291) in the aes128gcm content coding (RFC 8188), one record.

Written over `cryptography` because the reference library (http-ece) ships no wheel and the
Lambda layers install wheels only; the tests and the local push service decrypt every message
with http-ece itself, so the two cannot drift apart.

    ikm   = HKDF(salt=auth_secret, ikm=ECDH(as_private, ua_public),
                 info="WebPush: info" || 0x00 || ua_public || as_public, 32)
    prk   = HKDF-Extract(salt, ikm)
    cek   = HKDF-Expand(prk, "Content-Encoding: aes128gcm" || 0x00, 16)
    nonce = HKDF-Expand(prk, "Content-Encoding: nonce" || 0x00, 12)
    body  = salt(16) || record size(4) || key id length(1) || as_public(65) || AES-128-GCM(plaintext || 0x02)
"""

from __future__ import annotations

import base64
import os
import struct

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RECORD_SIZE = 4096
MAX_PLAINTEXT = RECORD_SIZE - 16 - 1 - 86  # one record, less the tag, the delimiter and the header


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def encrypt(plaintext: bytes, ua_public: str, auth_secret: str, *, salt: bytes | None = None) -> bytes:
    """The aes128gcm body for a subscription's keys (p256dh and auth, base64url as the browser gives them)."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise ValueError(f"a push message carries at most {MAX_PLAINTEXT} bytes, not {len(plaintext)}")
    receiver = b64url_decode(ua_public)
    receiver_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), receiver)
    sender_key = ec.generate_private_key(ec.SECP256R1())
    sender = sender_key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    shared = sender_key.exchange(ec.ECDH(), receiver_key)
    ikm = _hkdf(b64url_decode(auth_secret), shared, b"WebPush: info\x00" + receiver + sender, 32)
    salt = salt or os.urandom(16)
    pseudo_random = _extract(salt, ikm)
    cek = HKDFExpand(algorithm=hashes.SHA256(), length=16, info=b"Content-Encoding: aes128gcm\x00").derive(
        pseudo_random
    )
    nonce = HKDFExpand(algorithm=hashes.SHA256(), length=12, info=b"Content-Encoding: nonce\x00").derive(
        pseudo_random
    )
    ciphertext = AESGCM(cek).encrypt(nonce, plaintext + b"\x02", None)
    return salt + struct.pack("!IB", RECORD_SIZE, len(sender)) + sender + ciphertext


def _extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract (RFC 5869): HMAC-SHA256(salt, ikm)."""
    mac = hmac.HMAC(salt, hashes.SHA256())
    mac.update(ikm)
    return mac.finalize()
