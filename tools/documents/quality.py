"""The document service's quality, measured on a labelled set this script generates (held-out seed).

    python -m tools.documents.quality                  # 60 documents; writes bench/results/documents-quality.json
    python -m tools.documents.quality --documents 12   # a quick look

Each generated document (six types, French and English, with its true text, type, language and
invoice fields) is read three ways, through the service's own code (text.py, the classifier, the
language detector, the field rules):
- as a text PDF (its text layer);
- as a clean scan (300 dpi, upright, no noise; image-only PDF): OCR character error rate (CER)
  against the true text, the figure the targets hold OCR to;
- as a noisy scan (200-300 dpi, up to 3 degrees of rotation, sensor noise and dust).
CER is the Levenshtein distance between the OCR text and the true text over the true text's length,
after Unicode NFC and collapsing runs of whitespace (layout spacing is not text).

Targets (stated here, checked by the exit code): clean-scan CER < 2 %; language accuracy >= 98 %;
classification accuracy >= 95 % and macro-F1 >= 0.95 on text PDFs and on clean scans; invoice
fields >= 95 % exact on text PDFs. Noisy scans are reported, without a target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rapidfuzz.distance import Levenshtein
from sklearn.metrics import f1_score

from lambdas.documents.classify import DocumentClassifier
from lambdas.documents.fields import extract_invoice_fields
from lambdas.documents.language import LanguageDetector
from lambdas.documents.ocr import TesseractOcr
from lambdas.documents.text import read_pages
from tools.documents import render
from tools.documents.corpus import DOCUMENT_TYPES, GeneratedDocument, generate

QUALITY_SEED = 20260615  # neither the training seed nor the committed evaluation set's
RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results" / "documents-quality.json"
TARGETS = {
    "clean_scan_cer_max": 0.02,
    "language_accuracy_min": 0.98,
    "classification_accuracy_min": 0.95,
    "classification_macro_f1_min": 0.95,
    "invoice_fields_exact_min": 0.95,
}
WAYS = ("text_pdf", "clean_scan", "noisy_scan")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(read: str, truth: str) -> float:
    truth_n = normalise(truth)
    return Levenshtein.distance(normalise(read), truth_n) / max(1, len(truth_n))


@dataclass
class Tally:
    truth: list[str] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list)
    languages_right: int = 0
    errors: int = 0  # character edits
    characters: int = 0
    fields_right: int = 0
    fields_total: int = 0
    pages: int = 0
    seconds: float = 0.0

    def add(
        self, document: GeneratedDocument, text: str, label: str, language: str, fields: dict[str, Any]
    ) -> None:
        self.truth.append(document.label)
        self.predicted.append(label)
        self.languages_right += language == document.language
        truth = normalise(document.text)
        self.errors += Levenshtein.distance(normalise(text), truth)
        self.characters += len(truth)
        for name, value in document.fields.items():
            self.fields_total += 1
            self.fields_right += str(fields.get(name)) == value

    def summary(self) -> dict[str, Any]:
        count = len(self.truth)
        return {
            "documents": count,
            "cer": round(self.errors / max(1, self.characters), 5),
            "language_accuracy": round(self.languages_right / max(1, count), 4),
            "classification_accuracy": round(
                sum(t == p for t, p in zip(self.truth, self.predicted, strict=True)) / max(1, count), 4
            ),
            "classification_macro_f1": round(
                float(
                    f1_score(
                        self.truth,
                        self.predicted,
                        labels=list(DOCUMENT_TYPES),
                        average="macro",
                        zero_division=0,
                    )
                ),
                4,
            ),
            "invoice_fields_exact": round(self.fields_right / max(1, self.fields_total), 4),
            "invoice_fields": self.fields_total,
            "seconds_per_page": round(self.seconds / max(1, self.pages), 3),
        }


def measure(count: int, seed: int = QUALITY_SEED, workdir: Path | None = None) -> dict[str, Any]:
    import tempfile

    ocr = TesseractOcr()
    classifier = DocumentClassifier.load(review_threshold=0.0)
    detector = LanguageDetector(("fr", "en"))
    tallies = {way: Tally() for way in WAYS}
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        for document in generate(count, seed):
            text_pdf = render.text_pdf([document.lines])
            files = {
                "text_pdf": text_pdf,
                "clean_scan": render.image_pdf(render.scan_pages(text_pdf, render.CLEAN)),
                "noisy_scan": render.image_pdf(
                    render.scan_pages(text_pdf, render.noisy_style(rng), seed=rng.randrange(1 << 30))
                ),
            }
            for way, data in files.items():
                path = Path(folder) / f"{way}.pdf"
                path.write_bytes(data)
                started = time.perf_counter()
                pages = list(read_pages(path, "application/pdf", ocr))
                text = "\n".join(page.text for page in pages)
                verdict = classifier.classify(text)
                fields = extract_invoice_fields(text) if document.fields else {}
                tally = tallies[way]
                tally.seconds += time.perf_counter() - started
                tally.pages += len(pages)
                tally.add(document, text, verdict.document_type, detector.detect(text), fields)
    results = {way: tally.summary() for way, tally in tallies.items()}
    return {
        "name": "documents quality",
        "seed": seed,
        "targets": TARGETS,
        "results": results,
        "failures": failures(results),
        "markdown": markdown(results),
    }


def markdown(results: dict[str, dict[str, Any]]) -> str:
    """The table bench/results/README.md shows (`python -m tools.documents.quality`, not `make bench`)."""
    lines = [
        "| Read as | Documents | CER | Language | Type accuracy | Macro-F1 | Invoice fields exact | s/page |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for way, r in results.items():
        lines.append(
            f"| {way.replace('_', ' ')} | {r['documents']} | {r['cer']:.2%} | {r['language_accuracy']:.1%} | "
            f"{r['classification_accuracy']:.1%} | {r['classification_macro_f1']:.3f} | "
            f"{r['invoice_fields_exact']:.1%} of {r['invoice_fields']} | {r['seconds_per_page']} |"
        )
    lines.append("")
    lines.append(
        "Targets: clean-scan CER < 2 %, language >= 98 %, type accuracy >= 95 % and macro-F1 >= 0.95 "
        "(text PDFs and clean scans), invoice fields >= 95 % (text PDFs). Generated documents: see docs/documents.md."
    )
    return "\n".join(lines)


def failures(results: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    if results["clean_scan"]["cer"] >= TARGETS["clean_scan_cer_max"]:
        problems.append(
            f"clean-scan CER {results['clean_scan']['cer']:.2%} >= {TARGETS['clean_scan_cer_max']:.0%}"
        )
    for way in ("text_pdf", "clean_scan"):
        r = results[way]
        for metric, target in (
            ("language_accuracy", TARGETS["language_accuracy_min"]),
            ("classification_accuracy", TARGETS["classification_accuracy_min"]),
            ("classification_macro_f1", TARGETS["classification_macro_f1_min"]),
        ):
            if r[metric] < target:
                problems.append(f"{way} {metric} {r[metric]} < {target}")
    if results["text_pdf"]["invoice_fields_exact"] < TARGETS["invoice_fields_exact_min"]:
        problems.append(f"text_pdf invoice fields {results['text_pdf']['invoice_fields_exact']} < target")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=60, help="how many documents (balanced over types)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    report = {"measured_at": measured_at, "machine": machine, **measure(args.documents)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    for way, r in report["results"].items():
        print(
            f"{way:<11} CER {r['cer']:.2%}  language {r['language_accuracy']:.1%}  "
            f"type accuracy {r['classification_accuracy']:.1%}  macro-F1 {r['classification_macro_f1']:.3f}  "
            f"fields {r['invoice_fields_exact']:.1%}  {r['seconds_per_page']} s/page"
        )
    for problem in report["failures"]:
        print(f"quality: target missed: {problem}", file=sys.stderr)
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
