"""The `SearchIndex` contract, run over both adapters: the SQLite FTS5 file in S3 (the moto server)
and OpenSearch (the emulator speaking its REST API, through opensearch-py with SigV4 signing).

Then what only the OpenSearch adapter has: the index it creates per team and its mappings, the
errors of the server turned into clear ones, requests signed for the `es` service.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdas.documents.opensearch_index import INDEX, OpenSearchIndex
from lambdas.documents.search import (
    IndexedDocument,
    S3SearchIndex,
    SearchFilters,
    SearchIndex,
    SearchIndexError,
)
from lambdas.documents.search_backend import opensearch_client
from local_platform.emulators.opensearch import OpenSearchEmulator
from platform_core.aws import client

pytestmark = pytest.mark.integration

INVOICE = IndexedDocument(
    "d1",
    "invoice",
    "fr",
    "2026-03-01",
    "facture-f1.pdf",
    "FACTURE n° F-1\nÉchéance : 30 jours\nCarton double cannelure",
)
DELIVERY = IndexedDocument(
    "d2", "delivery_note", "en", "2026-04-10", "bl.pdf", "DELIVERY NOTE\nDouble wall carton x 40"
)
HOSTILE = IndexedDocument("d3", "other", "en", "2026-05-01", "x.pdf", "<script>alert(1)</script> carton")


@pytest.fixture(scope="module")
def opensearch() -> Iterator[OpenSearchEmulator]:
    with OpenSearchEmulator(require_signature=True) as server:
        yield server


@pytest.fixture(params=["sqlite-s3", "opensearch"])
def index(request: pytest.FixtureRequest, aws_endpoint_url: str, tmp_path: Path) -> SearchIndex:
    if request.param == "sqlite-s3":
        bucket = f"search-{uuid.uuid4().hex[:12]}"
        client("s3").create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": client("s3").meta.region_name}
        )
        return S3SearchIndex(client("s3"), bucket, cache_dir=tmp_path)
    server: OpenSearchEmulator = request.getfixturevalue("opensearch")
    return OpenSearchIndex(opensearch_client(server.url), index_prefix=f"t{uuid.uuid4().hex[:8]}-documents-")


@pytest.fixture
def filled(index: SearchIndex) -> SearchIndex:
    for document in (INVOICE, DELIVERY, HOSTILE):
        index.upsert("billing", document)
    return index


def ids(
    index: SearchIndex, query: str, filters: SearchFilters | None = None, team: str = "billing"
) -> set[str]:
    return {h.document_id for h in index.search(team, query, filters or SearchFilters(), 10)}


def test_words_match_without_case_or_accents_and_the_snippet_marks_them(filled: SearchIndex) -> None:
    [hit] = filled.search("billing", "echeance", SearchFilters(), 10)
    assert (hit.document_id, hit.document_type, hit.language, hit.document_date, hit.file_name) == (
        "d1",
        "invoice",
        "fr",
        "2026-03-01",
        "facture-f1.pdf",
    )
    assert "<mark>Échéance</mark>" in hit.snippet and hit.score > 0


def test_every_word_is_required(filled: SearchIndex) -> None:
    assert ids(filled, "carton") == {"d1", "d2", "d3"}
    assert ids(filled, "carton wall") == {"d2"}
    assert ids(filled, "carton zeppelin") == set()


def test_a_word_the_tokenizer_splits_matches_as_a_phrase(filled: SearchIndex) -> None:
    assert ids(filled, "F-1") == {"d1"}
    assert ids(filled, "1-F") == set()  # the same parts, not in that order


def test_each_filter_narrows_the_hits(filled: SearchIndex) -> None:
    assert ids(filled, "carton", SearchFilters(document_type="delivery_note")) == {"d2"}
    assert ids(filled, "carton", SearchFilters(language="fr")) == {"d1"}
    assert ids(filled, "carton", SearchFilters(date_from="2026-04-01")) == {"d2", "d3"}
    assert ids(filled, "carton", SearchFilters(date_to="2026-04-10")) == {"d1", "d2"}
    assert ids(filled, "carton", SearchFilters(date_from="2026-04-01", date_to="2026-04-30")) == {"d2"}
    assert ids(filled, "carton", SearchFilters(document_type="invoice", language="en")) == set()


def test_snippets_are_html_escaped(filled: SearchIndex) -> None:
    [hit] = filled.search("billing", "alert", SearchFilters(), 10)
    assert (
        "<script>" not in hit.snippet
        and "&lt;script&gt;" in hit.snippet
        and "<mark>alert</mark>" in hit.snippet
    )


def test_a_trailing_star_searches_a_prefix(filled: SearchIndex) -> None:
    assert ids(filled, "cann*") == {"d1"}


def test_the_limit_caps_the_hits(filled: SearchIndex) -> None:
    assert len(filled.search("billing", "carton", SearchFilters(), 2)) == 2


def test_pages_follow_each_other_without_repeating_or_skipping_a_hit(filled: SearchIndex) -> None:
    every = [h.document_id for h in filled.search("billing", "carton", SearchFilters(), 10)]
    paged = [
        h.document_id for at in range(3) for h in filled.search("billing", "carton", SearchFilters(), 1, at)
    ]
    assert len(every) == 3 and paged == every
    assert filled.search("billing", "carton", SearchFilters(), 10, 3) == []


def test_a_document_indexed_twice_is_found_once_with_its_last_text(filled: SearchIndex) -> None:
    filled.upsert("billing", DELIVERY)  # a retried message
    assert [h.document_id for h in filled.search("billing", "wall", SearchFilters(), 10)] == ["d2"]
    filled.upsert(
        "billing",
        IndexedDocument("d2", "delivery_note", "en", "2026-04-10", "bl.pdf", "PACKING SLIP pallets"),
    )
    assert ids(filled, "pallets") == {"d2"} and ids(filled, "wall") == set()
    assert ids(filled, "carton") == {"d1", "d3"}


def test_a_team_never_finds_another_teams_documents(filled: SearchIndex) -> None:
    assert ids(filled, "carton", team="orders") == set()  # a team with no index yet
    filled.upsert("orders", IndexedDocument("o1", "quote", "en", "2026-06-01", "q.pdf", "Quote for carton"))
    assert ids(filled, "carton", team="orders") == {"o1"}
    assert ids(filled, "carton") == {"d1", "d2", "d3"}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        "AND OR NOT",
        "carton)",
        "NEAR(",
        "*",
        "a:b",
        "-carton",
        "'; drop table documents; --",
        '{"match_all":{}}',
    ],
)
def test_any_user_input_is_a_valid_query(filled: SearchIndex, query: str) -> None:
    filled.search("billing", query, SearchFilters(), 10)  # no syntax error from the engine


def test_a_document_of_over_a_million_characters_is_found_with_a_snippet(index: SearchIndex) -> None:
    long_text = "Bordereau de livraison palette " + "carton " * 160_000  # 1.1 million characters
    index.upsert("billing", IndexedDocument("big", "delivery_note", "fr", "2026-01-01", "big.pdf", long_text))
    [hit] = index.search("billing", "bordereau", SearchFilters(), 10)
    assert hit.document_id == "big" and "<mark>Bordereau</mark>" in hit.snippet


# -- the OpenSearch adapter's own ----------------------------------------------------------------


def test_each_team_gets_its_own_index_with_explicit_mappings(opensearch: OpenSearchEmulator) -> None:
    search_client = opensearch_client(opensearch.url)
    index = OpenSearchIndex(search_client, index_prefix="own-")
    index.upsert("billing", INVOICE)
    created = search_client.indices.get(index="own-billing")["own-billing"]
    assert created["mappings"] == INDEX["mappings"]
    assert search_client.get(index="own-billing", id="d1")["_source"]["team"] == "billing"
    assert not search_client.indices.exists(index="own-orders")


def test_a_retry_updates_the_same_document_under_its_id(opensearch: OpenSearchEmulator) -> None:
    search_client = opensearch_client(opensearch.url)
    index = OpenSearchIndex(search_client, index_prefix="retry-")
    index.upsert("billing", INVOICE)
    index.upsert("billing", INVOICE)
    stored = search_client.get(index="retry-billing", id="d1")
    assert stored["_version"] == 2
    assert (
        search_client.search(index="retry-billing", body={"query": {"match_all": {}}})["hits"]["total"][
            "value"
        ]
        == 1
    )


def test_french_and_english_words_match_their_inflections(opensearch: OpenSearchEmulator) -> None:
    index = OpenSearchIndex(opensearch_client(opensearch.url), index_prefix="stem-")
    index.upsert("billing", INVOICE)
    index.upsert("billing", DELIVERY)
    assert ids(index, "cannelures") == {"d1"}  # French plural, French analyzer
    assert ids(index, "walls") == {"d2"}  # English plural, English analyzer


def test_an_index_deleted_behind_the_adapter_is_created_again(opensearch: OpenSearchEmulator) -> None:
    search_client = opensearch_client(opensearch.url)
    index = OpenSearchIndex(search_client, index_prefix="gone-")
    index.upsert("billing", INVOICE)
    search_client.indices.delete(index="gone-billing")
    assert ids(index, "facture") == set()  # a missing index is an empty one for search
    index.upsert("billing", DELIVERY)  # the domain auto-creates it from the adapter's template
    assert ids(index, "carton") == {"d2"}
    assert search_client.indices.get(index="gone-billing")["gone-billing"]["mappings"] == INDEX["mappings"]


def test_a_text_past_the_domains_payload_limit_is_indexed_up_to_it(opensearch: OpenSearchEmulator) -> None:
    index = OpenSearchIndex(opensearch_client(opensearch.url), index_prefix="huge-")
    text = "Relevé trimestriel " + "écriture " * 1_200_000 + " conclusion"  # 12 MB in UTF-8
    index.upsert("billing", IndexedDocument("huge", "other", "fr", "2026-01-01", "huge.pdf", text))
    assert ids(index, "releve") == {"huge"}
    assert ids(index, "conclusion") == set()  # past the indexed part


def test_a_document_the_mappings_refuse_is_a_clear_error(opensearch: OpenSearchEmulator) -> None:
    index = OpenSearchIndex(opensearch_client(opensearch.url), index_prefix="refuse-")
    with pytest.raises(
        SearchIndexError, match=r"HTTP 400 mapper_parsing_exception: failed to parse field \[document_date\]"
    ):
        index.upsert("billing", IndexedDocument("d9", "invoice", "fr", "le 3 mars", "f.pdf", "x"))


def test_an_index_name_opensearch_refuses_is_a_clear_error(opensearch: OpenSearchEmulator) -> None:
    index = OpenSearchIndex(opensearch_client(opensearch.url), index_prefix="Documents-")
    with pytest.raises(
        SearchIndexError, match=r"storing the index template: HTTP 400 invalid_index_template"
    ):
        index.upsert("billing", INVOICE)


def test_unsigned_requests_are_refused_like_a_domain_with_an_iam_policy(
    opensearch: OpenSearchEmulator,
) -> None:
    from opensearchpy import OpenSearch

    unsigned = OpenSearchIndex(OpenSearch(hosts=[opensearch.url]), index_prefix="unsigned-")
    with pytest.raises(SearchIndexError, match=r"HTTP 403 .*not authorized to perform: es:ESHttpPut"):
        unsigned.upsert("billing", INVOICE)
