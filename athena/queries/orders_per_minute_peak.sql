-- KPI: orders per minute, peak first. The ten busiest minutes of the last 7 days (UTC), by orders created.
SELECT
    date_trunc('minute', occurred_at) AS minute,
    count(*) AS orders
FROM events
WHERE team = 'orders'
  AND event_type = 'orders.order_created'
  AND event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY date_trunc('minute', occurred_at)
ORDER BY orders DESC, minute
LIMIT 10
