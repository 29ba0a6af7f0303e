"""An MSK-style IAM listener in front of the local broker: TLS, then SASL/OAUTHBEARER with MSK IAM tokens.

Amazon MSK's IAM listener (port 9098) takes TLS connections that must authenticate
with SASL/OAUTHBEARER, the token being what aws-msk-iam-sasl-signer makes: a
base64url SigV4-presigned URL of `kafka-cluster:Connect` at
https://kafka.<region>.amazonaws.com/. No broker that runs here can require that:
Tansu answers OAUTHBEARER with UnknownMechanism (its SASL callback knows PLAIN and
SCRAM only), and Apache Kafka and Redpanda are in no registry this project reaches
(PyPI's pytest-kafka-broker downloads Kafka from the Apache archive at run time).
So this listener speaks the Kafka protocol's SASL exchange itself and relays every
byte after it to Tansu, which advertises the listener's address as its own.

Per connection, as a Kafka broker does: ApiVersions is answered (by Tansu) before
authentication; SaslHandshake accepts OAUTHBEARER only; SaslAuthenticate verifies the
token (the URL's host, action and algorithm, the credential scope's region and
service, the signing time and expiry, and the SigV4 signature with the secret of the
token's access key); any other request before that, or a token that fails, closes
the connection after Kafka's SASL_AUTHENTICATION_FAILED with the reason. Not modelled:
MSK's authorization of each kafka-cluster action against the principal's policy
(any valid token may do anything), and re-authentication (the session has no
lifetime).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import ssl
import struct
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

API_SASL_HANDSHAKE = 17
API_VERSIONS = 18
API_SASL_AUTHENTICATE = 36
UNSUPPORTED_SASL_MECHANISM = 33
SASL_AUTHENTICATION_FAILED = 58
MECHANISM = "OAUTHBEARER"

SIGNING_SERVICE = "kafka-cluster"
ACTION = "kafka-cluster:Connect"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_EXPIRES_SECONDS = 900  # what the signer asks for; longer-lived tokens are refused
CLOCK_SKEW = timedelta(minutes=5)
# Added to the URL after signing (the signer's User-Agent), so not part of the signature.
UNSIGNED_PARAMS = ("X-Amz-Signature", "User-Agent")
EMPTY_PAYLOAD_SHA256 = hashlib.sha256(b"").hexdigest()


class InvalidToken(ValueError):
    """An OAUTHBEARER token the listener refuses, with the reason it tells the client."""


class MskIamTokenVerifier:
    """Checks MSK IAM tokens as the signer makes them, against known access keys."""

    def __init__(self, credentials: Mapping[str, str], region: str, clock: Callable[[], float] = time.time):
        self._secrets = dict(credentials)  # access key id -> secret access key
        self._region = region
        self._clock = clock

    def verify(self, token: str) -> str:
        """The principal (access key id) of a valid token; InvalidToken otherwise."""
        try:
            url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True, strict_parsing=True))
        except ValueError as exc:
            raise InvalidToken("the token is not a base64url signed URL") from exc
        host = f"kafka.{self._region}.amazonaws.com"
        if (parts.scheme, parts.netloc, parts.path) != ("https", host, "/"):
            raise InvalidToken(f"the token is not signed for https://{host}/")
        if query.get("Action") != ACTION or query.get("X-Amz-Algorithm") != ALGORITHM:
            raise InvalidToken(f"the token does not ask for {ACTION} with {ALGORITHM}")
        access_key, scope = self._scope(query)
        self._check_time(query)
        secret = self._secrets.get(access_key)
        if secret is None:
            raise InvalidToken("the token's access key is unknown")
        expected = _signature(secret, host, scope, query)
        if not hmac.compare_digest(expected, query.get("X-Amz-Signature", "")):
            raise InvalidToken("the token's signature does not match")
        return access_key

    def _scope(self, query: Mapping[str, str]) -> tuple[str, str]:
        access_key, _, scope = query.get("X-Amz-Credential", "").partition("/")
        date, region, service, terminator = ([*scope.split("/"), "", "", "", ""])[:4]
        if (region, service, terminator) != (self._region, SIGNING_SERVICE, "aws4_request"):
            raise InvalidToken(f"the token's credential scope is not {self._region}/{SIGNING_SERVICE}")
        if not query.get("X-Amz-Date", "").startswith(date):
            raise InvalidToken("the token's scope date is not its signing date")
        return access_key, scope

    def _check_time(self, query: Mapping[str, str]) -> None:
        try:
            signed = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            expires = int(query["X-Amz-Expires"])
        except (KeyError, ValueError) as exc:
            raise InvalidToken("the token has no valid X-Amz-Date and X-Amz-Expires") from exc
        if not 0 < expires <= MAX_EXPIRES_SECONDS:
            raise InvalidToken(f"the token's lifetime must be 1 to {MAX_EXPIRES_SECONDS} s")
        now = datetime.fromtimestamp(self._clock(), UTC)
        if now > signed + timedelta(seconds=expires):
            raise InvalidToken("the token has expired")
        if signed > now + CLOCK_SKEW:
            raise InvalidToken("the token is signed in the future")


def _signature(secret: str, host: str, scope: str, query: Mapping[str, str]) -> str:
    """SigV4 of a presigned GET / (the query string carries the auth; only `host` is signed)."""
    signed = sorted((k, v) for k, v in query.items() if k not in UNSIGNED_PARAMS)
    canonical_query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in signed)
    canonical_request = "\n".join(
        ["GET", "/", canonical_query, f"host:{host}", "", "host", EMPTY_PAYLOAD_SHA256]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, query["X-Amz-Date"], scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


# -- the Kafka protocol's SASL exchange ------------------------------------------------------


def _uvarint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def _write_uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _skip_tagged_fields(data: bytes, offset: int) -> int:
    count, offset = _uvarint(data, offset)
    for _ in range(count):
        _tag, offset = _uvarint(data, offset)
        size, offset = _uvarint(data, offset)
        offset += size
    return offset


def _request_body(frame: bytes, flexible: bool) -> int:
    """Where the body starts: after api key, version, correlation id, client id (and tagged fields)."""
    (client_id_length,) = struct.unpack_from(">h", frame, 8)
    offset = 10 + max(client_id_length, 0)
    return _skip_tagged_fields(frame, offset) if flexible else offset


def _handshake_response(correlation_id: int, mechanism: str) -> bytes:
    error = 0 if mechanism == MECHANISM else UNSUPPORTED_SASL_MECHANISM
    name = MECHANISM.encode()
    return struct.pack(">ihih", correlation_id, error, 1, len(name)) + name


def _authenticate_response(correlation_id: int, version: int, error: str | None) -> bytes:
    code = SASL_AUTHENTICATION_FAILED if error else 0
    message = error.encode() if error else None
    if version >= 2:  # flexible: compact strings and bytes, tagged fields
        header = struct.pack(">i", correlation_id) + b"\x00"
        text = b"\x00" if message is None else _write_uvarint(len(message) + 1) + message
        return header + struct.pack(">h", code) + text + _write_uvarint(1) + struct.pack(">q", 0) + b"\x00"
    text = struct.pack(">h", -1) if message is None else struct.pack(">h", len(message)) + message
    body = struct.pack(">ih", correlation_id, code) + text + struct.pack(">i", 0)
    return body + (struct.pack(">q", 0) if version >= 1 else b"")


def _auth_bytes(frame: bytes, version: int) -> bytes:
    if version >= 2:
        offset = _request_body(frame, flexible=True)
        length, offset = _uvarint(frame, offset)
        return frame[offset : offset + length - 1]
    offset = _request_body(frame, flexible=False)
    (length,) = struct.unpack_from(">i", frame, offset)
    return frame[offset + 4 : offset + 4 + length]


def bearer_token(client_first_message: bytes) -> str:
    """The token of an OAUTHBEARER client-first message (RFC 7628: gs2 header, then \\x01-separated pairs)."""
    for pair in client_first_message.decode(errors="replace").split("\x01"):
        if pair.startswith("auth="):
            scheme, _, token = pair[len("auth=") :].partition(" ")
            if scheme.lower() == "bearer" and token:
                return token.strip()
    raise InvalidToken("no bearer token in the OAUTHBEARER message")


async def _read_frame(reader: asyncio.StreamReader) -> bytes:
    (size,) = struct.unpack(">i", await reader.readexactly(4))
    return await reader.readexactly(size)


def _frame(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


# -- TLS ----------------------------------------------------------------------------------------


def write_certificates(directory: Path, host: str) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for host (an IP address), signed by it: (ca, certificate, key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stockoss local MSK IAM listener CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "listener.pem", directory / "listener.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths[2].chmod(0o600)
    return paths


# -- the listener ---------------------------------------------------------------------------------


class KafkaIamListener:
    """TLS + SASL/OAUTHBEARER (MSK IAM) on host:port, relaying authenticated connections to upstream."""

    def __init__(
        self, verifier: MskIamTokenVerifier, upstream: tuple[str, int], host: str, port: int, tls_dir: Path
    ):
        self._verifier = verifier
        self._upstream = upstream
        self._host, self._port = host, port
        self.ca_file, certificate, key = write_certificates(tls_dir, host)
        self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._tls.load_cert_chain(certificate, key)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kafka-iam-listener", daemon=True)
        self._server: asyncio.Server | None = None
        self.refused: list[str] = []  # why each refused authentication was refused, in order

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, self._host, self._port, ssl=self._tls), self._loop
        ).result(timeout=10)

    def stop(self) -> None:
        """Close the listener and every connection it relays, then its event loop."""
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
        connections = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self._upstream)
            if await self._authenticate(client_reader, client_writer, upstream_reader, upstream_writer):
                await asyncio.gather(
                    _pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer)
                )
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass  # a client or the broker hung up: nothing to answer
        except asyncio.CancelledError:
            pass  # the listener is stopping: the connection just closes
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()

    async def _authenticate(
        self,
        client_reader: asyncio.StreamReader,
        client_writer: asyncio.StreamWriter,
        upstream_reader: asyncio.StreamReader,
        upstream_writer: asyncio.StreamWriter,
    ) -> bool:
        """The pre-authentication exchange; True once the client has authenticated."""
        mechanism = None
        while True:
            frame = await _read_frame(client_reader)
            api_key, version, correlation_id = struct.unpack_from(">hhi", frame)
            if api_key == API_VERSIONS:  # answered before authentication, by the broker itself
                upstream_writer.write(_frame(frame))
                await upstream_writer.drain()
                client_writer.write(_frame(await _read_frame(upstream_reader)))
            elif api_key == API_SASL_HANDSHAKE:
                offset = _request_body(frame, flexible=False)
                (length,) = struct.unpack_from(">h", frame, offset)
                mechanism = frame[offset + 2 : offset + 2 + length].decode()
                client_writer.write(_frame(_handshake_response(correlation_id, mechanism)))
            elif api_key == API_SASL_AUTHENTICATE and mechanism == MECHANISM:
                error = self._check(_auth_bytes(frame, version))
                client_writer.write(_frame(_authenticate_response(correlation_id, version, error)))
                await client_writer.drain()
                return error is None
            else:
                self.refused.append(f"request {api_key} before SASL authentication")
                return False
            await client_writer.drain()

    def _check(self, auth_bytes: bytes) -> str | None:
        try:
            self._verifier.verify(bearer_token(auth_bytes))
        except InvalidToken as exc:
            self.refused.append(str(exc))
            return f"MSK IAM authentication failed: {exc}"
        return None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
