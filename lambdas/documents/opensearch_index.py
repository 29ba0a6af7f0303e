"""The `SearchIndex` port on OpenSearch: the opt-in for a team whose index outgrows a file in S3.

One index per team, `<prefix><team>` (isolation by construction: a search names one index, the
caller's team's, never a pattern). Its mappings are explicit and strict: the text under an analyzer
that folds case and accents (the same words match as in the SQLite adapter), plus the French and
English analyzers as sub-fields (stemmed: "factures" finds "facture"); type, language and team as
keywords; the document's date as a date. A document is indexed under its id, so a retried upsert
replaces it (a new version of the same document, never a second one), and waits for the refresh so
the next search sees it. A search sends the user's words as data (one phrase per word, all required),
never through a query parser, so no input is a syntax error; snippets come from the highlighter
with the html encoder (the text escaped, matches in <mark>).

A team's index is created on its first document, and the same settings and mappings are stored as
an index template for `<prefix>*`, so an index the domain auto-creates (one deleted behind a writer's
back) gets them too; searching a team that has none finds nothing, as with the S3 file. Any other refusal becomes a `SearchIndexError` naming OpenSearch's error type and
reason (a retry of the message replays the upsert).
"""

from __future__ import annotations

from typing import Any

from opensearchpy import NotFoundError, OpenSearch, TransportError

from lambdas.documents.search import Hit, IndexedDocument, SearchFilters, SearchIndexError, query_words

SNIPPET_CHARS = 120
# A domain of small instances takes requests up to 10 MiB: the text indexed stops short of that (a
# thousand dense pages; the whole text stays in S3 and in GET /v1/documents/{id}).
MAX_INDEXED_TEXT_BYTES = 8 * 1024 * 1024
MAX_ANALYZED_CHARS = 1_000_000  # the index's highlight.max_analyzed_offset default
TEXT_FIELDS = ["body", "body.fr", "body.en", "file_name"]
HIGHLIGHTED = ["body", "body.fr", "body.en"]  # the first with a match gives the snippet
INDEX = {
    "settings": {
        "number_of_shards": 1,
        "analysis": {
            "analyzer": {
                "folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
            }
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "document_id": {"type": "keyword"},
            "team": {"type": "keyword"},
            "document_type": {"type": "keyword"},
            "language": {"type": "keyword"},
            "document_date": {"type": "date", "format": "strict_date"},
            "file_name": {"type": "text", "analyzer": "folded"},
            "body": {
                "type": "text",
                "analyzer": "folded",
                "fields": {
                    "fr": {"type": "text", "analyzer": "french"},
                    "en": {"type": "text", "analyzer": "english"},
                },
            },
        },
    },
}


class OpenSearchIndex:
    def __init__(self, client: OpenSearch, index_prefix: str = "documents-"):
        self._client = client
        self._prefix = index_prefix
        self._created: set[str] = set()  # teams whose index this execution environment has seen

    def index_name(self, team: str) -> str:
        return f"{self._prefix}{team}"

    def upsert(self, team: str, document: IndexedDocument) -> None:
        body = {
            "document_id": document.document_id,
            "team": team,
            "document_type": document.document_type,
            "language": document.language,
            "document_date": document.document_date,
            "file_name": document.file_name,
            "body": document.text.encode()[:MAX_INDEXED_TEXT_BYTES].decode(errors="ignore"),
        }
        for attempt in range(2):
            self._ensure_index(team)
            try:
                self._client.index(
                    index=self.index_name(team), id=document.document_id, body=body, refresh="wait_for"
                )
                return
            except NotFoundError as exc:
                # The index went away since this environment created it: create it again, once.
                self._created.discard(team)
                if attempt or _error_type(exc) != "index_not_found_exception":
                    raise _refused(f"indexing {document.document_id} for {team}", exc) from exc
            except TransportError as exc:
                raise _refused(f"indexing {document.document_id} for {team}", exc) from exc

    def search(self, team: str, query: str, filters: SearchFilters, limit: int, offset: int = 0) -> list[Hit]:
        words = query_words(query)
        if not words:
            return []
        body = {
            "query": {"bool": {"must": [_word_clause(w, p) for w, p in words], "filter": _filters(filters)}},
            "from": offset,
            "size": limit,
            # Equal scores in a stable order, so consecutive pages neither repeat nor skip a hit.
            "sort": ["_score", {"document_id": "asc"}],
            "_source": ["document_id", "document_type", "language", "document_date", "file_name"],
            "highlight": {
                "encoder": "html",
                "pre_tags": ["<mark>"],
                "post_tags": ["</mark>"],
                "fragment_size": SNIPPET_CHARS,
                "number_of_fragments": 1,
                # A long document's text (past a million characters) is highlighted in its beginning,
                # where OpenSearch would otherwise refuse the whole search.
                "max_analyzed_offset": MAX_ANALYZED_CHARS,
                "fields": {
                    name: ({"no_match_size": SNIPPET_CHARS} if name == "body" else {}) for name in HIGHLIGHTED
                },
            },
        }
        try:
            response = self._client.search(index=self.index_name(team), body=body)
        except NotFoundError as exc:
            if _error_type(exc) == "index_not_found_exception":
                return []  # a team that has not indexed anything yet
            raise _refused(f"searching {team}'s documents", exc) from exc
        except TransportError as exc:
            raise _refused(f"searching {team}'s documents", exc) from exc
        return [_hit(h) for h in response["hits"]["hits"]]

    def _ensure_index(self, team: str) -> None:
        if team in self._created:
            return
        if not self._created:
            # The same settings and mappings as an index template: an index deleted behind this
            # environment's back is auto-created by the domain's next write with them, not dynamically.
            template = {"index_patterns": [f"{self._prefix}*"], "priority": 100, "template": INDEX}
            try:
                self._client.indices.put_index_template(name=self._prefix.rstrip("-_"), body=template)
            except TransportError as exc:
                raise _refused("storing the index template", exc) from exc
        try:
            self._client.indices.create(index=self.index_name(team), body=INDEX)
        except TransportError as exc:
            if _error_type(exc) != "resource_already_exists_exception":  # another writer created it
                raise _refused(f"creating {team}'s index", exc) from exc
        self._created.add(team)


def _word_clause(word: str, prefix: bool) -> dict[str, Any]:
    # A phrase: a word the analyzer splits ("F-2026-0001") matches only its parts in that order.
    kind = "phrase_prefix" if prefix else "phrase"
    return {"multi_match": {"query": word, "fields": TEXT_FIELDS, "type": kind}}


def _filters(filters: SearchFilters) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    if filters.document_type is not None:
        clauses.append({"term": {"document_type": filters.document_type}})
    if filters.language is not None:
        clauses.append({"term": {"language": filters.language}})
    if filters.date_from is not None or filters.date_to is not None:
        bounds = {"gte": filters.date_from, "lte": filters.date_to}
        clauses.append({"range": {"document_date": {k: v for k, v in bounds.items() if v is not None}}})
    return clauses


def _hit(hit: dict[str, Any]) -> Hit:
    source = hit["_source"]
    highlight = hit.get("highlight", {})
    fragments = [highlight[f][0] for f in HIGHLIGHTED if highlight.get(f)]
    marked = [f for f in fragments if "<mark>" in f]
    return Hit(
        document_id=source["document_id"],
        document_type=source["document_type"],
        language=source["language"],
        document_date=source["document_date"],
        file_name=source["file_name"],
        snippet=(marked or fragments or [""])[0],
        score=round(float(hit["_score"] or 0.0), 4),
    )


def _error_type(exc: TransportError) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    return str(error.get("type", "")) if isinstance(error, dict) else str(exc.error)


def _refused(action: str, exc: TransportError) -> SearchIndexError:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error")
    reason = error.get("reason", "") if isinstance(error, dict) else info.get("Message", "") or str(exc.info)
    return SearchIndexError(
        f"OpenSearch refused {action}: HTTP {exc.status_code} {_error_type(exc)}: {reason}"
    )
