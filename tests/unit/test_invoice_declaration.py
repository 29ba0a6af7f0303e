"""The invoice service's declaration gives its function every setting it reads, and nothing is hand-wired."""

from __future__ import annotations

from lambdas.invoices.settings import InvoiceSettings
from platform_core.config import get_config
from platform_core.resources import Resources


def test_the_declared_environment_is_what_the_function_reads() -> None:
    resources = Resources(get_config(), "dev")
    environment = resources.function_environment("invoices", api_url="https://api.example/dev")
    settings = InvoiceSettings(**{k.lower(): v for k, v in environment.items()})
    assert settings.table_invoices == "stockoss-dev-billing-invoices"
    assert settings.table_counters == "stockoss-dev-billing-counters"
    assert settings.bucket_invoices == "stockoss-dev-billing-invoices"
    assert settings.mail_from == "factures@stockoss.example.com"
    assert settings.mail_configuration_set == "stockoss-dev-billing-invoices-mail"
    assert settings.platform_api_key_secret == "stockoss-dev-billing-api-key"


def test_the_service_takes_billings_queue_and_emits_billings_events() -> None:
    config = get_config()
    service = config.services["invoices"]
    assert config.teams["billing"].subscriptions.sqs == ("billing.invoice_requested",)
    assert set(service.emits) == {"billing.invoice_issued", "billing.credit_note_issued"}
    assert service.buckets["invoices"].object_lock_days == 3653
    assert service.packaging.type == "image" and "fonts-dejavu-core" in service.packaging.debian_packages
