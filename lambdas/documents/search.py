"""Full-text search, one index per team: an SQLite FTS5 database file kept in the team's S3 prefix.

Why a file in S3 by default: at POC traffic (hundreds to a few thousand documents per team) the
index is a few MB; searching it costs one conditional GET (a 304 when the cached copy in /tmp is
current) and SQLite in the Lambda, with nothing running between requests: a few cents a month,
where the smallest OpenSearch domain costs more than the whole 10 EUR budget. Writers (the processor)
update it optimistically: read it with its ETag, change it, write it back with `If-Match` (S3
conditional writes); a concurrent writer makes the write fail with 412 and the update is replayed on
the new version, so no update is lost and no lock is held. Upserts are by document id, so a replay
is harmless. Past ~10,000 documents or ~100 MB per team, a search service is the better fit: the
OpenSearch adapter (`opensearch_index.py`) implements the same port, selected by SEARCH_BACKEND.

The tokenizer folds case and accents (unicode61 remove_diacritics 2): "echeance" finds "Échéance".
Queries are the user's words, each quoted (all must match; a trailing * keeps a prefix search), so
no FTS5 syntax error can come from user input.
"""

from __future__ import annotations

import atexit
import html
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from botocore.exceptions import ClientError

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    document_id TEXT PRIMARY KEY,
    document_type TEXT NOT NULL,
    language TEXT NOT NULL,
    document_date TEXT NOT NULL,
    file_name TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_text USING fts5(
    document_id UNINDEXED, file_name, body, tokenize = 'unicode61 remove_diacritics 2'
);
"""
_MARK_START, _MARK_END = "\x02", "\x03"
_WORD = re.compile(r"[\w'-]+\*?")
MAX_QUERY_TERMS = 12


@dataclass(frozen=True)
class IndexedDocument:
    document_id: str
    document_type: str
    language: str
    document_date: str  # ISO date: the invoice's issue date when found, else the upload day
    file_name: str
    text: str


@dataclass(frozen=True)
class SearchFilters:
    document_type: str | None = None
    language: str | None = None
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class Hit:
    document_id: str
    document_type: str
    language: str
    document_date: str
    file_name: str
    snippet: str  # HTML-escaped text with the matches in <mark></mark>
    score: float


MAX_OFFSET = (
    1_000  # paging stops here: deeper pages are a narrower query's job (OpenSearch's window is 10,000)
)


class SearchIndex(Protocol):
    def upsert(self, team: str, document: IndexedDocument) -> None: ...
    def search(
        self, team: str, query: str, filters: SearchFilters, limit: int, offset: int = 0
    ) -> list[Hit]: ...


class SearchIndexError(Exception):
    """The search engine refused a request (its error type and reason in the message): not the user's fault."""


def query_words(text: str) -> list[tuple[str, bool]]:
    """The user's words, each with whether it ends in * (a prefix search), at most MAX_QUERY_TERMS:
    what every adapter searches for, all words required."""
    words = []
    for word in _WORD.findall(text)[:MAX_QUERY_TERMS]:
        prefix = word.endswith("*")
        word = word.rstrip("*").replace('"', "")
        if word.strip("'-"):
            words.append((word, prefix))
    return words


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query: each one quoted (a phrase of one), all required."""
    return " ".join(f'"{word}"' + ("*" if prefix else "") for word, prefix in query_words(text)) or None


def upsert(connection: sqlite3.Connection, document: IndexedDocument) -> None:
    connection.executescript(SCHEMA)
    connection.execute("DELETE FROM documents_text WHERE document_id = ?", (document.document_id,))
    connection.execute(
        "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?)",
        (
            document.document_id,
            document.document_type,
            document.language,
            document.document_date,
            document.file_name,
        ),
    )
    connection.execute(
        "INSERT INTO documents_text (document_id, file_name, body) VALUES (?, ?, ?)",
        (document.document_id, document.file_name, document.text),
    )
    connection.commit()


def search(
    connection: sqlite3.Connection, query: str, filters: SearchFilters, limit: int, offset: int = 0
) -> list[Hit]:
    match = fts_query(query)
    if match is None:
        return []
    where = ["documents_text MATCH ?"]
    parameters: list[Any] = [match]
    for column, value, operator in (
        ("document_type", filters.document_type, "="),
        ("language", filters.language, "="),
        ("document_date", filters.date_from, ">="),
        ("document_date", filters.date_to, "<="),
    ):
        if value is not None:
            where.append(f"d.{column} {operator} ?")
            parameters.append(value)
    sql = (
        "SELECT d.document_id, d.document_type, d.language, d.document_date, d.file_name, "
        f"snippet(documents_text, 2, '{_MARK_START}', '{_MARK_END}', ' … ', 16), bm25(documents_text) "
        "FROM documents_text JOIN documents d ON d.document_id = documents_text.document_id "
        f"WHERE {' AND '.join(where)} ORDER BY bm25(documents_text), d.document_id LIMIT ? OFFSET ?"
    )
    try:
        rows = connection.execute(sql, [*parameters, limit, offset]).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []  # an index nobody has written to yet
        raise
    return [
        Hit(
            document_id=row[0],
            document_type=row[1],
            language=row[2],
            document_date=row[3],
            file_name=row[4],
            snippet=_highlight(row[5]),
            score=round(-float(row[6]), 4),
        )
        for row in rows
    ]


def _highlight(snippet: str) -> str:
    return html.escape(snippet).replace(_MARK_START, "<mark>").replace(_MARK_END, "</mark>")


class IndexConflict(Exception):
    """Someone else wrote the index in between: replay the change on the new version."""


class S3SearchIndex:
    """One SQLite FTS5 file per team at `<prefix><team>/documents.sqlite`, cached in /tmp by ETag."""

    def __init__(
        self, s3: Any, bucket: str, prefix: str = "index/", cache_dir: Path | None = None, attempts: int = 8
    ):
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix
        # One folder per process: in Lambda /tmp belongs to one execution environment, but locally
        # several processes (and test runs) share it, and a cached copy must match this process's ETag.
        self._cache = cache_dir or Path(tempfile.mkdtemp(prefix="documents-index-"))
        if cache_dir is None:
            atexit.register(shutil.rmtree, self._cache, ignore_errors=True)
        self._cache.mkdir(parents=True, exist_ok=True)
        self._etags: dict[str, str] = {}
        self._attempts = attempts

    def key(self, team: str) -> str:
        return f"{self._prefix}{team}/documents.sqlite"

    def upsert(self, team: str, document: IndexedDocument) -> None:
        self._update(team, lambda connection: upsert(connection, document))

    def search(self, team: str, query: str, filters: SearchFilters, limit: int, offset: int = 0) -> list[Hit]:
        path = self._fetch(team)
        if path is None:
            return []
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return search(connection, query, filters, limit, offset)
        finally:
            connection.close()

    def _update(self, team: str, change: Callable[[sqlite3.Connection], None]) -> None:
        for _ in range(self._attempts):
            path = self._fetch(team)
            work = self._cache / f"{team}.writing.sqlite"
            work.write_bytes(path.read_bytes() if path else b"")
            connection = sqlite3.connect(work)
            try:
                change(connection)
                connection.execute("VACUUM")
            finally:
                connection.close()
            try:
                self._store(team, work)
                return
            except IndexConflict:
                continue
        raise IndexConflict(f"the {team} index kept changing during {self._attempts} attempts")

    def _fetch(self, team: str) -> Path | None:
        """The current index file (downloaded only when its ETag changed), or None when there is none yet."""
        cached = self._cache / f"{team}.sqlite"
        etag = self._etags.get(team) if cached.exists() else None
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=self.key(team), **({"IfNoneMatch": etag} if etag else {})
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "304" or status == 304:
                return cached
            if code in ("NoSuchKey", "404"):
                self._etags.pop(team, None)
                cached.unlink(missing_ok=True)
                return None
            raise
        partial = cached.with_suffix(".part")
        with partial.open("wb") as handle:
            for chunk in response["Body"].iter_chunks(1024 * 1024):
                handle.write(chunk)
        partial.replace(cached)
        self._etags[team] = response["ETag"]
        return cached

    def _store(self, team: str, path: Path) -> None:
        etag = self._etags.get(team)
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            with path.open("rb") as body:
                response = self._s3.put_object(
                    Bucket=self._bucket, Key=self.key(team), Body=body, **condition
                )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise IndexConflict(f"the {team} index changed") from exc
            raise
        path.replace(self._cache / f"{team}.sqlite")
        self._etags[team] = response["ETag"]
