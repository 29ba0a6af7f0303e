"""Document type: a small linear model (TF-IDF over words and word pairs, multinomial logistic
regression) trained offline by `python -m tools.documents.train` and shipped as JSON weights.

Inference here is the model's own arithmetic (term counts -> sublinear TF x IDF -> L2 norm -> scores
-> softmax) over the exported vocabulary, so the Lambda needs neither scikit-learn nor NumPy; a test
checks it gives scikit-learn's probabilities. `features()` is the one tokenizer: training passes it
to scikit-learn as the analyzer, so both sides see the same terms.

A verdict under the review threshold is still given, with `needs_review` set: a person confirms it.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODEL_PATH = Path(__file__).with_name("model") / "classifier.json"
OTHER = "other"
_TOKEN = re.compile(r"[^\W\d_]+|\d+")


def _fold(text: str) -> str:
    """Lower case without accents: OCR drops and adds accents, and French users type without them."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def features(text: str) -> list[str]:
    """Words (digits folded to one token: numbers vary, their presence matters) and adjacent pairs."""
    words = ["0" if token.isdigit() else token for token in _TOKEN.findall(_fold(text))]
    words = [w for w in words if len(w) > 1 or w == "0"]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


@dataclass(frozen=True)
class Classification:
    document_type: str
    confidence: float
    needs_review: bool
    probabilities: dict[str, float]


class DocumentClassifier:
    def __init__(self, model: dict[str, Any], review_threshold: float):
        self.classes: list[str] = model["classes"]
        self._vocabulary: dict[str, int] = model["vocabulary"]
        self._idf: list[float] = model["idf"]
        self._coef: list[list[float]] = model["coef"]
        self._intercept: list[float] = model["intercept"]
        self._sublinear = bool(model["sublinear_tf"])
        self.review_threshold = review_threshold
        self.version: str = model.get("version", "")

    @classmethod
    def load(cls, review_threshold: float, path: Path = MODEL_PATH) -> DocumentClassifier:
        return cls(_model(path), review_threshold)

    def probabilities(self, text: str) -> dict[str, float]:
        counts: dict[int, int] = {}
        for term in features(text):
            index = self._vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        weights = {
            index: ((1 + math.log(count)) if self._sublinear else count) * self._idf[index]
            for index, count in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        scores = [
            intercept + sum(coef[index] * weight / norm for index, weight in weights.items())
            for coef, intercept in zip(self._coef, self._intercept, strict=True)
        ]
        top = max(scores)
        exps = [math.exp(score - top) for score in scores]
        total = sum(exps)
        return {label: value / total for label, value in zip(self.classes, exps, strict=True)}

    def classify(self, text: str) -> Classification:
        if not text.strip():
            return Classification(OTHER, 0.0, True, {})
        probabilities = self.probabilities(text)
        label = max(probabilities, key=lambda name: probabilities[name])
        confidence = probabilities[label]
        return Classification(label, confidence, confidence < self.review_threshold, probabilities)


@cache
def _model(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document
