"""What the invoice service reads from its environment (set by Terraform and the local runtime)."""

from __future__ import annotations

from platform_core.settings import ProducerSettings


class InvoiceSettings(ProducerSettings):
    table_invoices: str  # TABLE_INVOICES: documents, their content and their send records
    table_counters: str  # TABLE_COUNTERS: the last number per entity, series and year
    bucket_invoices: str  # BUCKET_INVOICES: the PDFs (Object Lock) and the ECB rates it reads
    mail_from: str  # MAIL_FROM: the declared sender address
    mail_configuration_set: str | None = None  # MAIL_CONFIGURATION_SET: SES's, in AWS
    # MAIL_SMTP_URL: smtp://host:port of an SMTP server (the local mail sink); SES v2 when unset.
    mail_smtp_url: str | None = None
