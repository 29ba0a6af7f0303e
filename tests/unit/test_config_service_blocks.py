"""Optional blocks of a service declaration: an authorizer's identity (scopes, API clients, usage plans), secrets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from platform_core.config import DEFAULT_CONFIG_PATH, ClientLimits, load_config

AUTHORIZER = {
    "team": "orders",
    "description": "Verifies access tokens and API keys",
    "handler": "lambdas.toy.authorizer.lambda_handler",
    "trigger": {"type": "authorizer"},
    "identity": {
        "resource_server": "orders",
        "scopes": {"read": "Read own orders", "write": "Place orders"},
        "clients": {
            "web-app": {"description": "The PWA", "credential": "token", "scopes": ["read", "write"]},
            "partner-acme": {"description": "A partner", "credential": "api_key", "scopes": ["write"]},
        },
    },
}


def _with_authorizer(tmp_path: Path, **changes: Any) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    service = yaml.safe_load(yaml.safe_dump(AUTHORIZER))
    service.update(changes)
    data["services"]["toy-authorizer"] = service
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_an_authorizer_declares_its_clients_with_default_limits(tmp_path: Path) -> None:
    service = load_config(_with_authorizer(tmp_path)).services["toy-authorizer"]
    assert service.identity is not None
    acme = service.identity.clients["partner-acme"]
    assert acme.credential == "api_key"
    assert acme.limits == ClientLimits(requests_per_minute=1000, burst=2000)
    assert acme.limits.rate_per_second == pytest.approx(1000 / 60)


def test_a_client_scope_must_be_declared(tmp_path: Path) -> None:
    identity = yaml.safe_load(yaml.safe_dump(AUTHORIZER["identity"]))
    identity["clients"]["partner-acme"]["scopes"] = ["delete"]
    with pytest.raises(ValueError, match=re.escape("partner-acme: no scope 'delete'")):
        load_config(_with_authorizer(tmp_path, identity=identity))


def test_only_an_authorizer_has_an_identity(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="only an authorizer"):
        load_config(_with_authorizer(tmp_path, trigger={"type": "schedule", "expression": "rate(1 hour)"}))


def test_a_service_declares_the_secrets_it_reads(tmp_path: Path) -> None:
    secrets = {"toy-erp": {"description": "URL and API key of the ERP"}}
    service = load_config(_with_authorizer(tmp_path, secrets=secrets)).services["toy-authorizer"]
    assert service.secrets["toy-erp"].description == "URL and API key of the ERP"
    from platform_core import naming

    assert naming.service_secret("stockoss", "dev", "orders", "erp") == "stockoss-dev-orders-erp"


def test_a_mail_sender_declares_its_address_and_domain(tmp_path: Path) -> None:
    mailer = {
        "team": "billing",
        "description": "Sends invoices",
        "handler": "lambdas.toy.mailer.lambda_handler",
        "trigger": {"type": "schedule", "expression": "rate(1 hour)"},
        "mail": {"from_address": "invoices@billing.example.com"},
    }
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    data["services"]["toy-mailer"] = mailer
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data))
    sender = load_config(path).services["toy-mailer"].mail
    assert sender is not None and sender.domain == "billing.example.com"
    data["services"]["toy-mailer"]["mail"] = {"from_address": "not an address"}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="from_address"):
        load_config(path)


def _with_texter(tmp_path: Path, sms: dict[str, Any], trigger: dict[str, Any] | None = None) -> Path:
    texter = {
        "team": "billing",
        "description": "Texts reminders",
        "handler": "lambdas.toy.texter.lambda_handler",
        "trigger": trigger or {"type": "schedule", "expression": "rate(1 hour)"},
        "sms": sms,
    }
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    data["services"]["toy-texter"] = texter
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_an_sms_sender_gets_its_configuration_set_and_an_optional_origination(tmp_path: Path) -> None:
    from platform_core.resources import Resources

    config = load_config(_with_texter(tmp_path, {}))
    texter = config.services["toy-texter"].sms
    assert texter is not None and texter.origination is None and texter.message_type == "TRANSACTIONAL"
    environment = Resources(config, "dev").function_environment("toy-texter")
    assert environment["SMS_CONFIGURATION_SET"] == "stockoss-dev-billing-toy-texter-sms"
    sender = {"type": "sender_id", "country": "FR", "sender_id": "StockOSS"}
    origination = load_config(_with_texter(tmp_path, {"origination": sender})).services["toy-texter"].sms
    assert origination is not None and origination.origination is not None
    assert origination.origination.sender_id == "StockOSS"


@pytest.mark.parametrize(
    ("origination", "message"),
    [
        ({"type": "sender_id", "country": "FR"}, "names its sender_id"),
        ({"type": "phone_number", "country": "FR", "sender_id": "StockOSS"}, "names its sender_id"),
        ({"type": "sender_id", "country": "FR", "sender_id": "12345"}, "sender_id"),  # digits only
        ({"type": "sender_id", "country": "FR", "sender_id": "StockOSSShop"}, "sender_id"),  # 12 characters
        ({"type": "phone_number", "country": "France"}, "country"),
    ],
)
def test_an_sms_origination_is_checked(tmp_path: Path, origination: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_config(_with_texter(tmp_path, {"origination": origination}))


def test_sms_feedback_comes_back_on_a_team_queue(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"sms\.feedback"):
        load_config(_with_texter(tmp_path, {"feedback": True}))


def _with_documents_search(tmp_path: Path, search: dict[str, Any]) -> Path:
    data = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    data["services"]["documents-processor"]["search"] = search
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_search_domain_opts_the_service_and_its_users_in_to_opensearch(tmp_path: Path) -> None:
    from platform_core.resources import Resources

    config = load_config(_with_documents_search(tmp_path, {"engine": "opensearch"}))
    search = config.services["documents-processor"].search
    assert search is not None and (search.instance_type, search.instance_count, search.volume_gb) == (
        "t3.small.search",
        1,
        10,
    )
    resources = Resources(config, "dev")
    assert (
        resources.function_environment("documents-processor", api_url="https://api")["SEARCH_BACKEND"]
        == "opensearch"
    )
    assert (
        resources.function_environment("documents-api")["SEARCH_BACKEND"] == "opensearch"
    )  # it uses the processor
    assert "SEARCH_BACKEND" not in Resources(load_config(), "dev").function_environment("documents-api")


def test_a_search_domain_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="instance_type"):
        load_config(_with_documents_search(tmp_path, {"instance_type": "t3.small"}))
    with pytest.raises(ValueError, match="engine"):
        load_config(_with_documents_search(tmp_path, {"engine": "elasticsearch"}))


def test_a_search_domain_name_fits_opensearchs_28_characters() -> None:
    from platform_core import naming

    assert naming.service_search_domain("stockoss", "dev", "docs", "search") == "stockoss-dev-docs-search"
    long = naming.service_search_domain("stockoss", "prod", "documents", "documents-processor")
    assert len(long) == 28 and long.startswith("stockoss-prod-documents-")
    assert long != naming.service_search_domain("stockoss", "prod", "documents", "documents-archive")
