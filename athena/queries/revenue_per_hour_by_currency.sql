-- KPI: revenue per hour by currency over the last 7 days (UTC): gross order value of the orders created
-- in the hour (payload.total), in each currency; no conversion between currencies.
SELECT
    date_trunc('hour', occurred_at) AS hour,
    currency,
    count(*) AS orders,
    sum(amount) AS revenue
FROM events
WHERE team = 'orders'
  AND event_type = 'orders.order_created'
  AND event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY date_trunc('hour', occurred_at), currency
ORDER BY hour, currency
