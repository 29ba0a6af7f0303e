"""The Textract adapter on DetectDocumentText's documented answer: LINE blocks in order, WORD blocks ignored."""

from __future__ import annotations

from typing import Any

from PIL import Image

from lambdas.documents.ocr import TextractOcr


class DocumentedTextract:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def detect_document_text(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        return {
            "DocumentMetadata": {"Pages": 1},
            "Blocks": [
                {"BlockType": "PAGE", "Id": "p"},
                {"BlockType": "LINE", "Id": "l1", "Text": "FACTURE", "Confidence": 99.5},
                {"BlockType": "WORD", "Id": "w1", "Text": "FACTURE", "Confidence": 99.5},
                {"BlockType": "LINE", "Id": "l2", "Text": "Total TTC: 120,00 €", "Confidence": 97.5},
            ],
            "DetectDocumentTextModelVersion": "1.0",
        }


def test_lines_are_joined_in_order_with_their_mean_confidence() -> None:
    textract = DocumentedTextract()
    result = TextractOcr(textract).read(Image.new("L", (300, 200), 255))
    assert result.text == "FACTURE\nTotal TTC: 120,00 €"
    assert result.confidence == 98.5
    [call] = textract.calls
    assert call["Document"]["Bytes"].startswith(b"\x89PNG")
