"""The quality script measures through the service's own code and holds it to its targets (a small set
here; `python -m tools.documents.quality` runs the full one)."""

from __future__ import annotations

from pathlib import Path

from tools.documents import quality


def test_cer_counts_edits_over_the_true_text_ignoring_layout_spacing() -> None:
    assert quality.cer("FACTURE  n° 12", "FACTURE n° 12") == 0.0
    assert quality.cer("FACTURF n° 12", "FACTURE n° 12") == 1 / 13


def test_a_small_labelled_set_meets_the_targets(tmp_path: Path) -> None:
    output = tmp_path / "quality.json"
    assert quality.main(["--documents", "6", "--output", str(output)]) == 0
    results = quality.json.loads(output.read_text())["results"]
    assert set(results) == {"text_pdf", "clean_scan", "noisy_scan"}
    assert results["clean_scan"]["documents"] == 6 and results["clean_scan"]["cer"] < 0.02
