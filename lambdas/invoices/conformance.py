"""Structural checks of a PDF/A-3b Factur-X document, with pypdf: not a veraPDF validation.

veraPDF (the reference PDF/A validator) is a Java application distributed outside PyPI, npm and
Debian, so it cannot be installed where this platform builds and tests. These checks read the
file independently of the engine that wrote it and cover what PDF/A-3b and Factur-X require of
its structure: the header, no encryption, a trailer ID, XMP metadata declaring PDF/A-3 level B
and the Factur-X properties with their extension schema, an sRGB output intent with its ICC
profile, every font embedded, the XML embedded as an associated file (catalogue /AF, an
AFRelationship, a MIME subtype, a modification date), no JavaScript and no external actions.
They do not check the content streams' operators, colour spaces of every object or the XMP/Info
equivalence in depth, which veraPDF does: run it on a sample before relying on more.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from lambdas.invoices.facturx_xml import CONFORMANCE_LEVEL, XML_FILENAME

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _fonts(resources: Any, seen: set[int]) -> Iterator[DictionaryObject]:
    resources = _resolve(resources)
    if not isinstance(resources, DictionaryObject):
        return
    for font in _resolve(resources.get("/Font", DictionaryObject())).values():
        font = _resolve(font)
        if id(font) in seen:
            continue
        seen.add(id(font))
        yield font
        for descendant in _resolve(font.get("/DescendantFonts", ArrayObject())):
            yield _resolve(descendant)
        if "/Resources" in font:  # Type 3 fonts carry their own resources
            yield from _fonts(font["/Resources"], seen)
    for xobject in _resolve(resources.get("/XObject", DictionaryObject())).values():
        xobject = _resolve(xobject)
        if "/Resources" in xobject:
            yield from _fonts(xobject["/Resources"], seen)


def check_pdfa3_facturx(pdf: bytes) -> list[str]:
    """Every problem found; an empty list when the structure is that of a PDF/A-3b Factur-X."""
    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[4-7]\r?\n%[\x80-\xff]{4}", pdf[:20]):
        problems.append("header: not %PDF-1.x followed by a binary comment line")
    reader = PdfReader(io.BytesIO(pdf))
    trailer = reader.trailer
    if "/Encrypt" in trailer:
        problems.append("trailer: the document is encrypted")
    if "/ID" not in trailer:
        problems.append("trailer: no file identifier (/ID)")
    catalog: Any = _resolve(reader.trailer["/Root"])
    problems += _xmp_problems(catalog)
    problems += _output_intent_problems(catalog)
    problems += _attachment_problems(catalog)
    if "/JavaScript" in _resolve(catalog.get("/Names", DictionaryObject())) or "/OpenAction" in catalog:
        problems.append("catalog: JavaScript or an open action")
    problems += _page_problems(reader)
    return problems


def _page_problems(reader: PdfReader) -> list[str]:
    """Fonts not embedded, annotations that run code or launch programs."""
    problems = []
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, start=1):
        for font in _fonts(page.get("/Resources"), seen):
            if font.get("/Subtype") in ("/Type0", "/Type3"):
                continue  # composite fonts embed through their descendants; Type 3 glyphs are content
            descriptor = _resolve(font.get("/FontDescriptor"))
            if descriptor is None or not any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                problems.append(f"page {number}: font {font.get('/BaseFont')} is not embedded")
        for annotation in _resolve(page.get("/Annots", ArrayObject())):
            action = _resolve(_resolve(annotation).get("/A", DictionaryObject()))
            if action.get("/S") in ("/JavaScript", "/Launch"):
                problems.append(f"page {number}: an annotation runs {action.get('/S')}")
    return problems


def _xmp_problems(catalog: DictionaryObject) -> list[str]:
    metadata = _resolve(catalog.get("/Metadata"))
    if not isinstance(metadata, StreamObject):
        return ["catalog: no XMP metadata stream"]
    xmp = metadata.get_data().decode("utf-8", errors="replace")
    problems = []
    expected = {
        "pdfaid:part": "3",
        "pdfaid:conformance": "B",
        "fx:DocumentFileName": XML_FILENAME,
        "fx:DocumentType": "INVOICE",
        "fx:ConformanceLevel": CONFORMANCE_LEVEL,
        "fx:Version": "1.0",
    }
    for name, value in expected.items():
        # As an attribute (pdfaid:part="3") or as an element (<fx:Version>1.0</fx:Version>).
        if not re.search(rf'{name}="{re.escape(value)}"|<{name}>{re.escape(value)}</{name}>', xmp):
            problems.append(f"XMP: {name} is not {value!r}")
    if FX_NS not in xmp or "pdfaExtension:schemas" not in xmp:
        problems.append("XMP: the Factur-X properties lack their PDF/A extension schema description")
    return problems


def _output_intent_problems(catalog: DictionaryObject) -> list[str]:
    intents = [_resolve(i) for i in _resolve(catalog.get("/OutputIntents", ArrayObject()))]
    pdfa = [i for i in intents if i.get("/S") == "/GTS_PDFA1"]
    if not pdfa:
        return ["catalog: no GTS_PDFA1 output intent"]
    profile = _resolve(pdfa[0].get("/DestOutputProfile"))
    if not isinstance(profile, StreamObject) or profile.get("/N") not in (1, 3, 4):
        return ["output intent: no embedded ICC profile (DestOutputProfile with /N)"]
    if profile.get_data()[36:40] != b"acsp":
        return ["output intent: the destination profile is not an ICC profile"]
    return []


def _attachment_problems(catalog: DictionaryObject) -> list[str]:
    associated = [_resolve(f) for f in _resolve(catalog.get("/AF", ArrayObject()))]
    names = _resolve(
        _resolve(catalog.get("/Names", DictionaryObject())).get("/EmbeddedFiles", DictionaryObject())
    )
    listed = _resolve(names.get("/Names", ArrayObject()))
    embedded = {str(listed[i]): _resolve(listed[i + 1]) for i in range(0, len(listed), 2)}
    spec = embedded.get(XML_FILENAME)
    if spec is None:
        return [f"no embedded file named {XML_FILENAME}"]
    problems = []
    if not any(f is spec or f == spec for f in associated):
        problems.append(f"catalog: {XML_FILENAME} is not an associated file (/AF)")
    if spec.get("/AFRelationship") not in ("/Data", "/Alternative", "/Source"):
        problems.append(f"{XML_FILENAME}: AFRelationship is {spec.get('/AFRelationship')}")
    if spec.get("/UF") != XML_FILENAME or spec.get("/F") != XML_FILENAME:
        problems.append(f"{XML_FILENAME}: the file specification lacks /F and /UF")
    stream = _resolve(_resolve(spec.get("/EF", DictionaryObject())).get("/F"))
    if not isinstance(stream, StreamObject):
        return [*problems, f"{XML_FILENAME}: no embedded stream"]
    if stream.get("/Subtype") not in ("/text#2Fxml", "/text/xml", "/application#2Fxml", "/application/xml"):
        problems.append(f"{XML_FILENAME}: MIME subtype is {stream.get('/Subtype')}")
    if "/ModDate" not in _resolve(stream.get("/Params", DictionaryObject())):
        problems.append(f"{XML_FILENAME}: no modification date in its parameters")
    return problems


def embedded_xml(pdf: bytes) -> bytes:
    """The Factur-X XML embedded in a PDF, read with pypdf."""
    reader = PdfReader(io.BytesIO(pdf))
    for name, contents in reader.attachments.items():
        if name == XML_FILENAME:
            return bytes(contents[0])
    raise KeyError(f"no {XML_FILENAME} in the PDF")
