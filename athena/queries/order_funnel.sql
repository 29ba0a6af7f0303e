-- KPI: order funnel over the last 7 days (UTC): orders created, of those reserved, of those invoiced,
-- and cancellations; with the step conversion rates. Counts distinct orders, so replays do not inflate it.
WITH orders AS (
    SELECT
        order_id,
        bool_or(event_type = 'orders.order_created') AS created,
        bool_or(event_type = 'orders.stock_reserved') AS reserved,
        bool_or(event_type = 'billing.invoice_issued') AS invoiced,
        bool_or(event_type = 'orders.order_cancelled') AS cancelled
    FROM events
    WHERE event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
      AND event_type IN ('orders.order_created', 'orders.stock_reserved', 'billing.invoice_issued', 'orders.order_cancelled')
      AND order_id IS NOT NULL
    GROUP BY order_id
),
funnel AS (
    SELECT
        count(CASE WHEN created THEN 1 END) AS created,
        count(CASE WHEN created AND reserved THEN 1 END) AS reserved,
        count(CASE WHEN created AND reserved AND invoiced THEN 1 END) AS invoiced,
        count(CASE WHEN created AND cancelled THEN 1 END) AS cancelled
    FROM orders
)
SELECT
    created,
    reserved,
    invoiced,
    cancelled,
    round(CAST(reserved AS double) / nullif(created, 0), 4) AS reserved_rate,
    round(CAST(invoiced AS double) / nullif(reserved, 0), 4) AS invoiced_rate,
    round(CAST(cancelled AS double) / nullif(created, 0), 4) AS cancellation_rate
FROM funnel
