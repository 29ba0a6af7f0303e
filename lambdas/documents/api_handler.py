"""documents-api (REST API, Lambda proxy): POST /v1/documents, GET /v1/documents/search, GET /v1/documents/{document_id}.

A module-level resolver; the service is built once per execution environment from its settings
(`documents_api()`), which tests replace with `app.dependency_overrides`-style patching of the provider.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from lambdas.documents.api import ApiConfig, ApiError, DocumentsApi, search_filters
from lambdas.documents.models import UploadRequest
from lambdas.documents.search import MAX_OFFSET
from lambdas.documents.search_backend import search_index
from lambdas.documents.settings import ApiSettings, contract_limits
from lambdas.documents.storage import DocumentStorage
from lambdas.documents.store import DynamoDocumentStore
from platform_core.aws import client
from platform_core.dependencies import Provider
from platform_core.observability import logger, tracer

app = APIGatewayRestResolver()
JSON = "application/json"
MAX_HITS = 50


@Provider
def documents_api() -> DocumentsApi:
    settings = ApiSettings()  # type: ignore[call-arg]  # read from the environment
    s3 = client("s3")
    return DocumentsApi(
        store=DynamoDocumentStore(
            client("dynamodb"), settings.table_documents, settings.table_document_hashes
        ),
        storage=DocumentStorage(s3, settings.bucket_documents),
        index=search_index(settings, s3),
        api_key_teams=settings.api_key_teams,
        config=ApiConfig(
            limits=contract_limits(),
            upload_expiry_seconds=settings.upload_expiry_seconds,
            download_expiry_seconds=settings.download_expiry_seconds,
            max_text_bytes=settings.max_text_bytes,
        ),
    )


def _respond(status: int, body: BaseModel | dict[str, Any]) -> Response:
    text = body.model_dump_json(exclude_none=True) if isinstance(body, BaseModel) else _dumps(body)
    return Response(status, JSON, text)


def _dumps(body: dict[str, Any]) -> str:
    import json

    return json.dumps(body, separators=(",", ":"))


def _team() -> str:
    return documents_api().team_for(app.current_event.request_context.identity.api_key_id)


@app.post("/v1/documents")
def create_upload() -> Response:
    team = _team()
    try:
        request = UploadRequest.model_validate_json(app.current_event.body or "")
    except ValidationError as exc:
        reasons = [{"path": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()]
        return _respond(400, {"message": "invalid upload request", "reasons": reasons})
    status, response = documents_api().create_upload(team, request)
    logger.info(
        "upload issued",
        extra={"team": team, "document_id": response.document_id, "duplicate": response.duplicate},
    )
    return _respond(status, response)


@app.get("/v1/documents/search")
def search_documents() -> Response:
    team = _team()
    parameters = app.current_event.query_string_parameters or {}
    try:
        limit = min(MAX_HITS, max(1, int(parameters.get("limit") or 10)))
        offset = int(parameters.get("offset") or 0)
    except ValueError:
        raise ApiError(400, "limit and offset must be numbers") from None
    if not 0 <= offset <= MAX_OFFSET:
        raise ApiError(400, f"offset must be 0 to {MAX_OFFSET}: narrow the query to reach further")
    filters = search_filters(parameters)
    return _respond(200, documents_api().search(team, parameters.get("q"), filters, limit, offset))


@app.get("/v1/documents/<document_id>")
def get_document(document_id: str) -> Response:
    return _respond(200, documents_api().get(_team(), document_id))


@app.exception_handler(ApiError)
def api_error(exc: ApiError) -> Response:
    return _respond(exc.status, {"message": exc.message})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
