"""The document service's demo step: teams upload a mix of generated documents, the processor gives each
its verdict, then a search shows what a team finds (and that another team finds none of it).

The mix: text PDFs and scans (rasterised with noise and rotation, as image-only PDFs, PNG and TIFF),
in French and English, of every document type; a copy of one of them (a duplicate); one file just
over 50 MiB and one malformed PDF (both rejected, with their reason, and kept). The demo fails when a
verdict is not the expected one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from tools.demo import DemoContext, Step
from tools.documents import hostile, render
from tools.documents.client import DocumentsClient, DocumentsError
from tools.documents.corpus import GeneratedDocument, generate

MIB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    team: str
    file_name: str
    content_type: str
    data: bytes
    expected: str  # a document type, "duplicate" or a rejection reason
    source: GeneratedDocument | None = None


def uploads(seed: int = 7) -> list[Upload]:
    rng = random.Random(seed)
    documents = {(d.label, d.language): d for d in generate(12, seed)}
    made: list[Upload] = []
    plan = [
        ("billing", "invoice", "fr", "text"),
        ("billing", "credit_note", "en", "scan-pdf"),
        ("orders", "delivery_note", "en", "scan-png"),
        ("orders", "purchase_order", "fr", "text"),
        ("documents", "quote", "fr", "scan-tiff"),
        ("documents", "other", "en", "text"),
    ]
    for team, label, language, form in plan:
        document = documents[(label, language)]
        pdf = render.text_pdf([document.lines])
        name = f"{label}-{language}"
        if form == "text":
            made.append(Upload(team, f"{name}.pdf", "application/pdf", pdf, label, document))
            continue
        scans = render.scan_pages(pdf, render.noisy_style(rng), seed=rng.randrange(1000))
        if form == "scan-pdf":
            made.append(
                Upload(team, f"{name}-scan.pdf", "application/pdf", render.image_pdf(scans), label, document)
            )
        else:
            kind = form.removeprefix("scan-")
            made.append(
                Upload(
                    team,
                    f"{name}-scan.{kind}",
                    f"image/{kind}",
                    render.image_file(scans, kind),
                    label,
                    document,
                )
            )
    first = made[0]
    made.append(
        Upload(
            first.team,
            "copy-of-" + first.file_name,
            first.content_type,
            first.data,
            "duplicate",
            first.source,
        )
    )
    made.append(
        Upload(
            "billing",
            "too-large.pdf",
            "application/pdf",
            hostile.pdf_of_exact_size(50 * MIB + 1),
            "too_large",
        )
    )
    made.append(Upload("orders", "broken.pdf", "application/pdf", hostile.malformed_pdf(), "malformed"))
    return made


def documents_step(ctx: DemoContext) -> None:
    platform = ctx.platform
    clients = {
        team: DocumentsClient(platform.gateway_url, key.value) for team, key in platform.api_keys.items()
    }
    created: list[tuple[Upload, str]] = []
    verdicts: dict[str, dict[str, Any]] = {}
    with ctx.console.status("uploading documents (presigned POST to S3); the processor reads each..."):
        for upload in uploads(ctx.seed):
            client = clients[upload.team]
            try:
                document_id = client.upload(upload.data, upload.content_type, upload.file_name)
                # One at a time, so that the copy comes after its original has been read.
                verdicts[document_id] = client.wait_for_verdict(document_id)
            except DocumentsError as exc:
                ctx.fail(f"{upload.file_name}: {exc}")
                continue
            created.append((upload, document_id))
    ctx.add_summary("Documents: uploads and their verdicts", _verdicts(ctx, created, verdicts))
    invoice = next((u for u, _ in created if u.expected == "invoice"), None)
    if invoice is None or invoice.source is None:
        ctx.fail("the invoice was not uploaded: nothing to search for")
        return
    number = invoice.source.fields["invoice_number"]
    ctx.add_summary(f"Documents: search for {number!r} by team", _search(ctx, clients, number, invoice.team))


def _verdicts(
    ctx: DemoContext, created: list[tuple[Upload, str]], verdicts: dict[str, dict[str, Any]]
) -> Table:
    table = Table(
        "team", "file", "verdict", "type / reason", "confidence", "language", "pages (OCR)", "expected"
    )
    for upload, document_id in created:
        document = verdicts[document_id]
        verdict = document["status"]
        detail = document.get("document_type") or document.get("reason") or document.get("duplicate_of", "")
        got = {
            "processed": document.get("document_type"),
            "rejected": document.get("reason"),
            "duplicate": "duplicate",
        }.get(verdict)
        ok = got == upload.expected
        if not ok:
            ctx.fail(f"{upload.file_name}: expected {upload.expected}, got {verdict} {detail}")
        pages = (
            f"{document.get('pages', '')} ({document.get('ocr_pages', 0)})" if document.get("pages") else ""
        )
        confidence = f"{document['confidence']:.2f}" if document.get("confidence") is not None else ""
        table.add_row(
            upload.team,
            upload.file_name,
            verdict,
            str(detail),
            confidence,
            document.get("language", ""),
            pages,
            "[green]yes[/]" if ok else "[red]no[/]",
        )
    return table


def _search(ctx: DemoContext, clients: dict[str, DocumentsClient], words: str, owner: str) -> Table:
    table = Table("team", "hits", "first hit (snippet)")
    for team in sorted({owner, "orders", "documents"}):
        status, found = clients[team].search(words)
        hits = found.get("hits", []) if status == 200 else []
        expected = 1 if team == owner else 0
        if len(hits) != expected:
            ctx.fail(f"search by {team} for {words!r}: {len(hits)} hits, expected {expected}")
        table.add_row(team, str(len(hits)), hits[0]["snippet"] if hits else "")
    return table


STEPS = [Step("documents: uploads, verdicts and search", documents_step)]
