-- One row per order the saga decided: when it was placed, confirmed or rejected (and why), its amount,
-- and how the ERP behaved for it (calls, failed calls, times the order waited for the ERP or the
-- platform). Orders without an outcome yet have neither confirmed_at nor rejected_at.
CREATE OR REPLACE VIEW order_outcomes AS
SELECT
    order_id,
    min(CASE WHEN event_type = 'orders.order_created' THEN occurred_at END) AS placed_at,
    min(CASE WHEN event_type = 'orders.order_confirmed' THEN occurred_at END) AS confirmed_at,
    min(CASE WHEN event_type = 'orders.order_rejected' THEN occurred_at END) AS rejected_at,
    max(CASE WHEN event_type = 'orders.order_rejected' THEN json_extract_scalar(payload_json, '$.reason') END)
        AS rejection_reason,
    max(CASE WHEN event_type = 'orders.order_created' THEN amount END) AS order_amount,
    max(CASE WHEN event_type = 'orders.order_created' THEN currency END) AS currency,
    max(
        CASE WHEN event_type IN ('orders.order_confirmed', 'orders.order_rejected')
        THEN CAST(json_extract_scalar(payload_json, '$.erp.calls') AS bigint) END
    ) AS erp_calls,
    max(
        CASE WHEN event_type IN ('orders.order_confirmed', 'orders.order_rejected')
        THEN CAST(json_extract_scalar(payload_json, '$.erp.failures') AS bigint) END
    ) AS erp_failures,
    max(
        CASE WHEN event_type IN ('orders.order_confirmed', 'orders.order_rejected')
        THEN CAST(json_extract_scalar(payload_json, '$.erp.deferrals') AS bigint) END
    ) AS deferrals,
    min(event_date) AS first_event_date
FROM events
WHERE order_id IS NOT NULL
  AND event_type IN ('orders.order_created', 'orders.order_confirmed', 'orders.order_rejected')
GROUP BY order_id
