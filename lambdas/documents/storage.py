"""Where a document's bytes live in the service's bucket, and the S3 calls on them.

    inbox/<team>/<document_id>                  the presigned upload lands here (S3 notification -> processor)
    documents/<team>/<document_id>/original     a processed document
    documents/<team>/<document_id>/text.txt     its text (GET /v1/documents/{id})
    rejected/<team>/<document_id>/original      a refused file, kept with its reason (reason.json)
    index/<team>/documents.sqlite               the team's search index (search.py)

Lifecycle rules per prefix are declared with the bucket in config/platform.yaml.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

INBOX = "inbox/"
_INBOX_KEY = re.compile(r"^inbox/([a-z][a-z0-9-]{1,20})/([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})$")


def inbox_key(team: str, document_id: str) -> str:
    return f"{INBOX}{team}/{document_id}"


def parse_inbox_key(key: str) -> tuple[str, str] | None:
    match = _INBOX_KEY.match(key)
    return (match.group(1), match.group(2)) if match else None


def document_key(team: str, document_id: str) -> str:
    return f"documents/{team}/{document_id}/original"


def text_key(team: str, document_id: str) -> str:
    return f"documents/{team}/{document_id}/text.txt"


def rejected_key(team: str, document_id: str) -> str:
    return f"rejected/{team}/{document_id}/original"


class DocumentStorage:
    def __init__(self, s3: Any, bucket: str):
        self._s3 = s3
        self.bucket = bucket

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def size(self, key: str) -> int | None:
        try:
            return int(self._s3.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except self._s3.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def download(self, key: str, path: Path) -> str:
        """Stream the object to `path` (never all in memory); its SHA-256."""
        digest = hashlib.sha256()
        body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"]
        with path.open("wb") as handle:
            for chunk in body.iter_chunks(1024 * 1024):
                digest.update(chunk)
                handle.write(chunk)
        return digest.hexdigest()

    def copy(self, source: str, target: str) -> None:
        # copy_object is a server-side copy up to 5 GB, far above the upload limit.
        self._s3.copy_object(
            Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": source}
        )

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self.bucket, Key=key)

    def put_text(self, key: str, text: str) -> None:
        self._s3.put_object(
            Bucket=self.bucket, Key=key, Body=text.encode(), ContentType="text/plain; charset=utf-8"
        )

    def put_json(self, key: str, document: dict[str, Any]) -> None:
        self._s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=json.dumps(document, indent=2).encode(),
            ContentType="application/json",
        )

    def read_text(self, key: str, limit: int) -> tuple[str, bool]:
        """The first `limit` bytes of a text object as text, and whether it was cut."""
        response = self._s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{limit}")
        data = response["Body"].read()
        cut = len(data) > limit
        return data[:limit].decode("utf-8", errors="ignore"), cut

    def presigned_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """An upload S3 itself limits: this key only, 1 byte to `max_bytes`, exactly this Content-Type."""
        post: dict[str, Any] = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[["content-length-range", 1, max_bytes], {"Content-Type": content_type}],
            ExpiresIn=expires_in,
        )
        return post

    def presigned_get(self, key: str, file_name: str, expires_in: int) -> str:
        url: str = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{_ascii_name(file_name)}"',
            },
            ExpiresIn=expires_in,
        )
        return url


def _ascii_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:200] or "document"
