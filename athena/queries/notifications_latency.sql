-- KPI: time from a notification's request (the platform receiving its cause) to its channel's send,
-- per channel over the last 7 days: sent deliveries, median and p95 (approximate, as Athena computes
-- them) and maximum in milliseconds, and the mean number of attempts.
SELECT
    channel,
    count(*) AS sent,
    approx_percentile(date_diff('millisecond', requested_at, sent_at), 0.5) AS p50_ms,
    approx_percentile(date_diff('millisecond', requested_at, sent_at), 0.95) AS p95_ms,
    max(date_diff('millisecond', requested_at, sent_at)) AS max_ms,
    avg(CAST(attempts AS double)) AS mean_attempts
FROM notification_deliveries
WHERE sent_at IS NOT NULL
  AND requested_at >= current_date - INTERVAL '7' DAY
GROUP BY channel
ORDER BY channel
