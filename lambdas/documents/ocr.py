"""OCR behind a port: Tesseract in-process (the default, locally and in Lambda) or Amazon Textract.

Tesseract runs through its C++ API (tesserocr): the French and English models load once per
execution environment instead of once per page as the `tesseract` command does. Pages that come out
with a low confidence are checked for orientation (Tesseract's OSD) and read again upright, so a scan
fed in sideways or upside down still reads.

Textract (DetectDocumentText, synchronous, one page image per call) is the AWS option: USD 1.50 per
1,000 pages in eu-west-1 for the first million pages a month (AWS price list), so a POC's few hundred
scanned pages a month cost well under a euro; it needs no image packaging, but every page leaves the
account's compute for a managed service.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol

from PIL import Image

DEFAULT_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"
# Below this mean word confidence a page may be sideways: ask OSD before trusting the text.
LOW_CONFIDENCE = 60.0


@dataclass(frozen=True)
class OcrResult:
    text: str
    confidence: float  # mean word confidence, 0-100


class OcrEngine(Protocol):
    name: str

    def read(self, image: Image.Image) -> OcrResult:
        """The text of one page image."""
        ...


class TesseractOcr:
    """Tesseract through tesserocr: one engine per process, models loaded at construction."""

    name = "tesseract"

    def __init__(self, tessdata: str = DEFAULT_TESSDATA, languages: str = "fra+eng"):
        import tesserocr  # the native library: only the processor's image has it

        self._tesserocr = tesserocr
        self._api = tesserocr.PyTessBaseAPI(path=tessdata.rstrip("/") + "/", lang=languages)
        self._osd: Any = None
        self._tessdata = tessdata

    def read(self, image: Image.Image) -> OcrResult:
        result = self._read(image)
        if result.confidence >= LOW_CONFIDENCE or not result.text.strip():
            return result
        rotation = self._orientation(image)
        if rotation:
            upright = image.rotate(rotation, expand=True, fillcolor=255)
            turned = self._read(upright)
            if turned.confidence > result.confidence:
                return turned
        return result

    def _read(self, image: Image.Image) -> OcrResult:
        self._api.SetImage(image)
        text = self._api.GetUTF8Text()
        confidences = [c for c in self._api.AllWordConfidences() if c >= 0]
        self._api.Clear()
        return OcrResult(text, sum(confidences) / len(confidences) if confidences else 0.0)

    def _orientation(self, image: Image.Image) -> int:
        """Degrees (counter-clockwise, as PIL rotates) that make the page upright, per OSD; 0 if unsure."""
        if self._osd is None:
            self._osd = self._tesserocr.PyTessBaseAPI(
                path=self._tessdata.rstrip("/") + "/", lang="osd", psm=self._tesserocr.PSM.OSD_ONLY
            )
        self._osd.SetImage(image)
        try:
            detected = self._osd.DetectOrientationScript()
        except RuntimeError:
            return 0
        finally:
            self._osd.Clear()
        if not detected or detected.get("orient_conf", 0) < 1.0:
            return 0
        return int(detected.get("orient_deg", 0))


class TextractOcr:
    """Amazon Textract DetectDocumentText on one page image (PNG, at most 10 MB per call)."""

    name = "textract"

    def __init__(self, textract: Any):
        self._textract = textract

    def read(self, image: Image.Image) -> OcrResult:
        buffer = io.BytesIO()
        image.save(buffer, "PNG", optimize=True)
        response = self._textract.detect_document_text(Document={"Bytes": buffer.getvalue()})
        lines = [b for b in response.get("Blocks", []) if b.get("BlockType") == "LINE"]
        text = "\n".join(str(b.get("Text", "")) for b in lines)
        confidence = sum(float(b.get("Confidence", 0)) for b in lines) / len(lines) if lines else 0.0
        return OcrResult(text, confidence)
