"""A contract emulator of OpenSearch's REST API: the index, document and search calls the documents
service makes, with OpenSearch's request and response shapes and its documented errors.

No OpenSearch runs on this machine, so this server stands in for an Amazon OpenSearch Service domain
in tests and locally. Behind it, a real full-text engine (tantivy: analysis, BM25, snippets), one
in-memory tantivy index per OpenSearch index. What it speaks:

- `GET /` (cluster info), `HEAD|PUT|DELETE /<index>`, `POST /<index>/_refresh`,
  `PUT /_index_template/<name>` (composable templates: patterns, priority, settings, mappings);
- `PUT|POST /<index>/_doc/<id>` (`op_type=create`, `refresh`), `GET /<index>/_doc/<id>`;
- `GET|POST /<index>/_search` with `query` (`bool` with must/filter/should/must_not, `match_all`,
  `match`, `multi_match` of type best_fields or phrase_prefix, `term`, `terms`, `range`), `from`,
  `size`, `_source` filtering and `highlight` (pre/post tags, the html encoder, fragment_size,
  number_of_fragments, no_match_size).
- Mappings: `text` (analyzers standard, simple, whitespace, keyword, english, french and custom
  ones of tokenizer standard/whitespace/keyword with filters lowercase, asciifolding), `keyword`,
  `date` (ISO dates), multi-fields (`fields`), `dynamic: strict`.
- Errors as OpenSearch writes them (`{"error": {"root_cause": [...], "type", "reason"}, "status"}`):
  `index_not_found_exception` 404, `resource_already_exists_exception` 400,
  `invalid_index_name_exception` 400, `mapper_parsing_exception` 400 (an unknown field type or
  analyzer, a value that does not parse), `strict_dynamic_mapping_exception` 400, `parsing_exception`
  400 (an unknown or malformed query), `version_conflict_engine_exception` 409 (`op_type=create` of
  an existing id), `illegal_argument_exception` 400.

Where it differs from OpenSearch, on purpose and documented: writes are visible at once (every
write commits, which is what `refresh=wait_for` waits for); a write into a missing index creates it
from its matching index template, and without one answers 404 `index_not_found_exception`, as a
cluster with `action.auto_create_index: false` does (dynamic mappings are not emulated); analysis is tantivy's
(Unicode-aware simple tokenizer, Snowball stemmers for english and french, whose accents are then
folded, as OpenSearch's light French stemmer does), so scores are BM25 like OpenSearch's, not
bit-identical.

Requests over 10 MiB are refused with 413 as Amazon OpenSearch Service does for small instance types
(`max_content_length`). `require_signature=True` makes it answer like a domain whose access policy names IAM roles: a
request without an AWS Signature Version 4 for the `es` service is refused with 403 (the signature
itself is not verified: the emulator has no secret to check it against).
"""

from __future__ import annotations

import datetime
import fnmatch
import functools
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import tantivy

from local_platform.emulators.http_server import EmulatorServer, Request, Response

VERSION = "2.19.0"
MAX_RESULT_WINDOW = 10_000
# The HTTP payload a domain of small instances (t3.small.search up to *.large) accepts: AWS answers 413.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
MAX_ANALYZED_OFFSET = 1_000_000  # index.highlight.max_analyzed_offset's default, in characters
MAX_EXPANSIONS = 50  # terms a prefix expands to, as OpenSearch's phrase_prefix max_expansions default
_INVALID_INDEX_CHARS = set('\\/*?"<>| ,#:')
_KNOWN_INDEX_SETTINGS = {"number_of_shards", "number_of_replicas", "refresh_interval", "analysis"}
_SIGNATURE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/[a-z0-9-]+/(?P<service>[a-z]+)/aws4_request"
)


class OpenSearchError(Exception):
    def __init__(self, status: int, error_type: str, reason: str, **details: Any):
        super().__init__(reason)
        self.status = status
        self.error_type = error_type
        self.reason = reason
        self.details = details

    def body(self) -> dict[str, Any]:
        cause = {"type": self.error_type, "reason": self.reason, **self.details}
        return {"error": {"root_cause": [cause], **cause}, "status": self.status}


def _index_not_found(name: str) -> OpenSearchError:
    return OpenSearchError(
        404,
        "index_not_found_exception",
        f"no such index [{name}]",
        index=name,
        **{"resource.id": name, "resource.type": "index_or_alias", "index_uuid": "_na_"},
    )


def _mapper_parsing(reason: str) -> OpenSearchError:
    return OpenSearchError(400, "mapper_parsing_exception", reason)


def _parsing(reason: str) -> OpenSearchError:
    return OpenSearchError(400, "parsing_exception", reason, line=1, col=1)


# -- analysis --------------------------------------------------------------------------------------

_TOKENIZERS: dict[str, Callable[[], Any]] = {
    "standard": tantivy.Tokenizer.simple,
    "whitespace": tantivy.Tokenizer.whitespace,
    "keyword": tantivy.Tokenizer.raw,
}
_FILTERS: dict[str, Callable[[], Any]] = {
    "lowercase": tantivy.Filter.lowercase,
    "asciifolding": tantivy.Filter.ascii_fold,
}
# The built-in analyzers the emulator knows: tokenizer, then filters, in OpenSearch's order.
_BUILTIN_ANALYZERS: dict[str, tuple[str, tuple[Callable[[], Any], ...]]] = {
    "standard": ("standard", (tantivy.Filter.lowercase,)),
    "simple": ("standard", (tantivy.Filter.lowercase,)),
    "whitespace": ("whitespace", ()),
    "keyword": ("keyword", ()),
    "english": (
        "standard",
        (
            tantivy.Filter.lowercase,
            lambda: tantivy.Filter.stopword("english"),
            lambda: tantivy.Filter.stemmer("english"),
        ),
    ),
    "french": (
        "standard",
        (
            tantivy.Filter.lowercase,
            lambda: tantivy.Filter.stopword("french"),
            lambda: tantivy.Filter.stemmer("french"),
            tantivy.Filter.ascii_fold,
        ),
    ),
}


def _analyzer(name: str, custom: dict[str, Any]) -> Any:
    if name in custom:
        spec = custom[name]
        if spec.get("type", "custom") != "custom":
            raise OpenSearchError(
                400, "illegal_argument_exception", f"Unknown analyzer type [{spec.get('type')}] for [{name}]"
            )
        tokenizer = spec.get("tokenizer", "standard")
        if tokenizer not in _TOKENIZERS:
            raise OpenSearchError(
                400, "illegal_argument_exception", f"failed to find tokenizer under name [{tokenizer}]"
            )
        filters = []
        for filter_name in spec.get("filter", []):
            if filter_name not in _FILTERS:
                raise OpenSearchError(
                    400,
                    "illegal_argument_exception",
                    f"Custom Analyzer [{name}] failed to find filter under name [{filter_name}]",
                )
            filters.append(_FILTERS[filter_name])
        return _build(_TOKENIZERS[tokenizer], filters)
    if name in _BUILTIN_ANALYZERS:
        tokenizer, builtin_filters = _BUILTIN_ANALYZERS[name]
        return _build(_TOKENIZERS[tokenizer], builtin_filters)
    raise _mapper_parsing(
        f"Failed to parse mapping [_doc]: analyzer [{name}] has not been configured in mappings"
    )


def _build(tokenizer: Callable[[], Any], filters: Any) -> Any:
    builder = tantivy.TextAnalyzerBuilder(tokenizer())
    for make in filters:
        builder = builder.filter(make())
    return builder.build()


# -- one index -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    name: str  # OpenSearch's name: "body", "body.fr"
    kind: str  # text, keyword, date
    analyzer: str = ""  # text only: the registered analyzer's name

    @property
    def engine_name(self) -> str:
        return self.name.replace(".", "__")


@dataclass
class _Index:
    name: str
    uuid: str
    settings: dict[str, Any]
    mappings: dict[str, Any]
    fields: dict[str, _Field]
    engine: Any
    writer: Any
    analyzers: dict[str, Any]
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    seq_no: itertools.count = field(default_factory=itertools.count)


def _create_index(name: str, body: dict[str, Any]) -> _Index:
    settings = _index_settings(body.get("settings") or {})
    mappings = dict(body.get("mappings") or {})
    if mappings.get("dynamic", True) not in (True, False, "true", "false", "strict"):
        raise _mapper_parsing(
            f"Failed to parse mapping [_doc]: Unknown value [{mappings['dynamic']}] for [dynamic]"
        )
    custom_analyzers = (settings.get("analysis") or {}).get("analyzer") or {}
    fields: dict[str, _Field] = {}
    analyzers: dict[str, Any] = {}
    for path, spec in (mappings.get("properties") or {}).items():
        _declare(path, spec, fields, analyzers, custom_analyzers)

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("_id", stored=True, tokenizer_name="raw")
    for f in fields.values():
        if f.kind == "text":
            builder.add_text_field(f.engine_name, stored=True, tokenizer_name=f"analyzer_{f.analyzer}")
        elif f.kind == "keyword":
            builder.add_text_field(f.engine_name, stored=True, tokenizer_name="raw")
        else:
            builder.add_date_field(f.engine_name, stored=True, indexed=True, fast=True)
    engine = tantivy.Index(builder.build())
    for analyzer_name, analyzer in analyzers.items():
        engine.register_tokenizer(f"analyzer_{analyzer_name}", analyzer)
    return _Index(
        name=name,
        uuid=uuid.uuid4().hex[:22],
        settings=settings,
        mappings=mappings,
        fields=fields,
        engine=engine,
        writer=engine.writer(heap_size=15_000_000, num_threads=1),
        analyzers=analyzers,
    )


def _index_settings(given: dict[str, Any]) -> dict[str, Any]:
    settings = dict(given)
    settings = {**settings.pop("index", {}), **settings}
    for key in settings:
        if key not in _KNOWN_INDEX_SETTINGS:
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                f"unknown setting [index.{key}] please check that any required plugins are installed, "
                "or check the breaking changes documentation for removed settings",
            )
    return settings


def _declare(
    path: str,
    spec: dict[str, Any],
    fields: dict[str, _Field],
    analyzers: dict[str, Any],
    custom_analyzers: dict[str, Any],
) -> None:
    """One mapped field (and its multi-fields), its analyzer built once per index."""
    kind = spec.get("type", "object")
    if kind == "text":
        analyzer = spec.get("analyzer", "standard")
        if analyzer not in analyzers:
            analyzers[analyzer] = _analyzer(analyzer, custom_analyzers)
        fields[path] = _Field(path, kind, analyzer)
    elif kind in ("keyword", "date"):
        fields[path] = _Field(path, kind)
    else:
        raise _mapper_parsing(
            f"Failed to parse mapping [_doc]: No handler for type [{kind}] declared on field [{path}]"
        )
    for sub, sub_spec in (spec.get("fields") or {}).items():
        _declare(f"{path}.{sub}", sub_spec, fields, analyzers, custom_analyzers)


def _parse_date(value: Any) -> datetime.datetime:
    parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


# -- the server ------------------------------------------------------------------------------------


class OpenSearchEmulator(EmulatorServer):
    name = "opensearch"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        require_signature: bool = False,
        max_content_length: int = MAX_PAYLOAD_BYTES,
    ):
        super().__init__(host, port)
        self._indexes: dict[str, _Index] = {}
        self._templates: dict[str, dict[str, Any]] = {}  # composable index templates by name
        self._lock = threading.Lock()
        self.require_signature = require_signature
        self.max_content_length = max_content_length

    def respond(self, request: Request) -> Response:
        if len(request.body) > self.max_content_length:
            return Response.json(413, {"Message": f"Request size exceeded {self.max_content_length} bytes"})
        try:
            self._authorize(request)
            with self._lock:
                status, body = self._route(request)
        except OpenSearchError as exc:
            if request.method == "HEAD":
                return Response(exc.status)
            return Response.json(exc.status, exc.body())
        except (
            Exception
        ) as exc:  # what OpenSearch answers for its own fault, rather than a dropped connection
            return Response.json(
                500, OpenSearchError(500, "exception", f"{type(exc).__name__}: {exc}").body()
            )
        if body is None:
            return Response(status)
        return Response.json(status, body)

    def _authorize(self, request: Request) -> None:
        if not self.require_signature:
            return
        signature = _SIGNATURE.match(request.headers.get("authorization", ""))
        if signature is None or signature["service"] != "es":
            action = "ESHttp" + request.method.capitalize()
            raise _AccessDenied(
                f"User: anonymous is not authorized to perform: es:{action} because no resource-based "
                f"policy allows the es:{action} action"
            )

    def _route(self, request: Request) -> tuple[int, Any]:
        parts = [p for p in request.path.split("/") if p]
        method = request.method
        if not parts and method in ("GET", "HEAD"):
            return 200, self._info()
        if len(parts) == 1 and not parts[0].startswith("_") and method in ("HEAD", "PUT", "DELETE", "GET"):
            return self._index_route(parts[0], request)
        if _is_action(parts, method):
            return 200, self._action(parts, request)
        if len(parts) == 3 and parts[1] == "_doc" and method in ("PUT", "POST"):
            return self._put_document(parts[0], parts[2], request)
        if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
            return self._get_document(parts[0], parts[2])
        raise OpenSearchError(
            400,
            "illegal_argument_exception",
            f"no handler found for uri [{request.path}] and method [{method}]",
        )

    def _action(self, parts: list[str], request: Request) -> Any:
        if parts[0] == "_index_template":
            return self._put_template(parts[1], _json_body(request) or {})
        index = self._index(parts[0])
        if parts[1] == "_refresh":
            return {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        return self._search(index, _json_body(request) or {})

    def _index_route(self, name: str, request: Request) -> tuple[int, Any]:
        if request.method == "PUT":
            return 200, self._create(name, _json_body(request))
        index = self._index(name)
        if request.method == "HEAD":
            return 200, None
        if request.method == "DELETE":
            del self._indexes[name]
            return 200, {"acknowledged": True}
        return 200, {name: {"mappings": index.mappings, "settings": {"index": index.settings}}}

    def _info(self) -> dict[str, Any]:
        return {
            "name": "local-opensearch",
            "cluster_name": "local",
            "cluster_uuid": "local-opensearch-emulator",
            "version": {"distribution": "opensearch", "number": VERSION, "lucene_version": "9.12.1"},
            "tagline": "The OpenSearch Project: https://opensearch.org/",
        }

    def _index(self, name: str) -> _Index:
        index = self._indexes.get(name)
        if index is None:
            raise _index_not_found(name)
        return index

    def _create(self, name: str, body: Any) -> dict[str, Any]:
        _check_index_name(name)
        if name in self._indexes:
            existing = self._indexes[name]
            raise OpenSearchError(
                400,
                "resource_already_exists_exception",
                f"index [{name}/{existing.uuid}] already exists",
                index_uuid=existing.uuid,
                index=name,
            )
        # The request's settings and mappings win over a matching template's (whole sections, here).
        self._indexes[name] = _create_index(name, {**self._template_for(name), **(body or {})})
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _put_template(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        if name != name.lower() or set(name) & _INVALID_INDEX_CHARS:
            raise OpenSearchError(
                400,
                "invalid_index_template_exception",
                f"index_template [{name}] invalid, cause [name must be lower cased and contain no {''.join(sorted(_INVALID_INDEX_CHARS))}]",
            )
        patterns = body.get("index_patterns")
        if not patterns:
            raise OpenSearchError(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index patterns are missing;",
            )
        template = body.get("template") or {}
        _create_index(
            "template-check", template
        )  # its mappings and settings must build, as OpenSearch checks
        self._templates[name] = {
            "index_patterns": [patterns] if isinstance(patterns, str) else list(patterns),
            "priority": int(body.get("priority", 0)),
            "template": template,
        }
        return {"acknowledged": True}

    def _template_for(self, name: str) -> dict[str, Any]:
        matching = [
            t
            for t in self._templates.values()
            if any(fnmatch.fnmatchcase(name, p) for p in t["index_patterns"])
        ]
        return max(matching, key=lambda t: t["priority"])["template"] if matching else {}

    def _put_document(self, name: str, document_id: str, request: Request) -> tuple[int, dict[str, Any]]:
        if name not in self._indexes and self._template_for(name):
            self._create(name, {})  # auto-created from its template, as OpenSearch does
        index = self._index(name)
        try:
            source = json.loads(request.body)
        except ValueError:
            raise OpenSearchError(400, "mapper_parsing_exception", "failed to parse") from None
        if not isinstance(source, dict):
            raise OpenSearchError(400, "mapper_parsing_exception", "failed to parse")
        if request.query.get("op_type", [""])[0] == "create" and document_id in index.sources:
            raise OpenSearchError(
                409,
                "version_conflict_engine_exception",
                f"[{document_id}]: version conflict, document already exists "
                f"(current version [{index.versions[document_id]}])",
                index=name,
                shard="0",
                index_uuid=index.uuid,
            )
        document = tantivy.Document()
        document.add_text("_id", document_id)
        for path, value in source.items():
            self._add_value(index, document, document_id, path, value)
        index.writer.delete_documents_by_term("_id", document_id)
        index.writer.add_document(document)
        index.writer.commit()
        index.engine.reload()
        created = document_id not in index.sources
        index.sources[document_id] = source
        index.versions[document_id] = index.versions.get(document_id, 0) + 1
        return (201 if created else 200), {
            "_index": name,
            "_id": document_id,
            "_version": index.versions[document_id],
            "result": "created" if created else "updated",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": next(index.seq_no),
            "_primary_term": 1,
        }

    def _add_value(self, index: _Index, document: Any, document_id: str, path: str, value: Any) -> None:
        mapped = index.fields.get(path)
        if mapped is None:
            if index.mappings.get("dynamic") == "strict":
                raise OpenSearchError(
                    400,
                    "strict_dynamic_mapping_exception",
                    f"mapping set to strict, dynamic introduction of [{path}] within [_doc] is not allowed",
                )
            return  # kept in _source, not indexed (dynamic mappings are not emulated)
        if value is None:
            return
        family = [f for f in index.fields.values() if f.name == path or f.name.startswith(f"{path}.")]
        for f in family:
            if f.kind == "date":
                try:
                    document.add_date(f.engine_name, _parse_date(value))
                except ValueError:
                    raise _mapper_parsing(
                        f"failed to parse field [{f.name}] of type [date] in document with id "
                        f"'{document_id}'. Preview of field's value: '{value}'"
                    ) from None
            elif isinstance(value, (dict, list)):
                raise _mapper_parsing(
                    f"failed to parse field [{f.name}] of type [{f.kind}] in document with id '{document_id}'. "
                    f"Preview of field's value: '{json.dumps(value)[:80]}'"
                )
            else:
                document.add_text(f.engine_name, value if isinstance(value, str) else json.dumps(value))

    def _get_document(self, name: str, document_id: str) -> tuple[int, dict[str, Any]]:
        index = self._index(name)
        if document_id not in index.sources:
            return 404, {"_index": name, "_id": document_id, "found": False}
        return 200, {
            "_index": name,
            "_id": document_id,
            "_version": index.versions[document_id],
            "_seq_no": 0,
            "_primary_term": 1,
            "found": True,
            "_source": index.sources[document_id],
        }

    # -- search ------------------------------------------------------------------------------------

    def _search(self, index: _Index, body: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        known = {"query", "from", "size", "sort", "_source", "highlight", "track_total_hits"}
        for key in body:
            if key not in known:
                raise _parsing(f"Unknown key for a START_OBJECT in [{key}].")
        offset, size = int(body.get("from", 0)), int(body.get("size", 10))
        if offset + size > MAX_RESULT_WINDOW:
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                f"Result window is too large, from + size must be less than or equal to: [{MAX_RESULT_WINDOW}] "
                f"but was [{offset + size}].",
            )
        searcher = index.engine.searcher()
        query = _QueryBuilder(index, searcher).build(body.get("query", {"match_all": {}}))
        sort = _sort_keys(index, body.get("sort"))
        total, page = _page(index, searcher, query, sort, offset=offset, size=size)
        highlighter = _Highlighter(index, searcher, query, body.get("highlight"))
        hits = []
        for score, stored, sort_values in page:
            document_id = stored.get_first("_id")
            hit: dict[str, Any] = {"_index": index.name, "_id": document_id, "_score": score}
            source = _filter_source(index.sources[document_id], body.get("_source", True))
            if source is not None:
                hit["_source"] = source
            highlight = highlighter.highlight(stored)
            if highlight:
                hit["highlight"] = highlight
            if sort_values is not None:
                hit["sort"] = sort_values
                if all(field != "_score" for field, _ in sort or ()):
                    hit["_score"] = None  # as OpenSearch, unless track_scores
            hits.append(hit)
        scores = [h["_score"] for h in hits if h["_score"] is not None]
        return {
            "took": int((time.perf_counter() - started) * 1000),
            "timed_out": False,
            "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
            "hits": {
                "total": {"value": total, "relation": "eq"},
                "max_score": max(scores, default=None),
                "hits": hits,
            },
        }


def _page(
    index: _Index, searcher: Any, query: Any, sort: list[tuple[str, bool]] | None, *, offset: int, size: int
) -> tuple[int, list[tuple[float, Any, list[Any] | None]]]:
    """(total matches, the page's (score, stored document, sort values))."""
    if sort is None:
        result = searcher.search(query, limit=max(size, 1), offset=offset, count=True)
        return result.count, [(score, searcher.doc(address), None) for score, address in result.hits[:size]]
    # Sorted by fields: every match ranked here (the emulator's indexes are small), then the page.
    result = searcher.search(query, limit=MAX_RESULT_WINDOW, count=True)
    keyed: list[tuple[float, Any, list[Any] | None]] = []
    for score, address in result.hits:
        stored = searcher.doc(address)
        keyed.append((score, stored, _sort_values(index, sort, score, stored)))
    for position, (_, descending) in reversed(list(enumerate(sort))):  # stable sorts, last key first
        keyed.sort(key=functools.partial(_sort_value_at, position), reverse=descending)
    return result.count, keyed[offset : offset + size]


def _sort_value_at(position: int, item: tuple[float, Any, list[Any] | None]) -> Any:
    return item[2][position] if item[2] else 0


def _sort_keys(index: _Index, spec: Any) -> list[tuple[str, bool]] | None:
    """The `sort` of a search as [(field, descending)]; None without one (by score)."""
    if spec is None:
        return None
    keys = []
    for entry in spec if isinstance(spec, list) else [spec]:
        field_name, order = (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
        if isinstance(order, dict):
            order = order.get("order")
        if field_name == "_score":
            keys.append(("_score", (order or "desc") == "desc"))
            continue
        mapped = index.fields.get(field_name)
        if mapped is None:
            raise OpenSearchError(
                400, "query_shard_exception", f"No mapping found for [{field_name}] in order to sort on"
            )
        if mapped.kind == "text":
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                "Text fields are not optimised for operations that require per-document field data like "
                f"aggregations and sorting, so these operations are disabled by default. [{field_name}]",
            )
        keys.append((field_name, (order or "asc") == "desc"))
    return keys


def _sort_values(index: _Index, sort: list[tuple[str, bool]], score: float, stored: Any) -> list[Any]:
    values: list[Any] = []
    for field_name, _ in sort:
        if field_name == "_score":
            values.append(score)
        else:
            value = index.sources[stored.get_first("_id")].get(field_name)
            values.append("" if value is None else str(value))
    return values


class _AccessDenied(OpenSearchError):
    def __init__(self, message: str):
        super().__init__(403, "security_exception", message)

    def body(self) -> dict[str, Any]:
        return {"Message": self.reason}  # what the domain's access policy answers, before OpenSearch


def _is_action(parts: list[str], method: str) -> bool:
    """A two-segment endpoint `_action` answers: an index template, or an index's refresh or search."""
    if len(parts) != 2:
        return False
    if parts[0] == "_index_template":
        return method in ("PUT", "POST")
    return (parts[1], method) in {("_refresh", "POST"), ("_search", "GET"), ("_search", "POST")}


def _json_body(request: Request) -> Any:
    if not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise OpenSearchError(400, "x_content_parse_exception", f"[1:1] {exc}") from None


def _check_index_name(name: str) -> None:
    problem = None
    if name != name.lower():
        problem = "must be lowercase"
    elif name[0] in "-_+":
        problem = "must not start with '_', '-', or '+'"
    elif set(name) & _INVALID_INDEX_CHARS:
        problem = 'must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]'
    elif name in (".", "..") or len(name.encode()) > 255:
        problem = "must not be '.' or '..' or longer than 255 bytes"
    if problem:
        raise OpenSearchError(
            400,
            "invalid_index_name_exception",
            f"Invalid index name [{name}], {problem}",
            index=name,
            index_uuid="_na_",
        )


def _filter_source(source: dict[str, Any], spec: Any) -> dict[str, Any] | None:
    if spec is False:
        return None
    if spec is True:
        return source
    includes = (
        [spec] if isinstance(spec, str) else spec if isinstance(spec, list) else spec.get("includes", [])
    )
    return {k: v for k, v in source.items() if k in includes} if includes else source


class _QueryBuilder:
    """OpenSearch's query DSL (the subset above) as a tantivy query over one index."""

    def __init__(self, index: _Index, searcher: Any):
        self._index = index
        self._searcher = searcher
        self._schema = index.engine.schema

    def build(self, clause: Any) -> Any:
        if not isinstance(clause, dict) or len(clause) != 1:
            raise _parsing("[_na] query malformed, must start with start_object")
        ((kind, spec),) = clause.items()
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            raise _parsing(f"unknown query [{kind}]")
        if not isinstance(spec, dict):
            raise _parsing(f"[{kind}] query malformed, no start_object after query name")
        return handler(spec)

    def _match_all(self, spec: dict[str, Any]) -> Any:
        return tantivy.Query.all_query()

    def _bool(self, spec: dict[str, Any]) -> Any:
        def clauses(key: str) -> list[Any]:
            value = spec.get(key, [])
            return [self.build(c) for c in (value if isinstance(value, list) else [value])]

        must, filters, should, must_not = (clauses(k) for k in ("must", "filter", "should", "must_not"))
        subqueries = [(tantivy.Occur.Must, q) for q in must]
        subqueries += [(tantivy.Occur.Must, tantivy.Query.const_score_query(q, 0.0)) for q in filters]
        subqueries += [(tantivy.Occur.MustNot, q) for q in must_not]
        subqueries += [(tantivy.Occur.Should, q) for q in should]
        if not must and not filters and not should:
            subqueries.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        minimum = spec.get("minimum_should_match", 1 if should and not (must or filters) else 0)
        return tantivy.Query.boolean_query(subqueries, minimum_number_should_match=int(minimum) or None)

    def _term(self, spec: dict[str, Any]) -> Any:
        ((path, value),) = spec.items()
        value = value.get("value") if isinstance(value, dict) else value
        return self._exact(path, value)

    def _terms(self, spec: dict[str, Any]) -> Any:
        ((path, values),) = spec.items()
        if not isinstance(values, list):
            raise _parsing("[terms] query does not support [" + path + "]")
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, self._exact(path, v)) for v in values])

    def _exact(self, path: str, value: Any) -> Any:
        mapped = self._index.fields.get(path)
        if mapped is None:
            return tantivy.Query.empty_query()
        if mapped.kind == "date":
            day = _parse_date(value)
            return tantivy.Query.range_query(
                self._schema, mapped.engine_name, tantivy.FieldType.Date, day, day
            )
        return tantivy.Query.term_query(self._schema, mapped.engine_name, str(value))

    def _range(self, spec: dict[str, Any]) -> Any:
        ((path, bounds),) = spec.items()
        mapped = self._index.fields.get(path)
        if mapped is None:
            return tantivy.Query.empty_query()
        if mapped.kind != "date":
            raise OpenSearchError(
                400, "illegal_argument_exception", f"range on [{path}] is not emulated for [{mapped.kind}]"
            )
        unknown = set(bounds) - {"gte", "gt", "lte", "lt", "format"}
        if unknown:
            raise _parsing(f"[range] query does not support [{sorted(unknown)[0]}]")
        try:
            lower = bounds.get("gte", bounds.get("gt"))
            upper = bounds.get("lte", bounds.get("lt"))
            return tantivy.Query.range_query(
                self._schema,
                mapped.engine_name,
                tantivy.FieldType.Date,
                _parse_date(lower) if lower is not None else None,
                _parse_date(upper) if upper is not None else None,
                include_lower="gt" not in bounds,
                include_upper="lt" not in bounds,
            )
        except ValueError:
            raise OpenSearchError(
                400,
                "parse_exception",
                f"failed to parse date field [{lower or upper}] with format [strict_date_optional_time||epoch_millis]",
            ) from None

    def _match(self, spec: dict[str, Any]) -> Any:
        ((path, value),) = spec.items()
        options = value if isinstance(value, dict) else {"query": value}
        return self._field_query(path, str(options.get("query", "")), options.get("operator", "or"))

    def _multi_match(self, spec: dict[str, Any]) -> Any:
        kind = spec.get("type", "best_fields")
        if kind not in ("best_fields", "phrase", "phrase_prefix"):
            raise OpenSearchError(
                400, "illegal_argument_exception", f"[multi_match] type [{kind}] is not emulated"
            )
        text = str(spec.get("query", ""))
        per_field = []
        for name in spec.get("fields", ["*"]):
            path, _, boost = name.partition("^")
            query = self._field_query(path, text, spec.get("operator", "or"), mode=kind)
            per_field.append(tantivy.Query.boost_query(query, float(boost)) if boost else query)
        return tantivy.Query.disjunction_max_query(per_field, tie_breaker=spec.get("tie_breaker"))

    def _field_query(self, path: str, text: str, operator: str, mode: str = "best_fields") -> Any:
        """The text analyzed by the field's analyzer: its terms (any, or all with operator and), or a
        phrase (`phrase`), or a phrase whose last term is a prefix (`phrase_prefix`)."""
        mapped = self._index.fields.get(path)
        if mapped is None:
            return tantivy.Query.empty_query()
        if mapped.kind != "text":
            return self._exact(path, text)
        tokens = self._index.analyzers[mapped.analyzer].analyze(text)
        if not tokens:
            return tantivy.Query.empty_query()
        if mode == "phrase_prefix":
            return self._phrase_prefix(mapped, tokens)
        if mode == "phrase":
            return self._phrase(mapped, tokens)
        occur = tantivy.Occur.Must if operator.lower() == "and" else tantivy.Occur.Should
        terms = [tantivy.Query.term_query(self._schema, mapped.engine_name, t) for t in tokens]
        return tantivy.Query.boolean_query([(occur, q) for q in terms])

    def _phrase_prefix(self, mapped: _Field, tokens: list[str]) -> Any:
        # As OpenSearch rewrites a prefix: into the index's terms that start with it (at most 50).
        expanded = self._searcher.terms_with_prefix(mapped.engine_name, tokens[-1], limit=MAX_EXPANSIONS)
        phrases = [self._phrase(mapped, [*tokens[:-1], term]) for term, _ in expanded]
        if not phrases:
            return tantivy.Query.empty_query()
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in phrases])

    def _phrase(self, mapped: _Field, tokens: list[str]) -> Any:
        if len(tokens) == 1:
            return tantivy.Query.term_query(self._schema, mapped.engine_name, tokens[0])
        words: list[str | tuple[int, str]] = list(tokens)
        return tantivy.Query.phrase_query(self._schema, mapped.engine_name, words)


def _html_encode(text: str) -> str:
    """Lucene's SimpleHTMLEncoder, which the `html` encoder of the highlighter uses."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
        .replace("/", "&#x2F;")
    )


class _Highlighter:
    def __init__(self, index: _Index, searcher: Any, query: Any, spec: dict[str, Any] | None):
        self._index = index
        self._fields: list[tuple[str, Any, dict[str, Any]]] = []
        self._spec = spec or {}
        if not spec:
            return
        for path, options in (spec.get("fields") or {}).items():
            mapped = index.fields.get(path)
            if mapped is None or mapped.kind != "text":
                continue
            options = {**{k: v for k, v in self._spec.items() if k != "fields"}, **(options or {})}
            generator = tantivy.SnippetGenerator.create(
                searcher, query, index.engine.schema, mapped.engine_name
            )
            generator.set_max_num_chars(int(options.get("fragment_size", 100)))
            self._fields.append((path, generator, options))

    def highlight(self, stored: Any) -> dict[str, list[str]]:
        result = {}
        for path, generator, options in self._fields:
            encode = _html_encode if options.get("encoder") == "html" else (lambda s: s)
            pre = (options.get("pre_tags") or ["<em>"])[0]
            post = (options.get("post_tags") or ["</em>"])[0]
            self._check_length(path, stored, options)
            snippet = generator.snippet_from_doc(stored)
            fragment = snippet.fragment().encode()
            ranges = sorted((r.start, r.end) for r in snippet.highlighted())
            if ranges and int(options.get("number_of_fragments", 5)) > 0:
                # tantivy's ranges are byte offsets into the fragment.
                pieces, at = [], 0
                for start, end in ranges:
                    pieces.append(encode(fragment[at:start].decode()))
                    pieces.append(pre + encode(fragment[start:end].decode()) + post)
                    at = end
                pieces.append(encode(fragment[at:].decode()))
                result[path] = ["".join(pieces)]
            elif int(options.get("no_match_size", 0)) > 0:
                text = stored.get_first(path.replace(".", "__")) or ""
                result[path] = [encode(text[: int(options["no_match_size"])])]
        return result

    def _check_length(self, path: str, stored: Any, options: dict[str, Any]) -> None:
        """OpenSearch refuses to highlight a text longer than the index's limit unless the request caps
        the analysis (`max_analyzed_offset`); the whole search fails then."""
        text = stored.get_first(path.replace(".", "__")) or ""
        if len(text) > MAX_ANALYZED_OFFSET and "max_analyzed_offset" not in options:
            raise OpenSearchError(
                400,
                "illegal_argument_exception",
                f"The length of [{path}] field of [{stored.get_first('_id')}] doc of [{self._index.name}] index "
                f"has exceeded [{MAX_ANALYZED_OFFSET}] - maximum allowed to be analyzed for highlighting. "
                "This maximum can be set by changing the [index.highlight.max_analyzed_offset] index level "
                "setting. For large texts, indexing with offsets or term vectors is recommended!",
            )
