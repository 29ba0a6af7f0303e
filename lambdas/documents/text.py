"""The text of a document, page by page: the PDF's own text layer where a page has one, OCR for the others.

Pages are opened, read and closed one at a time (pdfium loads a page's objects on demand), so a
50 MB, 300-page file never has more than one rendered page in memory. A page is rendered for OCR only
when its text layer has too little usable text: scanned pages, or pages whose text is only a few
words over an image.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image, ImageSequence

from lambdas.documents.checks import PDF
from lambdas.documents.ocr import OcrEngine

OCR_DPI = 300
# Fewer usable characters than this on a page: it is a scan (or an image with a caption), OCR it.
MIN_TEXT_LAYER_CHARS = 40
# A page rendered for OCR never exceeds this many pixels (an A4 page at 300 dpi is 8.7 Mpx): an
# oversized MediaBox is rendered at a lower resolution instead of exhausting memory.
MAX_RENDER_PIXELS = 40_000_000


@dataclass(frozen=True)
class PageText:
    number: int  # 1-based
    text: str
    ocr: bool


class UnreadableDocument(Exception):
    """The reader failed on a file that passed the checks (a damaged page, an unsupported encoding)."""


def usable_chars(text: str) -> int:
    return sum(1 for char in text if char.isalnum())


def read_pages(path: Path, content_type: str, ocr: OcrEngine) -> Iterator[PageText]:
    try:
        if content_type == PDF:
            yield from _pdf_pages(path, ocr)
        else:
            yield from _image_pages(path, ocr)
    except (pdfium.PdfiumError, OSError, ValueError) as exc:
        raise UnreadableDocument(str(exc)) from exc


def _pdf_pages(path: Path, ocr: OcrEngine) -> Iterator[PageText]:
    document = pdfium.PdfDocument(path)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                text = textpage.get_text_bounded()
                textpage.close()
                if usable_chars(text) >= MIN_TEXT_LAYER_CHARS:
                    yield PageText(index + 1, _clean(text), ocr=False)
                    continue
                image = _render(page)
            finally:
                page.close()
            yield PageText(index + 1, _clean(ocr.read(image).text), ocr=True)
            image.close()
    finally:
        document.close()


def _render(page: pdfium.PdfPage) -> Image.Image:
    width, height = page.get_size()  # points
    scale = OCR_DPI / 72
    if width * height * scale * scale > MAX_RENDER_PIXELS:
        scale = (MAX_RENDER_PIXELS / (width * height)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil().convert("L")
    finally:
        bitmap.close()


def _image_pages(path: Path, ocr: OcrEngine) -> Iterator[PageText]:
    with Image.open(path) as image:
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            grey = frame.convert("L")
            yield PageText(index + 1, _clean(ocr.read(grey).text), ocr=True)
            grey.close()


def _clean(text: str) -> str:
    """pdfium ends lines with CR LF and pads with form feeds; keep plain newlines and trimmed lines."""
    lines = (
        line.rstrip()
        for line in text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "").split("\n")
    )
    return "\n".join(lines).strip("\n")
