"""Document service benchmarks: pages per second per core (text layer and OCR), against the plain
`tesseract` command line on the same images in the same run, and the peak memory on a 50 MB, 300-page PDF.

"Per core" is pages per CPU-second (user + system time of the process doing the work, children
included for the CLI), so the figures hold on a shared machine; OMP_THREAD_LIMIT=1 for every
Tesseract, in-process and CLI alike (one core each).

1. Text PDFs: a generated multi-page text PDF read by the service (`text.read_pages`: pdfium's text
   layer, page by page). Baselines: pdfium's bare text extraction loop over the same file (what any
   reader must do) and the CLI OCR-ing the same pages (what reading them as images would cost).
2. OCR pages: scanned pages (300 dpi PNGs, clean and noisy) read by the service's engine (tesserocr,
   models loaded once) and by `tesseract <page>.png - -l fra+eng` per page (models loaded per call,
   as a script around the CLI does); plus the service's full path on the same pages as an image-only
   PDF (pdfium renders each page at 300 dpi, then OCR).
3. Peak RSS: a ~50 MB, 300-page PDF (a text layer and a distinct scanned image on every page, every
   30th page image-only so OCR runs too) processed by the service's steps (checks, text, language,
   type, fields) in a fresh process; target under 1 GiB.

Sizes: BENCH_DOCUMENTS_TEXT_PAGES (300), BENCH_DOCUMENTS_OCR_PAGES (20), BENCH_DOCUMENTS_BIG_PAGES
(300), BENCH_DOCUMENTS_BIG_MB (50). Smoke run: BENCH_DOCUMENTS_TEXT_PAGES=30 BENCH_DOCUMENTS_OCR_PAGES=2
BENCH_DOCUMENTS_BIG_PAGES=30 BENCH_DOCUMENTS_BIG_MB=5 python -m bench documents.
"""

from __future__ import annotations

import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2 as pdfium
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from lambdas.documents.ocr import DEFAULT_TESSDATA, TesseractOcr
from lambdas.documents.text import read_pages
from tools.documents import render
from tools.documents.corpus import generate

RSS_TARGET_BYTES = 1024**3
OCR_LANGUAGES = "fra+eng"


def _size(name: str, default: int) -> int:
    return int(os.environ.get(f"BENCH_DOCUMENTS_{name}", default))


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(work: Callable[[], int], cpu: Callable[[], float] = _cpu_self) -> dict[str, float]:
    cpu_before, wall_before = cpu(), time.perf_counter()
    pages = work()
    cpu_seconds, wall = cpu() - cpu_before, time.perf_counter() - wall_before
    return {
        "pages": pages,
        "cpu_seconds": round(cpu_seconds, 3),
        "wall_seconds": round(wall, 3),
        "pages_per_core_second": round(pages / cpu_seconds, 2) if cpu_seconds else 0.0,
    }


def _text_pages(count: int) -> list[list[str]]:
    documents = generate(max(6, count), 7)
    return [list(documents[i % len(documents)].lines) for i in range(count)]


def bench_text(folder: Path, pages: int, cli_sample: int) -> dict[str, Any]:
    pdf = folder / "text.pdf"
    pdf.write_bytes(render.text_pdf(_text_pages(pages)))
    no_ocr = _NoOcr()
    service = _timed(lambda: sum(1 for page in read_pages(pdf, "application/pdf", no_ocr)))

    def bare() -> int:
        document = pdfium.PdfDocument(pdf)
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        count = len(document)
        document.close()
        return count

    baseline = _timed(bare)
    # The CLI OCR-ing a sample of the same pages as images: what reading them without the text layer costs.
    images = [
        _save_png(image, folder / f"text-{i}.png")
        for i, image in enumerate(render.scan_pages(_first_pages(pdf, cli_sample), render.CLEAN))
    ]
    cli = _timed(lambda: _cli(images), _cpu_children)
    return {
        "service": service,
        "pdfium_bare_loop": baseline,
        "tesseract_cli_on_the_same_pages": cli,
        "ratio_vs_bare_loop": round(service["pages_per_core_second"] / baseline["pages_per_core_second"], 3),
        "ratio_vs_cli_ocr": round(service["pages_per_core_second"] / cli["pages_per_core_second"], 1),
    }


class _NoOcr:
    name = "none"

    def read(self, image: Image.Image) -> Any:
        raise AssertionError("a text page was sent to OCR")


def _first_pages(pdf: Path, count: int) -> bytes:
    import pikepdf

    with pikepdf.open(pdf) as source:
        out = pikepdf.new()
        out.pages.extend(source.pages[:count])
        buffer = io.BytesIO()
        out.save(buffer)
        return buffer.getvalue()


def _save_png(image: Image.Image, path: Path) -> Path:
    image.save(path, "PNG", dpi=(300, 300))
    return path


def _cli(images: list[Path]) -> int:
    for image in images:
        subprocess.run(
            ["tesseract", str(image), "-", "-l", OCR_LANGUAGES, "--tessdata-dir", DEFAULT_TESSDATA],
            check=True,
            capture_output=True,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    return len(images)


def bench_ocr(folder: Path, pages: int) -> dict[str, Any]:
    rng = random.Random(11)
    documents = generate(max(6, pages), 13)
    images: list[Image.Image] = []
    for index in range(pages):
        pdf = render.text_pdf([documents[index].lines])
        style = render.CLEAN if index % 2 == 0 else render.noisy_style(rng)
        images.extend(render.scan_pages(pdf, style, seed=index))
    paths = [_save_png(image, folder / f"scan-{i}.png") for i, image in enumerate(images)]
    scanned_pdf = folder / "scans.pdf"
    scanned_pdf.write_bytes(render.image_pdf(images))
    engine = TesseractOcr(DEFAULT_TESSDATA, OCR_LANGUAGES)
    engine.read(images[0])  # warm: the models are loaded once per execution environment, at its first page

    def engine_on_pngs() -> int:
        for path in paths:
            with Image.open(path) as image:
                engine.read(image.convert("L"))
        return len(paths)

    service_engine = _timed(engine_on_pngs)
    service_full = _timed(
        lambda: sum(1 for page in read_pages(scanned_pdf, "application/pdf", engine) if page.ocr)
    )
    cli = _timed(lambda: _cli(paths), _cpu_children)
    return {
        "service_engine_on_the_pngs": service_engine,
        "service_full_path_scanned_pdf": service_full,
        "tesseract_cli": cli,
        "ratio_engine_vs_cli": round(
            service_engine["pages_per_core_second"] / cli["pages_per_core_second"], 2
        ),
        "ratio_full_path_vs_cli": round(
            service_full["pages_per_core_second"] / cli["pages_per_core_second"], 2
        ),
    }


def big_pdf(path: Path, pages: int, target_bytes: int) -> int:
    """A PDF of `pages` pages near `target_bytes`: text on each page plus a distinct noisy JPEG; every 30th page image-only."""
    documents = generate(12, 3)
    image_bytes = max(20_000, target_bytes // pages - 3000)
    side = int((image_bytes * 0.95) ** 0.5)  # noisy greyscale JPEG at quality 90: about 1.1 bytes per pixel
    rng = np.random.default_rng(5)
    pdf = canvas.Canvas(str(path), pagesize=A4, invariant=True)
    ocr_pages = 0
    for index in range(pages):
        noise = rng.integers(0, 256, size=(side, side), dtype=np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noise, mode="L").save(buffer, "JPEG", quality=90)
        buffer.seek(0)
        pdf.drawImage(ImageReader(buffer), 300, 100, width=250, height=250)
        if index % 30 == 29:
            ocr_pages += 1  # image only: the text is in the picture
            scan = render.scan_pages(
                render.text_pdf([documents[index % 12].lines[:12]]), render.ScanStyle(dpi=150)
            )[0]
            scan_buffer = io.BytesIO()
            scan.save(scan_buffer, "PNG")
            scan_buffer.seek(0)
            pdf.drawImage(ImageReader(scan_buffer), 0, 0, width=A4[0], height=A4[1])
        else:
            pdf.setFont("Helvetica", 10)
            for line_number, line in enumerate(documents[index % 12].lines[:40]):
                pdf.drawString(56, A4[1] - 56 - 14 * line_number, line)
        pdf.showPage()
    pdf.save()
    return ocr_pages


def _process_in_this_process(path: str) -> dict[str, Any]:
    """The processor's steps on one file (no AWS): what one execution environment holds in memory."""
    from lambdas.documents.checks import inspect
    from lambdas.documents.classify import DocumentClassifier
    from lambdas.documents.fields import extract_invoice_fields
    from lambdas.documents.language import LanguageDetector
    from lambdas.documents.settings import contract_limits

    started = time.perf_counter()
    inspection = inspect(Path(path), "application/pdf", contract_limits())
    texts, ocr = [], 0
    for page in read_pages(Path(path), inspection.content_type, TesseractOcr()):
        texts.append(page.text)
        ocr += page.ocr
    text = "\n\n".join(texts)
    verdict = DocumentClassifier.load(0.7).classify(text)
    extract_invoice_fields(text)
    LanguageDetector(("fr", "en")).detect(text)
    return {
        "pages": inspection.pages,
        "ocr_pages": ocr,
        "document_type": verdict.document_type,
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def bench_rss(folder: Path, pages: int, megabytes: int) -> dict[str, Any]:
    path = folder / "big.pdf"
    ocr_pages = big_pdf(path, pages, megabytes * 1024 * 1024)
    child = subprocess.run(
        [sys.executable, "-m", "bench.documents", "--process", str(path)],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    if child.returncode != 0:
        raise RuntimeError(f"processing {path.stat().st_size} bytes failed:\n{child.stderr[-2000:]}")
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return {
        "file_bytes": path.stat().st_size,
        "pages": pages,
        "image_only_pages": ocr_pages,
        **result,
        "target_bytes": RSS_TARGET_BYTES,
        "met": result["peak_rss_bytes"] < RSS_TARGET_BYTES,
    }


def run() -> dict[str, Any]:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # before the first Tesseract: one core for every engine
    text_pages = _size("TEXT_PAGES", 300)
    ocr_pages = _size("OCR_PAGES", 20)
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as name:
        folder = Path(name)
        text = bench_text(folder, text_pages, cli_sample=max(1, min(ocr_pages, 5)))
        ocr = bench_ocr(folder, ocr_pages)
        rss = bench_rss(folder, _size("BIG_PAGES", 300), _size("BIG_MB", 50))
    return {"text_pdf": text, "ocr": ocr, "big_pdf": rss, "markdown": _markdown(text, ocr, rss)}


def _markdown(text: dict[str, Any], ocr: dict[str, Any], rss: dict[str, Any]) -> str:
    return "\n".join(
        [
            "| What | Pages | Pages per core-second | Baseline (same run) | Ratio |",
            "|---|---|---|---|---|",
            f"| Text PDF, text layer (service) | {text['service']['pages']} | {text['service']['pages_per_core_second']} "
            f"| pdfium bare loop {text['pdfium_bare_loop']['pages_per_core_second']} | {text['ratio_vs_bare_loop']}x |",
            f"| Text PDF pages OCR'd by the `tesseract` CLI instead | {text['tesseract_cli_on_the_same_pages']['pages']} "
            f"| {text['tesseract_cli_on_the_same_pages']['pages_per_core_second']} | | text layer {text['ratio_vs_cli_ocr']}x faster |",
            f"| OCR, service engine (tesserocr) on 300 dpi PNGs | {ocr['service_engine_on_the_pngs']['pages']} "
            f"| {ocr['service_engine_on_the_pngs']['pages_per_core_second']} | `tesseract` CLI {ocr['tesseract_cli']['pages_per_core_second']} "
            f"| {ocr['ratio_engine_vs_cli']}x |",
            f"| OCR, service full path (render + OCR) on the same pages as a scanned PDF | {ocr['service_full_path_scanned_pdf']['pages']} "
            f"| {ocr['service_full_path_scanned_pdf']['pages_per_core_second']} | `tesseract` CLI {ocr['tesseract_cli']['pages_per_core_second']} "
            f"| {ocr['ratio_full_path_vs_cli']}x |",
            "",
            f"Peak RSS processing a {rss['file_bytes'] / 1024 / 1024:.1f} MiB, {rss['pages']}-page PDF "
            f"({rss['image_only_pages']} image-only pages OCR'd) in a fresh process: "
            f"{rss['peak_rss_bytes'] / 1024 / 1024:.0f} MiB (target < 1 GiB: {'met' if rss['met'] else 'MISSED'}), "
            f"{rss['seconds']} s.",
        ]
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--process":
        print(json.dumps(_process_in_this_process(sys.argv[2])))
    else:
        raise SystemExit("run through `python -m bench documents`")
