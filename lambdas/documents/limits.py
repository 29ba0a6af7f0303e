"""The limits a file is checked against (no imports beyond the standard library: the API function reads
them too, and its package carries none of the processor's native libraries)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    content_types: tuple[str, ...]
    max_pages: int = 500
    # A page or image that decodes to more pixels than this is a bomb (an A4 page at 600 dpi: 35 Mpx).
    max_image_pixels: int = 100_000_000
    # One PDF stream may inflate to this much; all streams of a file together to max_total_decoded.
    max_stream_decoded: int = 256 * 1024 * 1024
    max_total_decoded: int = 2 * 1024 * 1024 * 1024
