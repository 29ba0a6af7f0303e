"""How a run replaces curated partitions atomically: new versions beside the old, then a commit, then a switch.

Athena reads each curated partition through a symlink manifest (the tables are
SymlinkTextInputFormat over Parquet, with partition projection):

    curated/<table>/team=<t>/event_date=<d>/manifest                     the partition: one s3:// URI per line
    curated/<table>/_versions/<run_id>/team=<t>/event_date=<d>/*.parquet   the files a manifest names

A run never touches a file a manifest names. It writes its partition versions,
its key-index segment and its quarantine files under new names (the quarantine
under _staging/<run_id>/), then commits by writing one object,
_state/raw_to_curated/pending.json, which says everything the switch will do.
The switch (apply) rewrites the partitions' manifests, copies the quarantine
files into place and writes head.json; it is idempotent, so a run that dies
after the commit is finished by the next run (roll forward), and a run that
dies before it leaves what readers see untouched (its files are orphans, which
the next run deletes). The files a switch replaced stay until the next run
starts, so a query planned against the old manifest can still read them.

head.json also holds the key index (one Parquet segment per run: every
curated key with the partition it lives in, see run.py), so a copy of an
event is recognised whatever partition it claims.

Runs never overlap (the Glue job allows one concurrent run; the local runner
is one process), which is what makes one pending commit at a time enough.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

STATE_PREFIX = "_state/raw_to_curated/"
HEAD_KEY = f"{STATE_PREFIX}head.json"
PENDING_KEY = f"{STATE_PREFIX}pending.json"
INDEX_PREFIX = f"{STATE_PREFIX}index/"
STAGING_PREFIX = "_staging/"
MANIFEST_NAME = "manifest"
VERSIONS = "_versions"
# Segments of a key index before a run merges them into one.
MAX_INDEX_SEGMENTS = 24

Partition = tuple[str, str]  # (team, event_date)


class ObjectStore(Protocol):
    """The curated bucket, for the small objects of the protocol (S3 on AWS and locally)."""

    bucket: str

    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, body: bytes) -> None: ...

    def copy(self, source_key: str, key: str) -> None: ...

    def delete(self, keys: list[str]) -> None: ...

    def list(self, prefix: str, delimiter: str = "") -> list[str]:
        """Keys under the prefix, or with a delimiter the common prefixes below it."""
        ...


def table_prefix(table: str) -> str:
    return f"curated/{table}/"


def partition_prefix(table: str, partition: Partition) -> str:
    team, event_date = partition
    return f"{table_prefix(table)}team={team}/event_date={event_date}/"


def manifest_key(table: str, partition: Partition) -> str:
    return partition_prefix(table, partition) + MANIFEST_NAME


def version_prefix(table: str, run_id: str) -> str:
    """Where a run writes its partition versions (Spark partitions them by team and event_date below)."""
    return f"{table_prefix(table)}{VERSIONS}/{run_id}/"


def index_prefix(table: str, run_id: str) -> str:
    return f"{INDEX_PREFIX}{table}/{run_id}/"


def staging_prefix(run_id: str) -> str:
    return f"{STAGING_PREFIX}{run_id}/"


def uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def key_of(location: str) -> str:
    """The key of an s3:// URI."""
    return location.split("/", 3)[3]


@dataclass
class Head:
    """The state the last applied run left: each table's key-index segments (key prefixes), how many
    partitions each run's version still serves, and the files its switch replaced (deleted when the next
    run starts)."""

    run_id: str = ""
    index: dict[str, list[str]] = field(default_factory=dict)
    live: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> run id -> partitions served
    superseded: list[str] = field(default_factory=list)


@dataclass
class Commit:
    """Everything a run's switch does, written in one object before any of it is done."""

    run_id: str
    base_run_id: str
    manifests: dict[str, list[str]]  # manifest key -> the s3:// URIs it must list
    quarantine: list[tuple[str, str]]  # (staged key, final key)
    head: Head
    committed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())


def _json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


def read_head(store: ObjectStore) -> Head:
    body = store.read(HEAD_KEY)
    return Head(**json.loads(body)) if body else Head()


def read_manifest(store: ObjectStore, key: str) -> list[str]:
    body = store.read(key)
    return [line for line in body.decode().splitlines() if line.strip()] if body else []


def read_pending(store: ObjectStore) -> Commit | None:
    body = store.read(PENDING_KEY)
    if not body:
        return None
    document = json.loads(body)
    document["head"] = Head(**document["head"])
    document["quarantine"] = [tuple(pair) for pair in document["quarantine"]]
    return Commit(**document)


def commit(store: ObjectStore, pending: Commit) -> None:
    """The commit point: from here on the run's switch will happen, by this run or the next."""
    store.write(PENDING_KEY, _json(asdict(pending)))


def apply(store: ObjectStore, pending: Commit) -> None:
    """The switch: every manifest, then the quarantine files, then the head. Idempotent."""
    for key, locations in sorted(pending.manifests.items()):
        store.write(key, "".join(f"{location}\n" for location in locations).encode())
    for staged, final in pending.quarantine:
        if store.read(final) is None:
            store.copy(staged, final)
    store.write(HEAD_KEY, _json(asdict(pending.head)))
    store.delete([PENDING_KEY])


def recover(store: ObjectStore, tables: Iterable[str], keep_run: str) -> Head:
    """Before a run: finish a committed run's switch, then delete what no reader can reach any more (the
    files the last switch replaced, and what runs that died before their commit left). Returns the head."""
    pending = read_pending(store)
    head = read_head(store)
    if pending is not None:
        if pending.base_run_id == head.run_id:
            apply(store, pending)
        else:  # already applied (the head moved on): only the commit object is left
            store.delete([PENDING_KEY])
        head = read_head(store)
    garbage = sorted(set(head.superseded) | set(_unreachable(store, head, tables, keep_run)))
    if garbage:
        store.delete(garbage)
    if head.superseded:
        head.superseded = []
        store.write(HEAD_KEY, _json(asdict(head)))
    return head


def _unreachable(store: ObjectStore, head: Head, tables: Iterable[str], keep_run: str) -> list[str]:
    """Files of runs that no manifest and no index of the head names (runs that died before their commit),
    and every staging area but the current run's."""
    found: list[str] = []

    def runs_under(prefix: str, keep: set[str]) -> None:
        nonlocal found
        for run_prefix in store.list(prefix, delimiter="/"):
            if run_of(run_prefix) not in keep:
                found += store.list(run_prefix)

    for table in tables:
        runs_under(f"{table_prefix(table)}{VERSIONS}/", {keep_run, *head.live.get(table, {})})
        runs_under(f"{INDEX_PREFIX}{table}/", {keep_run, *(run_of(s) for s in head.index.get(table, []))})
    runs_under(STAGING_PREFIX, {keep_run})
    return found


def run_of(location: str) -> str:
    """The run id in a version, index or staging key (or URI): the segment after _versions/, index/<t>/ or
    _staging/."""
    parts = location.rstrip("/").split("/")
    for marker, offset in ((VERSIONS, 1), ("index", 2), (STAGING_PREFIX.strip("/"), 1)):
        if marker in parts:
            i = parts.index(marker) + offset
            if i < len(parts):
                return parts[i]
    return ""


Hook = Callable[[], None]


# --- the S3 store -------------------------------------------------------------------------------------


class S3Store:
    """The curated bucket through boto3 (on Glue, and against the local platform's S3)."""

    def __init__(self, bucket: str, s3: Any):
        self.bucket = bucket
        self._s3 = s3

    def read(self, key: str) -> bytes | None:
        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())
        except self._s3.exceptions.NoSuchKey:
            return None

    def write(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def copy(self, source_key: str, key: str) -> None:
        self._s3.copy_object(
            Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": source_key}
        )

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            self._s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]}
            )

    def list(self, prefix: str, delimiter: str = "") -> list[str]:
        found: list[str] = []
        extra = {"Delimiter": delimiter} if delimiter else {}
        for page in self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix, **extra
        ):
            if delimiter:
                found += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
            else:
                found += [item["Key"] for item in page.get("Contents", [])]
        return found


class LocalStore:
    """A directory laid out like the bucket (<root>/<key>), for runs on local paths (job.py off Glue, tests)."""

    def __init__(self, root: str, bucket: str = "local"):
        from pathlib import Path

        self.bucket = bucket
        self.root = Path(root)

    def read(self, key: str) -> bytes | None:
        path = self.root / key
        return path.read_bytes() if path.is_file() else None

    def write(self, key: str, body: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_bytes(body)
        temporary.replace(path)  # atomic, as an S3 PUT is

    def copy(self, source_key: str, key: str) -> None:
        body = self.read(source_key)
        if body is None:
            raise FileNotFoundError(source_key)
        self.write(key, body)

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)

    def list(self, prefix: str, delimiter: str = "") -> list[str]:
        keys = sorted(
            p.relative_to(self.root).as_posix()
            for p in self.root.rglob("*")
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".crc")
        )
        keys = [k for k in keys if k.startswith(prefix) and not k.endswith("_SUCCESS")]
        if not delimiter:
            return keys
        return sorted(
            {
                prefix + k[len(prefix) :].split(delimiter, 1)[0] + delimiter
                for k in keys
                if delimiter in k[len(prefix) :]
            }
        )
