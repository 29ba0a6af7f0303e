-- One row per order: when it was created, reserved, invoiced and cancelled (first occurrence of each),
-- with its amount. The common "where is order X" / "how long from order to invoice" question.
CREATE OR REPLACE VIEW order_lifecycle AS
SELECT
    order_id,
    min(CASE WHEN event_type = 'orders.order_created' THEN occurred_at END) AS created_at,
    min(CASE WHEN event_type = 'orders.stock_reserved' THEN occurred_at END) AS reserved_at,
    min(CASE WHEN event_type = 'billing.invoice_issued' THEN occurred_at END) AS invoiced_at,
    min(CASE WHEN event_type = 'orders.order_cancelled' THEN occurred_at END) AS cancelled_at,
    max(CASE WHEN event_type = 'orders.order_created' THEN amount END) AS order_amount,
    max(CASE WHEN event_type = 'orders.order_created' THEN currency END) AS currency,
    min(event_date) AS first_event_date
FROM events
WHERE order_id IS NOT NULL
  AND event_type IN ('orders.order_created', 'orders.stock_reserved', 'billing.invoice_issued', 'orders.order_cancelled')
GROUP BY order_id
