-- One row per issued document (invoices and credit notes) from billing's events: its number, entity,
-- order, dates, currency and amounts. Credit notes count negative, so sums are what was invoiced net
-- of corrections. billing.invoice_issued v1 (before numbering per entity) is left out.
CREATE OR REPLACE VIEW invoices AS
SELECT
    json_extract_scalar(payload_json, '$.invoice_number') AS invoice_number,
    CASE WHEN event_type = 'billing.credit_note_issued' THEN 'credit_note' ELSE 'invoice' END AS document_type,
    json_extract_scalar(payload_json, '$.seller_entity') AS seller_entity,
    order_id,
    customer_id,
    json_extract_scalar(payload_json, '$.buyer_country') AS buyer_country,
    json_extract_scalar(payload_json, '$.buyer_kind') AS buyer_kind,
    json_extract_scalar(payload_json, '$.tax_regime') AS tax_regime,
    CAST(json_extract_scalar(payload_json, '$.issue_date') AS date) AS issue_date,
    CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.ordered_at')) AS timestamp) AS ordered_at,
    CAST(from_iso8601_timestamp(json_extract_scalar(payload_json, '$.issued_at')) AS timestamp) AS issued_at,
    json_extract_scalar(payload_json, '$.currency') AS currency,
    CASE WHEN event_type = 'billing.credit_note_issued' THEN -1 ELSE 1 END
        * CAST(json_extract_scalar(payload_json, '$.net.amount') AS decimal(18, 4)) AS net,
    CASE WHEN event_type = 'billing.credit_note_issued' THEN -1 ELSE 1 END
        * CAST(json_extract_scalar(payload_json, '$.tax.amount') AS decimal(18, 4)) AS tax,
    CASE WHEN event_type = 'billing.credit_note_issued' THEN -1 ELSE 1 END
        * CAST(json_extract_scalar(payload_json, '$.total.amount') AS decimal(18, 4)) AS total,
    payload_json
FROM events
WHERE team = 'billing'
  AND (
      (event_type = 'billing.invoice_issued' AND schema_version = '2')
      OR event_type = 'billing.credit_note_issued'
  )
