"""Train the document classifier and write its weights and its evaluation, reproducibly and offline.

    python -m tools.documents.train            # writes the model, the evaluation set and the scores
    python -m tools.documents.train --check    # fails if the committed files differ from a fresh run

The training set and the held-out evaluation set are generated from two different seeds (the
evaluation set is committed as JSON Lines, readable and diffable, beside its scores); half of the
training texts carry simulated OCR errors so that the model keeps working on scanned pages. The
model is TF-IDF over `lambdas.documents.classify.features` (the tokenizer the Lambda uses) and a
multinomial logistic regression; its weights go to lambdas/documents/model/classifier.json, which
is all the Lambda reads.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score

from lambdas.documents.classify import MODEL_PATH, features
from tools.documents.corpus import DOCUMENT_TYPES, GeneratedDocument, generate

DATA_DIR = Path(__file__).with_name("data")
EVALUATION_SET = DATA_DIR / "evaluation.jsonl"
EVALUATION_SCORES = DATA_DIR / "evaluation-scores.json"
TRAIN_SEED = 20260101
EVALUATION_SEED = 20261231
TRAIN_SIZE = 1800
EVALUATION_SIZE = 600
# The targets the quality script also holds the whole pipeline to (text PDFs and scans).
TARGET_ACCURACY = 0.95
TARGET_MACRO_F1 = 0.95

# What Tesseract gets wrong on noisy scans: look-alike glyphs, lost accents, merged letters.
_OCR_CONFUSIONS = {
    "l": "1",
    "1": "l",
    "O": "0",
    "0": "O",
    "e": "c",
    "é": "e",
    "è": "e",
    "rn": "m",
    "m": "rn",
    "S": "5",
}


def ocr_noise(text: str, rng: random.Random, rate: float = 0.03) -> str:
    out = []
    index = 0
    while index < len(text):
        pair = text[index : index + 2]
        if pair in _OCR_CONFUSIONS and rng.random() < rate:
            out.append(_OCR_CONFUSIONS[pair])
            index += 2
            continue
        char = text[index]
        roll = rng.random()
        if char in _OCR_CONFUSIONS and roll < rate:
            out.append(_OCR_CONFUSIONS[char])
        elif roll < rate / 3:
            pass  # a dropped character
        else:
            out.append(char)
        index += 1
    return "".join(out)


def training_texts() -> tuple[list[str], list[str]]:
    rng = random.Random(TRAIN_SEED)
    texts, labels = [], []
    for document in generate(TRAIN_SIZE, TRAIN_SEED):
        text = document.text
        texts.append(ocr_noise(text, rng) if rng.random() < 0.5 else text)
        labels.append(document.label)
    return texts, labels


def train() -> tuple[dict[str, Any], TfidfVectorizer, LogisticRegression]:
    texts, labels = training_texts()
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=3, dtype=np.float64)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=20.0, max_iter=5000, random_state=0)
    model.fit(matrix, labels)
    vocabulary = {term: int(index) for term, index in sorted(vectorizer.vocabulary_.items())}
    exported = {
        "version": f"tfidf-logreg-{TRAIN_SEED}",
        "classes": [str(c) for c in model.classes_],
        "sublinear_tf": True,
        "vocabulary": vocabulary,
        "idf": [round(float(v), 8) for v in vectorizer.idf_],
        "coef": [[round(float(v), 8) for v in row] for row in model.coef_],
        "intercept": [round(float(v), 8) for v in model.intercept_],
        "training": {"documents": TRAIN_SIZE, "seed": TRAIN_SEED, "ocr_noise_share": 0.5},
    }
    return exported, vectorizer, model


def evaluation_documents() -> list[GeneratedDocument]:
    return generate(EVALUATION_SIZE, EVALUATION_SEED)


def evaluation_set_lines(documents: list[GeneratedDocument]) -> str:
    return "".join(
        json.dumps(
            {"id": d.doc_id, "label": d.label, "language": d.language, "fields": d.fields, "text": d.text},
            ensure_ascii=False,
            sort_keys=True,
        )
        + "\n"
        for d in documents
    )


def scores(truth: list[str], predicted: list[str]) -> dict[str, Any]:
    report = classification_report(
        truth, predicted, labels=list(DOCUMENT_TYPES), output_dict=True, zero_division=0
    )
    return {
        "documents": len(truth),
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(float(f1_score(truth, predicted, labels=list(DOCUMENT_TYPES), average="macro")), 4),
        "per_type_f1": {label: round(float(report[label]["f1-score"]), 4) for label in DOCUMENT_TYPES},
        "targets": {"accuracy": TARGET_ACCURACY, "macro_f1": TARGET_MACRO_F1},
    }


def outputs() -> dict[Path, str]:
    """Every file the training writes, with its content."""
    exported, _, _ = train()
    from lambdas.documents.classify import DocumentClassifier

    classifier = DocumentClassifier(exported, review_threshold=0.0)
    documents = evaluation_documents()
    predicted = [classifier.classify(d.text).document_type for d in documents]
    result = scores([d.label for d in documents], predicted)
    return {
        MODEL_PATH: json.dumps(exported, separators=(",", ":"), sort_keys=True) + "\n",
        EVALUATION_SET: evaluation_set_lines(documents),
        EVALUATION_SCORES: json.dumps(result, indent=2, sort_keys=True) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files instead of writing"
    )
    args = parser.parse_args(argv)
    files = outputs()
    if args.check:
        stale = [
            str(path) for path, content in files.items() if not path.exists() or path.read_text() != content
        ]
        if stale:
            print("train: stale (run python -m tools.documents.train): " + ", ".join(stale), file=sys.stderr)
            return 1
        print("train: the committed model, evaluation set and scores are what training gives")
        return 0
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    print(files[EVALUATION_SCORES], end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
