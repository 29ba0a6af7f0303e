"""Which `SearchIndex` a function uses, from its settings: the SQLite FTS5 file in S3 (the default) or
OpenSearch (SEARCH_BACKEND=opensearch, the opt-in declared with `search:` on the service).

OpenSearch requests are signed with the function's own credentials (SigV4, service `es`: a managed
domain, whose access policy names the functions' roles); the endpoint comes from OPENSEARCH_ENDPOINT.
The client is imported only when a function opts in, so the default path's cold start does not pay
for it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lambdas.documents.search import S3SearchIndex, SearchIndex
from lambdas.documents.settings import SearchSettings
from platform_core.aws import session

if TYPE_CHECKING:
    from opensearchpy import OpenSearch

# Managed domains sign for `es`; Serverless collections (`aoss`) are not the opt-in: their smallest
# deployment costs several times a domain's, and they take no `refresh` on writes.
SIGNING_SERVICE = "es"


def search_index(settings: SearchSettings, s3: Any) -> SearchIndex:
    if settings.search_backend == "opensearch":
        from lambdas.documents.opensearch_index import OpenSearchIndex

        assert settings.opensearch_endpoint  # the settings model refuses opensearch without it
        return OpenSearchIndex(
            opensearch_client(settings.opensearch_endpoint), settings.opensearch_index_prefix
        )
    return S3SearchIndex(s3, settings.bucket_documents)


def opensearch_client(endpoint: str) -> OpenSearch:
    """A client of the domain at `endpoint` (https://... in AWS), each request signed with the
    credentials of this process's session (refreshed as they rotate)."""
    from opensearchpy import AWSV4SignerAuth, OpenSearch, RequestsHttpConnection

    aws = session()
    region = aws.region_name or os.environ.get("AWS_REGION", "")
    return OpenSearch(
        hosts=[endpoint],
        http_auth=AWSV4SignerAuth(aws.get_credentials(), region, SIGNING_SERVICE),
        use_ssl=endpoint.startswith("https://"),
        verify_certs=True,
        connection_class=RequestsHttpConnection,
        timeout=10,
        max_retries=2,
        retry_on_timeout=True,
    )
