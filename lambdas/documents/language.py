"""The language of a document, detected offline with lingua (statistical models shipped in the wheel).

Only the languages the service is configured for are candidates, which is both faster and more
accurate than asking among 75. A text too short or too mixed to tell gives `und` (ISO 639 for
"undetermined") rather than a guess.
"""

from __future__ import annotations

from lingua import IsoCode639_1, LanguageDetectorBuilder

UNDETERMINED = "und"
# Enough text to tell French from English on a business document; more only costs time.
SAMPLE_CHARS = 4000
MIN_LETTERS = 20
MIN_CONFIDENCE = 0.5


class LanguageDetector:
    def __init__(self, languages: tuple[str, ...] = ("fr", "en")):
        codes = [IsoCode639_1.from_str(code) for code in languages]
        builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes) if len(codes) > 1 else None
        if builder is None:
            raise ValueError("language detection needs at least two candidate languages")
        self._detector = builder.build()

    def detect(self, text: str) -> str:
        sample = text[:SAMPLE_CHARS]
        if sum(1 for char in sample if char.isalpha()) < MIN_LETTERS:
            return UNDETERMINED
        confidences = self._detector.compute_language_confidence_values(sample)
        if not confidences or confidences[0].value < MIN_CONFIDENCE:
            return UNDETERMINED
        return confidences[0].language.iso_code_639_1.name.lower()
