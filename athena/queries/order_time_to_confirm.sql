-- KPI: time from an order placed to its confirmation (stock reserved, sale order confirmed in the ERP),
-- per day of placement over the last 7 days (UTC): confirmed orders, median and p95 (approximate, as
-- Athena computes them) and maximum, in milliseconds.
SELECT
    date_format(placed_at, '%Y-%m-%d') AS placed_on,
    count(*) AS confirmed,
    approx_percentile(date_diff('millisecond', placed_at, confirmed_at), 0.5) AS p50_ms,
    approx_percentile(date_diff('millisecond', placed_at, confirmed_at), 0.95) AS p95_ms,
    max(date_diff('millisecond', placed_at, confirmed_at)) AS max_ms
FROM order_outcomes
WHERE confirmed_at IS NOT NULL
  AND placed_at >= current_date - INTERVAL '7' DAY
GROUP BY date_format(placed_at, '%Y-%m-%d')
ORDER BY placed_on
