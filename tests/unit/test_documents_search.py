"""Search over the team's SQLite FTS5 index: words folded for case and accents, filters, safe snippets,
user input never an FTS5 syntax error."""

from __future__ import annotations

import sqlite3

import pytest

from lambdas.documents.search import IndexedDocument, SearchFilters, fts_query, search, upsert


@pytest.fixture
def index() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    upsert(
        connection,
        IndexedDocument(
            "d1",
            "invoice",
            "fr",
            "2026-03-01",
            "f1.pdf",
            "FACTURE n° F-1\nÉchéance : 30 jours\nCarton double cannelure",
        ),
    )
    upsert(
        connection,
        IndexedDocument(
            "d2", "delivery_note", "en", "2026-04-10", "bl.pdf", "DELIVERY NOTE\nDouble wall carton x 40"
        ),
    )
    upsert(
        connection,
        IndexedDocument("d3", "other", "en", "2026-05-01", "x.pdf", "<script>alert(1)</script> carton"),
    )
    return connection


def test_words_match_without_case_or_accents(index: sqlite3.Connection) -> None:
    [hit] = search(index, "echeance", SearchFilters(), 10)
    assert hit.document_id == "d1" and "<mark>Échéance</mark>" in hit.snippet


def test_filters_by_type_language_and_date(index: sqlite3.Connection) -> None:
    def ids(filters: SearchFilters) -> set[str]:
        return {h.document_id for h in search(index, "carton", filters, 10)}

    assert ids(SearchFilters()) == {"d1", "d2", "d3"}
    assert ids(SearchFilters(document_type="delivery_note")) == {"d2"}
    assert ids(SearchFilters(language="fr")) == {"d1"}
    assert ids(SearchFilters(date_from="2026-04-01", date_to="2026-04-30")) == {"d2"}


def test_snippets_are_html_escaped(index: sqlite3.Connection) -> None:
    [hit] = search(index, "alert", SearchFilters(), 10)
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet


def test_an_upsert_replaces_the_document(index: sqlite3.Connection) -> None:
    upsert(
        index, IndexedDocument("d2", "delivery_note", "en", "2026-04-10", "bl.pdf", "PACKING SLIP pallets")
    )
    assert [h.document_id for h in search(index, "pallets", SearchFilters(), 10)] == ["d2"]
    assert {h.document_id for h in search(index, "wall", SearchFilters(), 10)} == set()


@pytest.mark.parametrize(
    "query", ['"', "AND OR NOT", "carton)", "NEAR(", "*", "a:b", "-carton", "'; drop table documents; --"]
)
def test_any_user_input_is_a_valid_query(index: sqlite3.Connection, query: str) -> None:
    search(index, query, SearchFilters(), 10)  # no sqlite3.OperationalError


def test_a_trailing_star_searches_a_prefix(index: sqlite3.Connection) -> None:
    assert fts_query("cann* x") == '"cann"* "x"'
    assert {h.document_id for h in search(index, "cann*", SearchFilters(), 10)} == {"d1"}
