"""make preview: every channel of a template rendered with example values, the HTML written to a file."""

from __future__ import annotations

from pathlib import Path

from tools.preview import main


def test_a_template_previews_on_every_channel_with_its_html(tmp_path: Path, capsys) -> None:
    assert main(["invoice_issued", "--locale", "fr", "--set", "total=99.90", "--out", str(tmp_path)]) == 0
    shown = capsys.readouterr().out
    assert "== email ==" in shown and "== inbox ==" in shown and "99,90\xa0€" in shown
    assert (tmp_path / "invoice_issued.fr.html").read_text().startswith("<!doctype html>")


def test_a_missing_variable_previews_as_the_error_a_notification_would_get(tmp_path: Path, capsys) -> None:
    assert main(["order_confirmed", "--unset", "currency", "--out", str(tmp_path)]) == 1
    assert "order_confirmed" in capsys.readouterr().out
