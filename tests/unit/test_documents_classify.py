"""The classifier: the Lambda's own inference gives scikit-learn's probabilities; the committed model,
evaluation set and scores are what training gives (reproducible offline); the targets are met."""

from __future__ import annotations

import json

import pytest

from lambdas.documents.classify import DocumentClassifier, features
from lambdas.documents.language import UNDETERMINED, LanguageDetector
from tools.documents import train
from tools.documents.corpus import generate


@pytest.fixture(scope="module")
def trained() -> tuple[dict, object, object]:
    return train.train()


def test_inference_matches_scikit_learn(trained: tuple[dict, object, object]) -> None:
    exported, vectorizer, model = trained
    classifier = DocumentClassifier(exported, review_threshold=0.7)
    texts = [d.text for d in generate(60, 99)]
    expected = model.predict_proba(vectorizer.transform(texts))  # type: ignore[attr-defined]
    for text, row in zip(texts, expected, strict=True):
        mine = classifier.probabilities(text)
        # The committed weights are rounded to 8 decimals: probabilities agree to 1e-5.
        for label, probability in zip(model.classes_, row, strict=True):  # type: ignore[attr-defined]
            assert mine[label] == pytest.approx(probability, abs=1e-5)


def test_the_committed_model_and_evaluation_are_what_training_gives() -> None:
    assert train.main(["--check"]) == 0


def test_the_committed_scores_meet_the_targets() -> None:
    scores = json.loads(train.EVALUATION_SCORES.read_text())
    assert scores["accuracy"] >= train.TARGET_ACCURACY
    assert scores["macro_f1"] >= train.TARGET_MACRO_F1
    assert scores["documents"] == len(train.EVALUATION_SET.read_text().splitlines())


def test_low_confidence_needs_review_and_an_empty_text_is_other() -> None:
    classifier = DocumentClassifier.load(review_threshold=0.99)
    unclear = classifier.classify("Bonjour, merci pour votre message.")
    assert unclear.needs_review and unclear.confidence < 0.99
    empty = classifier.classify("   ")
    assert (empty.document_type, empty.needs_review) == ("other", True)


def test_features_fold_case_accents_and_digits() -> None:
    assert features("Échéance 30/06") == ["echeance", "0", "0", "echeance 0", "0 0"]


def test_language_is_detected_offline_and_short_text_is_undetermined() -> None:
    detector = LanguageDetector(("fr", "en"))
    documents = generate(40, 5)
    assert all(detector.detect(d.text) == d.language for d in documents)
    assert detector.detect("PO-12345 €12") == UNDETERMINED
