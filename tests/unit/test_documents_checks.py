"""The checks before any reading, on files the repository generates: every bad class refused with its
reason, the 50 MiB boundary, real documents accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from lambdas.documents.checks import JPEG, PDF, Limits, Refusal, RejectReason, check_size, inspect
from tests.fixtures.documents import samples
from tools.documents import hostile

MIB = 1024 * 1024


def _write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_limits_come_from_the_contract(limits: Limits) -> None:
    assert limits.max_bytes == 50 * MIB
    assert set(limits.content_types) == {"application/pdf", "image/png", "image/jpeg", "image/tiff"}
    assert limits.max_pages == 1000


@pytest.mark.parametrize("bad", hostile.HOSTILE, ids=lambda h: h.name)
def test_each_bad_file_class_is_refused_with_its_reason(
    tmp_path: Path, limits: Limits, bad: hostile.HostileFile
) -> None:
    with pytest.raises(Refusal) as refused:
        inspect(_write(tmp_path, bad.make()), bad.declared_type, limits)
    assert refused.value.reason == RejectReason(bad.reason), refused.value.detail
    assert refused.value.detail


def test_a_file_of_exactly_50_mib_passes_and_one_byte_more_is_too_large(
    tmp_path: Path, limits: Limits
) -> None:
    at_limit = _write(tmp_path, hostile.pdf_of_exact_size(limits.max_bytes), "at-limit.pdf")
    assert at_limit.stat().st_size == 50 * MIB
    inspection = inspect(at_limit, PDF, limits)
    assert (inspection.content_type, inspection.pages) == (PDF, 1)
    over = _write(tmp_path, hostile.pdf_of_exact_size(limits.max_bytes + 1), "over.pdf")
    with pytest.raises(Refusal) as refused:
        inspect(over, PDF, limits)
    assert refused.value.reason is RejectReason.TOO_LARGE
    # The processor refuses on the size S3 reports, before downloading anything.
    with pytest.raises(Refusal, match="52428801 bytes"):
        check_size(limits.max_bytes + 1, limits)
    check_size(limits.max_bytes, limits)


def test_too_many_pages_are_refused_with_the_page_count(tmp_path: Path) -> None:
    limits = Limits(max_bytes=50 * MIB, content_types=(PDF,), max_pages=3)
    with pytest.raises(Refusal) as refused:
        inspect(_write(tmp_path, hostile.many_pages_pdf(4)), PDF, limits)
    assert (refused.value.reason, refused.value.pages) == (RejectReason.TOO_MANY_PAGES, 4)


def test_the_type_comes_from_the_bytes_not_the_declared_type(tmp_path: Path, limits: Limits) -> None:
    png = samples()["delivery-scan.png"].data
    with pytest.raises(Refusal) as refused:
        inspect(_write(tmp_path, png), JPEG, limits)
    assert refused.value.reason is RejectReason.TYPE_MISMATCH and refused.value.detected_type == "image/png"


@pytest.mark.parametrize(
    "name", ["invoice-text.pdf", "invoice-scan.pdf", "delivery-scan.png", "delivery-scan.tiff", "mixed.pdf"]
)
def test_real_documents_pass(tmp_path: Path, limits: Limits, name: str) -> None:
    sample = samples()[name]
    inspection = inspect(_write(tmp_path, sample.data), sample.content_type, limits)
    assert inspection.content_type == sample.content_type
    assert inspection.pages == {"delivery-scan.tiff": 2, "mixed.pdf": 2}.get(name, 1)


def test_an_owner_password_pdf_that_opens_without_a_password_is_read(tmp_path: Path, limits: Limits) -> None:
    import io

    import pikepdf

    pdf = pikepdf.open(io.BytesIO(hostile.sample_pdf()))
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(user="", owner="owner-only", R=6))
    assert inspect(_write(tmp_path, buffer.getvalue()), PDF, limits).pages == 1
