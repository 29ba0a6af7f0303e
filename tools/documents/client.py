"""A team's client of the document service over HTTP: what a PWA or a partner does with its API key.

client = DocumentsClient(gateway_url, api_key)
document_id = client.upload(data, "application/pdf", "invoice.pdf")   # POST /v1/documents, then S3
document = client.wait_for_verdict(document_id)                      # GET /v1/documents/{id}
hits = client.search("F-2026-000123", type="invoice")                 # GET /v1/documents/search
"""

from __future__ import annotations

import time
from typing import Any

import requests


class DocumentsError(Exception):
    pass


class DocumentsClient:
    def __init__(self, api_url: str, api_key: str, timeout: float = 60.0):
        self._url = api_url.rstrip("/")
        self._session = requests.Session()
        self._session.headers["x-api-key"] = api_key
        self._timeout = timeout

    def create_upload(self, content_type: str, file_name: str, **extra: Any) -> tuple[int, dict[str, Any]]:
        response = self._session.post(
            f"{self._url}/v1/documents",
            json={"file_name": file_name, "content_type": content_type, **extra},
            timeout=self._timeout,
        )
        return response.status_code, response.json()

    def upload(self, data: bytes, content_type: str, file_name: str, **extra: Any) -> str:
        """The new document's id, after its bytes went to the presigned POST (or the existing one's, for a known sha256)."""
        status, created = self.create_upload(content_type, file_name, **extra)
        if status == 200:
            return str(created["document_id"])
        if status != 201:
            raise DocumentsError(f"POST /v1/documents: {status} {created}")
        upload = created["upload"]
        # The form's fields first, the file last, as S3's POST Object requires.
        stored = requests.post(
            upload["url"],
            data=upload["fields"],
            files={"file": (file_name, data, content_type)},
            timeout=self._timeout,
        )
        if stored.status_code not in (200, 201, 204):
            raise DocumentsError(
                f"S3 refused the upload of {file_name}: {stored.status_code} {stored.text[:300]}"
            )
        return str(created["document_id"])

    def document(self, document_id: str) -> tuple[int, dict[str, Any]]:
        response = self._session.get(f"{self._url}/v1/documents/{document_id}", timeout=self._timeout)
        return response.status_code, response.json()

    def wait_for_verdict(self, document_id: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status, document = self.document(document_id)
            if status != 200:
                raise DocumentsError(f"GET /v1/documents/{document_id}: {status} {document}")
            if document["status"] != "awaiting_upload":
                return document
            if time.monotonic() > deadline:
                raise DocumentsError(f"no verdict for {document_id} after {timeout} s")
            time.sleep(0.5)

    def search(self, query: str, **filters: str) -> tuple[int, dict[str, Any]]:
        response = self._session.get(
            f"{self._url}/v1/documents/search", params={"q": query, **filters}, timeout=self._timeout
        )
        return response.status_code, response.json()
