"""The OpenSearch emulator answers as OpenSearch documents it: its errors' types, statuses and bodies,
through the official client (opensearch-py), which maps them to its own exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import ConflictError, NotFoundError, OpenSearch, RequestError, TransportError

from local_platform.emulators.opensearch import OpenSearchEmulator

MAPPINGS = {
    "dynamic": "strict",
    "properties": {"kind": {"type": "keyword"}, "day": {"type": "date"}, "text": {"type": "text"}},
}


@pytest.fixture(scope="module")
def search() -> Iterator[OpenSearch]:
    with OpenSearchEmulator() as server:
        client = OpenSearch(hosts=[server.url])
        client.indices.create(index="things", body={"mappings": MAPPINGS})
        client.index(index="things", id="1", body={"kind": "a", "day": "2026-01-02", "text": "Blue carton"})
        yield client


def error_of(exc: Any) -> dict[str, Any]:
    return dict(exc.info["error"])


def test_a_missing_index_is_index_not_found(search: OpenSearch) -> None:
    with pytest.raises(NotFoundError) as raised:
        search.search(index="nothing", body={"query": {"match_all": {}}})
    error = error_of(raised.value)
    assert (raised.value.status_code, error["type"], error["index"]) == (
        404,
        "index_not_found_exception",
        "nothing",
    )
    assert error["root_cause"][0]["reason"] == "no such index [nothing]"
    assert not search.indices.exists(index="nothing")


def test_an_index_name_that_is_not_lower_case_is_refused(search: OpenSearch) -> None:
    with pytest.raises(RequestError) as raised:
        search.indices.create(index="Things", body={"mappings": MAPPINGS})
    assert raised.value.error == "invalid_index_name_exception"
    assert error_of(raised.value)["reason"] == "Invalid index name [Things], must be lowercase"


def test_creating_an_existing_index_is_resource_already_exists(search: OpenSearch) -> None:
    with pytest.raises(RequestError) as raised:
        search.indices.create(index="things", body={"mappings": MAPPINGS})
    assert raised.value.status_code == 400 and raised.value.error == "resource_already_exists_exception"


@pytest.mark.parametrize(
    ("mappings", "reason"),
    [
        (
            {"properties": {"x": {"type": "geo_shape_3d"}}},
            "No handler for type [geo_shape_3d] declared on field [x]",
        ),
        (
            {"properties": {"x": {"type": "text", "analyzer": "klingon"}}},
            "analyzer [klingon] has not been configured",
        ),
    ],
)
def test_a_mapping_opensearch_cannot_build_is_a_mapper_parsing_exception(
    search: OpenSearch, mappings: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RequestError) as raised:
        search.indices.create(index="bad-mapping", body={"mappings": mappings})
    assert raised.value.error == "mapper_parsing_exception" and reason in error_of(raised.value)["reason"]


def test_a_field_outside_strict_mappings_is_refused(search: OpenSearch) -> None:
    with pytest.raises(RequestError) as raised:
        search.index(index="things", id="2", body={"kind": "a", "colour": "blue"})
    assert raised.value.error == "strict_dynamic_mapping_exception"


def test_a_value_that_does_not_parse_is_a_mapper_parsing_exception(search: OpenSearch) -> None:
    with pytest.raises(RequestError) as raised:
        search.index(index="things", id="3", body={"day": "tomorrow"})
    assert raised.value.error == "mapper_parsing_exception"
    assert "failed to parse field [day] of type [date]" in error_of(raised.value)["reason"]


def test_an_unknown_query_is_a_parsing_exception(search: OpenSearch) -> None:
    with pytest.raises(RequestError) as raised:
        search.search(index="things", body={"query": {"fuzzy_telepathy": {"text": "x"}}})
    assert (
        raised.value.error == "parsing_exception"
        and error_of(raised.value)["reason"] == "unknown query [fuzzy_telepathy]"
    )


def test_highlighting_a_text_over_the_limit_needs_max_analyzed_offset(search: OpenSearch) -> None:
    search.index(index="things", id="long", body={"kind": "z", "text": "needle " + "hay " * 260_000})
    body: dict[str, Any] = {"query": {"match": {"text": "needle"}}, "highlight": {"fields": {"text": {}}}}
    with pytest.raises(RequestError) as raised:
        search.search(index="things", body=body)
    assert raised.value.error == "illegal_argument_exception"
    assert "maximum allowed to be analyzed for highlighting" in error_of(raised.value)["reason"]
    body["highlight"]["max_analyzed_offset"] = 1_000_000
    [hit] = search.search(index="things", body=body)["hits"]["hits"]
    assert hit["highlight"]["text"][0].startswith("<em>needle</em>")


def test_a_request_over_10_mib_is_refused_like_a_small_domain(search: OpenSearch) -> None:
    with pytest.raises(TransportError) as raised:
        search.index(index="things", id="big", body={"text": "x" * (11 * 1024 * 1024)})
    assert raised.value.status_code == 413


def test_creating_an_existing_document_is_a_version_conflict(search: OpenSearch) -> None:
    with pytest.raises(ConflictError) as raised:
        search.index(index="things", id="1", body={"kind": "b"}, op_type="create")
    assert raised.value.status_code == 409 and raised.value.error == "version_conflict_engine_exception"


def test_a_search_answers_hits_with_total_source_and_highlight(search: OpenSearch) -> None:
    answer = search.search(
        index="things",
        body={
            "query": {"bool": {"must": [{"match": {"text": "carton"}}], "filter": [{"term": {"kind": "a"}}]}},
            "highlight": {"fields": {"text": {}}},
        },
    )
    [hit] = answer["hits"]["hits"]
    assert answer["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert (hit["_id"], hit["_source"]["kind"], hit["highlight"]["text"]) == (
        "1",
        "a",
        ["Blue <em>carton</em>"],
    )
    assert hit["_score"] > 0 and answer["hits"]["max_score"] == hit["_score"]
