"""Text page by page with the real Tesseract (Debian's tesseract-ocr data): the text layer where there is
one, OCR only for pages without; scans sideways still read. Tesseract missing is a failure, not a skip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from lambdas.documents.ocr import OcrEngine, OcrResult, TesseractOcr
from lambdas.documents.text import read_pages
from tests.fixtures.documents import samples


class CountingOcr:
    """Tesseract, counting the pages it is asked to read."""

    name = "tesseract"

    def __init__(self, engine: OcrEngine):
        self.engine = engine
        self.pages = 0

    def read(self, image: Image.Image) -> OcrResult:
        self.pages += 1
        return self.engine.read(image)


@pytest.fixture(scope="module")
def tesseract() -> TesseractOcr:
    return TesseractOcr()  # raises (the test fails) when Tesseract's data is not installed


def _file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(samples()[name].data)
    return path


def test_a_text_pdf_is_read_from_its_text_layer_without_ocr(tmp_path: Path, tesseract: TesseractOcr) -> None:
    ocr = CountingOcr(tesseract)
    [page] = read_pages(_file(tmp_path, "invoice-text.pdf"), "application/pdf", ocr)
    assert ocr.pages == 0 and not page.ocr
    # The text layer is the drawn text, word for word (pdfium collapses runs of spaces).
    assert page.text.split() == samples()["invoice-text.pdf"].source.text.split()


def test_only_the_pages_without_text_are_ocr_read(tmp_path: Path, tesseract: TesseractOcr) -> None:
    ocr = CountingOcr(tesseract)
    first, second = read_pages(_file(tmp_path, "mixed.pdf"), "application/pdf", ocr)
    assert (first.ocr, second.ocr, ocr.pages) == (False, True, 1)
    assert "Delivery" in second.text or "DELIVERY" in second.text


def test_a_noisy_rotated_scan_is_read_by_ocr(tmp_path: Path, tesseract: TesseractOcr) -> None:
    [page] = read_pages(_file(tmp_path, "invoice-scan.pdf"), "application/pdf", tesseract)
    source = samples()["invoice-scan.pdf"].source
    assert page.ocr
    assert source.fields["invoice_number"] in page.text
    assert "FACTURE" in page.text.upper()


def test_every_frame_of_a_tiff_is_a_page(tmp_path: Path, tesseract: TesseractOcr) -> None:
    pages = list(read_pages(_file(tmp_path, "delivery-scan.tiff"), "image/tiff", tesseract))
    assert [p.number for p in pages] == [1, 2] and all(p.ocr for p in pages)


def test_a_scan_fed_in_sideways_is_turned_upright(tmp_path: Path, tesseract: TesseractOcr) -> None:
    with Image.open(_file(tmp_path, "delivery-scan.png")) as scan:
        scan.rotate(90, expand=True).save(tmp_path / "sideways.png")
    [page] = read_pages(tmp_path / "sideways.png", "image/png", tesseract)
    assert "Delivery" in page.text or "DELIVERY" in page.text or "PACKING" in page.text.upper()
