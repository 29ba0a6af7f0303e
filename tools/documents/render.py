"""Generated documents made into files: text PDFs (reportlab), and scans of them (pdfium renders the page,
Pillow rotates it and adds sensor noise) saved as image-only PDFs, PNG, JPEG or TIFF.

A scan is what a phone or a copier gives: no text layer, slightly rotated, noisy, grey. `clean_scan`
is the same page at 300 dpi with neither rotation nor noise (the OCR character error rate is measured
on those); `noisy_scan` adds what real scanners add.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

FONT = "Helvetica"
FONT_SIZE = 10.5
LEADING = 15
MARGIN = 56


def text_pdf(pages: Sequence[Sequence[str]], title: str = "") -> bytes:
    """A PDF with a real text layer: each page's lines, top to bottom (reportlab, base-14 Helvetica)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)  # invariant: same bytes for the same input
    pdf.setTitle(title)
    _, height = A4
    for lines in pages:
        y = height - MARGIN
        for line in lines:
            if y < MARGIN:
                break
            if line:
                bold = line.isupper() and len(line) < 40
                pdf.setFont(f"{FONT}-Bold" if bold else FONT, FONT_SIZE + (3 if bold else 0))
                pdf.drawString(MARGIN, y, line)
            y -= LEADING
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class ScanStyle:
    dpi: int = 300
    rotation_degrees: float = 0.0
    noise_sigma: float = 0.0  # Gaussian sensor noise, in grey levels
    speckle_ratio: float = 0.0  # share of pixels flipped to black or white (dust)
    blur: float = 0.0


CLEAN = ScanStyle()


def noisy_style(rng: random.Random) -> ScanStyle:
    """What a desk scanner or a phone gives: 200-300 dpi, up to 3 degrees off, noise and dust."""
    return ScanStyle(
        dpi=rng.choice((200, 250, 300)),
        rotation_degrees=rng.uniform(-3.0, 3.0),
        noise_sigma=rng.uniform(6.0, 18.0),
        speckle_ratio=rng.uniform(0.0, 0.003),
        blur=rng.choice((0.0, 0.0, 0.6)),
    )


def scan_pages(pdf_bytes: bytes, style: ScanStyle, seed: int = 0) -> list[Image.Image]:
    """Every page of a PDF as a grey scanned image in `style`."""
    document = pdfium.PdfDocument(pdf_bytes)
    images = []
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=style.dpi / 72, grayscale=True)
            image = bitmap.to_pil().convert("L")
            bitmap.close()
            page.close()
            images.append(_degrade(image, style, np.random.default_rng(seed + index)))
    finally:
        document.close()
    return images


def _degrade(image: Image.Image, style: ScanStyle, rng: np.random.Generator) -> Image.Image:
    if style.rotation_degrees:
        image = image.rotate(
            style.rotation_degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
        )
    if style.blur:
        image = image.filter(ImageFilter.GaussianBlur(style.blur))
    if style.noise_sigma or style.speckle_ratio:
        pixels = np.asarray(image, dtype=np.float64)
        if style.noise_sigma:
            pixels = pixels + rng.normal(0.0, style.noise_sigma, pixels.shape)
        if style.speckle_ratio:
            mask = rng.random(pixels.shape)
            pixels[mask < style.speckle_ratio / 2] = 0
            pixels[mask > 1 - style.speckle_ratio / 2] = 255
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    image.info["dpi"] = (style.dpi, style.dpi)
    return image


def image_pdf(images: Sequence[Image.Image], dpi: int = 300) -> bytes:
    """An image-only PDF (no text layer), one page per image, as a copier makes it."""
    buffer = io.BytesIO()
    first, *rest = images
    first.save(buffer, "PDF", resolution=float(dpi), save_all=True, append_images=list(rest))
    return buffer.getvalue()


def image_file(images: Sequence[Image.Image], kind: str, dpi: int = 300) -> bytes:
    """A scan as a PNG, JPEG (one page each) or TIFF (multi-page) file."""
    buffer = io.BytesIO()
    first, *rest = images
    if kind == "png":
        first.save(buffer, "PNG", dpi=(dpi, dpi), optimize=False)
    elif kind == "jpeg":
        first.save(buffer, "JPEG", dpi=(dpi, dpi), quality=85)
    elif kind == "tiff":
        first.save(
            buffer, "TIFF", dpi=(dpi, dpi), compression="tiff_lzw", save_all=True, append_images=list(rest)
        )
    else:
        raise ValueError(f"unknown image kind {kind!r}")
    return buffer.getvalue()
