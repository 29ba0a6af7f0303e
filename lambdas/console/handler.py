"""console (REST API, Lambda proxy): the console's pages under /console, behind the API's own security.

    GET  /console/...        a page (HTML; an invoice's preview is an image inside it, its PDF a
                             redirect to a presigned S3 URL, so nothing binary crosses API Gateway)
    POST /console/flow/...   the redrive form (same-origin only, see lambdas/console/app.py)

The app (lambdas/console/app.py) is built once per execution environment from the function's settings,
with the AWS adapters: Athena for the lake, CloudWatch's Lambda metrics for the functions' counters,
MSK (IAM) for the consumer lag when KAFKA_BOOTSTRAP_SERVERS is set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Depends, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from lambdas.console.app import SECURITY_HEADERS, ConsoleApp, Request, parse_form
from lambdas.console.athena import AthenaLake
from lambdas.console.cloudwatch import LambdaMetrics
from lambdas.console.settings import ConsoleSettings
from lambdas.console.sources import Platform
from platform_core.aws import client
from platform_core.config import get_config
from platform_core.dependencies import Provider
from platform_core.kafka import KafkaConnection
from platform_core.observability import logger, proxy_correlation_id, tracer
from platform_core.resources import Resources

app = APIGatewayRestResolver()
PREFIX = "/console"
# The API's own host: its URLs carry the stage (a custom domain's do not).
EXECUTE_API_SUFFIX = ".amazonaws.com"


class TeamApiKeys(Mapping[str, str]):
    """A team's API key, read from its secret when a page first needs it (the documents search calls
    the documents API as the documents team)."""

    def __init__(self, resources: Resources):
        self.resources = resources

    @cache  # noqa: B019  # one instance per execution environment
    def __getitem__(self, team: str) -> str:
        if team not in self.resources.config.teams:
            raise KeyError(team)
        secret = self.resources.team_api_key_secret(team)
        return str(client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"])

    def __iter__(self) -> Iterator[str]:
        return iter(self.resources.config.teams)

    def __len__(self) -> int:
        return len(self.resources.config.teams)


@cache
def api_key_id(team: str) -> str | None:
    """A team's usage-plan key id (not its value), by the key's name (modules/naming team_api_keys)."""
    settings = ConsoleSettings.from_environment()
    name = f"{settings.project}-{settings.platform_env}-{team}-api-key"
    keys = client("apigateway").get_api_keys(nameQuery=name)["items"]
    return next((str(key["id"]) for key in keys if key["name"] == name), None)


@Provider
def console() -> ConsoleApp:
    settings = ConsoleSettings.from_environment()
    resources = Resources(get_config(), settings.platform_env)
    lake = AthenaLake(
        client("athena"),
        client("glue"),
        workgroup=settings.athena_workgroup,
        database=settings.glue_database,
        glue_job=settings.glue_job,
        timeout_seconds=settings.athena_timeout_seconds,
    )
    functions = {name: resources.function_name(name) for name in resources.functions}
    kafka = KafkaConnection.from_env() if settings.kafka_bootstrap_servers else None
    return ConsoleApp(
        Platform(
            resources,
            lake=lake,
            live=LambdaMetrics(client("cloudwatch"), functions),
            kafka=kafka,
            api_key_id=api_key_id,
        ),
        api_keys=TeamApiKeys(resources),
    )


def _request() -> Request:
    event = app.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    host = headers.get("host", "")
    stage = event.request_context.stage
    root = f"/{stage}" if host.endswith(EXECUTE_API_SUFFIX) else ""
    body = event.decoded_body or ""
    return Request(
        method=event.http_method,
        path=event.path.removeprefix(PREFIX) or "/",
        query=dict(event.query_string_parameters or {}),
        form=parse_form(body.encode()),
        headers=headers,
        base=f"{root}{PREFIX}",
        api_url=f"{headers.get('x-forwarded-proto', 'https' if root else 'http')}://{host}{root}",
    )


@app.route(f"{PREFIX}(/.*)?", method=["GET", "POST"])
def page(console_app: Annotated[ConsoleApp, Depends(console)]) -> Response:
    try:
        status, headers, body = console_app.handle(_request())
    except Exception:  # a page that fails says so (as the local server does); its cause goes to the log
        logger.exception("console page failed", extra={"path": app.current_event.path})
        status, headers = 500, {"Content-Type": "text/plain; charset=utf-8"}
        body = b"The console could not read this page's data; see the console function's log."
    headers = {**SECURITY_HEADERS, **headers}
    content_type = headers.pop("Content-Type", "text/html; charset=utf-8")
    # Text goes as text; anything else as bytes, which Powertools sends base64-encoded.
    payload: str | bytes = body.decode() if content_type.startswith("text/") else body
    return Response(status, content_type, payload, headers=headers)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.set_correlation_id(proxy_correlation_id(event))
    return app.resolve(event, context)
