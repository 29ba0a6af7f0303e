"""The raw zone's object format: gzip JSON lines, one stored envelope per line.

Keys come from naming.raw_key (team, hour of receipt, batch id). The fan-out
writes these objects, the Glue job and the DR replay read them, the local lake
generator fakes them; all through this module, so the format is defined once.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from platform_core.envelope import Event

CONTENT_TYPE = "application/x-ndjson"
COMPRESS_LEVEL = 6


def batch_id(event_source_arn: str, first_event_id: str, first_sequence_number: str) -> str:
    """The raw-zone id of a stream batch: a function of where the batch starts, and only of that.

    A retried batch starts at the same record (the checkpoint), so it rewrites
    the same objects.
    """
    digest = hashlib.sha256(f"{event_source_arn}|{first_event_id}|{first_sequence_number}".encode())
    return digest.hexdigest()[:32]


def hour_of(at: datetime) -> datetime:
    """The UTC hour an event's raw object belongs to (by its received_at)."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def encode_lines(lines: Iterable[str]) -> bytes:
    """One raw object's bytes from envelope JSON lines.

    mtime=0: the same events always give the same bytes, so a rewrite is byte-identical.
    """
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=COMPRESS_LEVEL, mtime=0)


def decode_lines(body: bytes) -> list[str]:
    """The envelope JSON lines of one raw object, exactly as stored."""
    return [line for line in gzip.decompress(body).decode().splitlines() if line]


def decode_events(body: bytes) -> list[tuple[Event, str]]:
    """(event, its stored JSON line) for every line of one raw object."""
    return [(Event.model_validate_json(line), line) for line in decode_lines(body)]
