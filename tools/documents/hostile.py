"""Files the document service must refuse, or take at its limits, made from scratch and reproducibly.

Each maker returns the bytes of one file; `HOSTILE` names every class with the reason the service
must give (what documents.document_rejected says) and the content type an uploader would declare.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pikepdf
from PIL import Image

from tools.documents.render import text_pdf

MIB = 1024 * 1024
_SAMPLE = ("INVOICE", "Invoice no. INV-2026-000001", "Total due: EUR 120.00")


def sample_pdf(lines: tuple[str, ...] = _SAMPLE, pages: int = 1) -> bytes:
    return text_pdf([lines] * pages)


def pdf_of_exact_size(size: int, seed: int = 0) -> bytes:
    """A valid one-page text PDF of exactly `size` bytes: the page plus an unused stream of random filler.

    Random bytes do not compress, so the filler is no decompression bomb: only the size is at stake.
    """
    filler = random.Random(seed).randbytes(max(0, size - 2048))
    for _ in range(4):  # the /Length and xref offsets grow with the filler's size: converge in a few passes
        pdf = pikepdf.open(io.BytesIO(sample_pdf()))
        pdf.Root.Filler = pdf.make_stream(filler)
        buffer = io.BytesIO()
        pdf.save(
            buffer,
            deterministic_id=True,
            compress_streams=False,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
        )
        missing = size - len(buffer.getvalue())
        if missing == 0:
            return buffer.getvalue()
        filler = filler + random.Random(seed + 1).randbytes(missing) if missing > 0 else filler[:missing]
    raise RuntimeError(f"could not reach exactly {size} bytes")


def encrypted_pdf() -> bytes:
    """A PDF that needs a password to be read (AES-256)."""
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="owner-secret", R=6))
    return buffer.getvalue()


def malformed_pdf() -> bytes:
    """A PDF header over garbage: no objects, no pages, no cross-reference table."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + random.Random(5).randbytes(4096) + b"\n%%EOF\n"


def truncated_pdf() -> bytes:
    """The first half of a real PDF (an interrupted upload)."""
    data = sample_pdf(pages=3)
    return data[: len(data) // 2]


def pixel_bomb_png(side: int = 40_000) -> bytes:
    """A small PNG that decodes to side x side pixels (1.6 Gpx at the default): a decompression bomb."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)  # filter byte + one bit per pixel
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row) for _ in range(side)]
    data = b"".join(chunks) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def flate_bomb_pdf(decoded_bytes: int = 512 * MIB) -> bytes:
    """A one-page PDF carrying a FlateDecode stream that inflates about 1000 times (512 MiB by default)."""
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    compressor = zlib.compressobj(9)
    block = b" " * MIB
    compressed = (
        b"".join(compressor.compress(block) for _ in range(decoded_bytes // MIB)) + compressor.flush()
    )
    stream = pikepdf.Stream(pdf, compressed)
    stream.Filter = pikepdf.Name.FlateDecode
    pdf.Root.Payload = stream
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def huge_image_pdf(side: int = 100_000) -> bytes:
    """A PDF page drawing an image XObject that declares side x side pixels (10 Gpx at the default)."""
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    compressor = zlib.compressobj(9)
    data = compressor.compress(b"\x00" * MIB) + compressor.flush()
    image = pikepdf.Stream(pdf, data)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width = side
    image.Height = side
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.FlateDecode
    page = pdf.pages[0]
    page.Resources.XObject = pikepdf.Dictionary(Im0=image)
    page.contents_add(pdf.make_stream(b"q 100 0 0 100 50 50 cm /Im0 Do Q"), prepend=False)
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def zip_archive() -> bytes:
    """A ZIP holding another ZIP (nested archives): not a document type the service takes."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("invoice.pdf", sample_pdf())
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nested.zip", inner.getvalue())
    return outer.getvalue()


def pdf_with_embedded_archive() -> bytes:
    """A PDF with a ZIP attached (an archive smuggled inside a document)."""
    pdf = pikepdf.open(io.BytesIO(sample_pdf()))
    pdf.attachments["payload.zip"] = pikepdf.AttachedFileSpec(pdf, zip_archive(), mime_type="application/zip")
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    return buffer.getvalue()


def pdf_zip_polyglot() -> bytes:
    """A PDF followed by a ZIP archive: valid as both (the classic PDF/ZIP polyglot)."""
    return sample_pdf() + zip_archive()


def html_pdf_polyglot() -> bytes:
    """HTML with a script first, a PDF after it (PDF readers look for %PDF- in the first kilobyte)."""
    return b"<html><script>alert(document.domain)</script><!--\n" + sample_pdf() + b"\n-->"


def jpeg_with_appended_payload() -> bytes:
    """A JPEG with a PDF after its end-of-image marker (an image that is also a document)."""
    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, "JPEG")
    return buffer.getvalue() + sample_pdf()


def png_declared_as_pdf() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buffer, "PNG")
    return buffer.getvalue()


def executable() -> bytes:
    """An ELF header: not a document."""
    return b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + random.Random(1).randbytes(1024)


def many_pages_pdf(pages: int) -> bytes:
    return sample_pdf(pages=pages)


@dataclass(frozen=True)
class HostileFile:
    name: str
    file_name: str
    declared_type: str
    reason: str  # documents.document_rejected `reason`
    make: Callable[[], bytes]


HOSTILE: tuple[HostileFile, ...] = (
    HostileFile("empty", "empty.pdf", "application/pdf", "empty", lambda: b""),
    HostileFile("malformed", "broken.pdf", "application/pdf", "malformed", malformed_pdf),
    HostileFile("truncated", "truncated.pdf", "application/pdf", "malformed", truncated_pdf),
    HostileFile("encrypted", "locked.pdf", "application/pdf", "encrypted", encrypted_pdf),
    HostileFile("pixel-bomb", "scan.png", "image/png", "decompression_bomb", pixel_bomb_png),
    HostileFile("flate-bomb", "bomb.pdf", "application/pdf", "decompression_bomb", flate_bomb_pdf),
    HostileFile("huge-image", "huge.pdf", "application/pdf", "decompression_bomb", huge_image_pdf),
    HostileFile("nested-zip", "invoices.pdf", "application/pdf", "unsupported_type", zip_archive),
    HostileFile(
        "embedded-zip", "attached.pdf", "application/pdf", "embedded_archive", pdf_with_embedded_archive
    ),
    HostileFile("pdf-zip-polyglot", "poly.pdf", "application/pdf", "polyglot", pdf_zip_polyglot),
    HostileFile("html-pdf-polyglot", "page.pdf", "application/pdf", "polyglot", html_pdf_polyglot),
    HostileFile("jpeg-pdf-polyglot", "photo.jpg", "image/jpeg", "polyglot", jpeg_with_appended_payload),
    HostileFile("png-declared-pdf", "scan.pdf", "application/pdf", "type_mismatch", png_declared_as_pdf),
    HostileFile("executable", "invoice.pdf", "application/pdf", "unsupported_type", executable),
)
