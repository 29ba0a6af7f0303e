"""Checks an uploaded file passes before anything parses its content for reading.

The type comes from the bytes (the signature at offset 0, named with puremagic), never from the file
name or the declared Content-Type. Then, in order: size, polyglots (a second format inside or after the
first), and per type what a reader would otherwise trip on: encrypted or unreadable PDFs, too many
pages, decompression bombs (images that decode to billions of pixels, streams that inflate a
thousandfold) and archives smuggled in as attachments. Each refusal is a `Refusal` with a
machine-readable reason (the `reason` of documents.document_rejected) and a sentence for a person.

Everything here reads the file from disk with bounded memory: the head and tail for the signatures,
one PDF stream at a time, image headers without decoding the pixels.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import cast

import pikepdf
import puremagic
from PIL import Image

from lambdas.documents.limits import Limits

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"

# The signature each accepted type must start with, at offset 0 (readers that look further, as PDF
# readers do within the first kilobyte, are how polyglots get in).
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    PDF: (b"%PDF-",),
    PNG: (b"\x89PNG\r\n\x1a\n",),
    JPEG: (b"\xff\xd8\xff",),
    TIFF: (b"II*\x00", b"MM\x00*"),
}
_HEAD = 4096
_TAIL = 65_536 + 22  # a ZIP's end-of-central-directory record sits in the last 64 KiB + 22 bytes
_ARCHIVE_SIGNATURES = {
    b"PK\x03\x04": "ZIP",
    b"PK\x05\x06": "ZIP",
    b"7z\xbc\xaf\x27\x1c": "7-Zip",
    b"Rar!\x1a\x07": "RAR",
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
}
_MARKUP = re.compile(rb"<\s*(html|script|svg|!doctype\s+html|iframe|object)\b", re.IGNORECASE)


class RejectReason(StrEnum):
    TOO_LARGE = "too_large"
    EMPTY = "empty"
    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    POLYGLOT = "polyglot"
    ENCRYPTED = "encrypted"
    MALFORMED = "malformed"
    TOO_MANY_PAGES = "too_many_pages"
    DECOMPRESSION_BOMB = "decompression_bomb"
    EMBEDDED_ARCHIVE = "embedded_archive"


class Refusal(Exception):
    """The file is refused before being read: why (machine-readable) and a sentence for a person."""

    def __init__(
        self, reason: RejectReason, detail: str, detected_type: str | None = None, pages: int | None = None
    ):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail[:1000]
        self.detected_type = detected_type
        self.pages = pages


@dataclass(frozen=True)
class Inspection:
    """A file that passed: its real type and page count."""

    content_type: str
    pages: int


def check_size(size: int, limits: Limits) -> None:
    """The size alone (known from S3 before downloading anything)."""
    if size == 0:
        raise Refusal(RejectReason.EMPTY, "the file is empty")
    if size > limits.max_bytes:
        raise Refusal(
            RejectReason.TOO_LARGE, f"the file has {size} bytes; the limit is {limits.max_bytes} bytes"
        )


def detect_type(head: bytes) -> str | None:
    """The accepted type whose signature the file starts with, else None."""
    for content_type, signatures in SIGNATURES.items():
        if head.startswith(signatures):
            return content_type
    return None


def describe_type(head: bytes) -> str:
    """What puremagic recognises in the first bytes, for the refusal's detail."""
    for signature, kind in _ARCHIVE_SIGNATURES.items():
        if head.startswith(signature):
            return f"a {kind} archive"  # puremagic names a bare ZIP after the Office formats built on it
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return "unknown"
    named = [m.mime_type for m in matches if m.mime_type]
    return named[0] if named else "unknown"


def inspect(path: Path, declared_type: str | None, limits: Limits) -> Inspection:
    """Check a downloaded file; raises Refusal with the first reason it fails on."""
    size = path.stat().st_size
    check_size(size, limits)
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
        handle.seek(max(0, size - _TAIL))
        tail = handle.read(_TAIL)
    content_type = detect_type(head)
    if content_type is None:
        if b"%PDF-" in head[:1024]:
            raise Refusal(
                RejectReason.POLYGLOT, "a PDF starts after other content (a PDF/HTML or similar polyglot)"
            )
        raise Refusal(
            RejectReason.UNSUPPORTED_TYPE,
            f"the bytes are {describe_type(head)}; accepted: {', '.join(limits.content_types)}",
            detected_type=describe_type(head),
        )
    if content_type not in limits.content_types:
        raise Refusal(RejectReason.UNSUPPORTED_TYPE, f"{content_type} is not accepted", content_type)
    if declared_type and declared_type != content_type:
        raise Refusal(
            RejectReason.TYPE_MISMATCH,
            f"declared {declared_type}, but the bytes are {content_type}",
            detected_type=content_type,
        )
    _check_polyglot(content_type, head, tail, path, size)
    pages = _inspect_pdf(path, limits) if content_type == PDF else _inspect_image(path, content_type, limits)
    return Inspection(content_type, pages)


# -- polyglots --------------------------------------------------------------------------------------


def _check_polyglot(content_type: str, head: bytes, tail: bytes, path: Path, size: int) -> None:
    if content_type != PDF and b"%PDF-" in head:
        raise _polyglot(content_type, f"a PDF header is inside a {content_type} file")
    if _MARKUP.search(head):
        raise _polyglot(content_type, "HTML or script markup in the first bytes")
    if content_type == PDF:
        _check_pdf_end(tail)
        return
    if b"PK\x05\x06" in tail or b"PK\x03\x04" in tail:
        raise _polyglot(content_type, "a ZIP archive is appended to the file")
    if content_type == PNG and (trailing := _after_png_end(path, size)):
        raise _polyglot(content_type, f"{trailing} bytes follow the PNG's end (IEND)")
    if content_type == JPEG:
        end = tail.rfind(b"\xff\xd9")
        if end >= 0 and tail[end + 2 :].strip(b"\x00"):
            raise _polyglot(
                content_type, f"{len(tail) - end - 2} bytes follow the JPEG's end-of-image marker"
            )


def _polyglot(content_type: str, detail: str) -> Refusal:
    return Refusal(RejectReason.POLYGLOT, detail, detected_type=content_type)


def _check_pdf_end(tail: bytes) -> None:
    end = tail.rfind(b"%%EOF")
    if end < 0:
        raise Refusal(
            RejectReason.MALFORMED, "the PDF has no end-of-file marker: it is incomplete", detected_type=PDF
        )
    # Archives inside the PDF are attachments (checked with the PDF's structure); after its end, a polyglot.
    trailing = tail[end + 5 :].strip(b"\x00\r\n\t \x0c")
    if any(signature in trailing for signature in (b"PK\x03\x04", b"PK\x05\x06")):
        raise _polyglot(PDF, "a ZIP archive is appended to the PDF")
    if len(trailing) > 32:
        raise _polyglot(PDF, f"{len(trailing)} bytes of other content follow the PDF's end (%%EOF)")


def _after_png_end(path: Path, size: int) -> int:
    """Bytes after the IEND chunk, walking chunk headers only (no pixel data is read)."""
    with path.open("rb") as handle:
        handle.seek(8)
        while True:
            header = handle.read(8)
            if len(header) < 8:
                return 0  # truncated: Pillow's verify reports it as malformed
            length = int.from_bytes(header[:4], "big")
            handle.seek(length + 4, os.SEEK_CUR)
            if header[4:8] == b"IEND":
                return max(0, size - handle.tell())


# -- PDFs -------------------------------------------------------------------------------------------


def _inspect_pdf(path: Path, limits: Limits) -> int:
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise Refusal(RejectReason.ENCRYPTED, "the PDF needs a password to be read", PDF) from exc
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        raise Refusal(RejectReason.MALFORMED, f"the PDF cannot be parsed: {exc}", PDF) from exc
    with pdf:
        try:
            pages = len(pdf.pages)
        except (pikepdf.PdfError, RuntimeError) as exc:
            raise Refusal(RejectReason.MALFORMED, f"the PDF's page tree is broken: {exc}", PDF) from exc
        if pages == 0:
            raise Refusal(RejectReason.MALFORMED, "the PDF has no readable page", PDF, pages=0)
        if pages > limits.max_pages:
            raise Refusal(
                RejectReason.TOO_MANY_PAGES, f"{pages} pages; the limit is {limits.max_pages}", PDF, pages
            )
        _check_attachments(pdf, pages)
        _check_streams(pdf, limits, pages)
    return pages


def _check_attachments(pdf: pikepdf.Pdf, pages: int) -> None:
    for name, spec in pdf.attachments.items():
        stream = cast(pikepdf.Stream, spec.get_file().obj)
        head = _decoded_head(stream, 16)
        for signature, kind in _ARCHIVE_SIGNATURES.items():
            if head.startswith(signature):
                raise Refusal(
                    RejectReason.EMBEDDED_ARCHIVE, f"attachment {name!r} is a {kind} archive", PDF, pages
                )


def _decoded_head(stream: pikepdf.Stream, count: int) -> bytes:
    raw = stream.read_raw_bytes()
    if _filters(stream) == ["/FlateDecode"]:
        return zlib.decompressobj().decompress(raw, count)
    return raw[:count] if not _filters(stream) else b""


def _filters(stream: pikepdf.Stream) -> list[str]:
    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return [str(value)]


def _check_streams(pdf: pikepdf.Pdf, limits: Limits, pages: int) -> None:
    """Image dimensions from their dictionaries; Flate streams inflated with a budget, one at a time."""
    total = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            width, height = int(obj.get("/Width", 0)), int(obj.get("/Height", 0))
            if width * height > limits.max_image_pixels:
                raise Refusal(
                    RejectReason.DECOMPRESSION_BOMB,
                    f"an image declares {width} x {height} pixels (limit {limits.max_image_pixels})",
                    PDF,
                    pages,
                )
        if "/FlateDecode" in _filters(obj):
            total += _inflated_size(obj.read_raw_bytes(), limits.max_stream_decoded, pages)
            if total > limits.max_total_decoded:
                raise Refusal(
                    RejectReason.DECOMPRESSION_BOMB,
                    f"the streams inflate to more than {limits.max_total_decoded} bytes",
                    PDF,
                    pages,
                )


def _inflated_size(raw: bytes, budget: int, pages: int) -> int:
    """How many bytes a Flate stream inflates to, stopping (a bomb) past `budget`."""
    inflater = zlib.decompressobj()
    produced = 0
    chunk = 1024 * 1024
    data = raw
    try:
        while data:
            produced += len(inflater.decompress(data, chunk))
            data = inflater.unconsumed_tail
            if produced > budget:
                raise Refusal(
                    RejectReason.DECOMPRESSION_BOMB,
                    f"a stream of {len(raw)} bytes inflates past {budget} bytes",
                    PDF,
                    pages,
                )
        produced += len(inflater.flush())
    except zlib.error:
        return produced  # a corrupt stream: the reader skips it or fails as malformed later
    return produced


# -- images -----------------------------------------------------------------------------------------


def _inspect_image(path: Path, content_type: str, limits: Limits) -> int:
    try:
        with Image.open(path) as image:  # reads the header only
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
    except Image.DecompressionBombError as exc:  # Pillow's own limit, above ours: still a bomb
        raise Refusal(RejectReason.DECOMPRESSION_BOMB, str(exc), content_type) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise Refusal(RejectReason.MALFORMED, f"the image cannot be read: {exc}", content_type) from exc
    if width * height > limits.max_image_pixels:
        raise Refusal(
            RejectReason.DECOMPRESSION_BOMB,
            f"the image declares {width} x {height} pixels (limit {limits.max_image_pixels})",
            content_type,
        )
    if frames > limits.max_pages:
        raise Refusal(
            RejectReason.TOO_MANY_PAGES,
            f"{frames} pages; the limit is {limits.max_pages}",
            content_type,
            frames,
        )
    try:
        with Image.open(path) as image:
            image.verify()  # chunk CRCs and structure, without decoding the pixels
    except (OSError, SyntaxError, ValueError) as exc:
        raise Refusal(RejectReason.MALFORMED, f"the image is damaged: {exc}", content_type) from exc
    return frames
