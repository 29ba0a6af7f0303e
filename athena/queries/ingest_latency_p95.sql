-- KPI: time from occurred_at (producer) to received_at (platform) over the last 7 days, per team and
-- event type: p95 (approximate, as Athena computes it), median and maximum, in milliseconds.
SELECT
    team,
    event_type,
    count(*) AS events,
    approx_percentile(date_diff('millisecond', occurred_at, received_at), 0.5) AS p50_ms,
    approx_percentile(date_diff('millisecond', occurred_at, received_at), 0.95) AS p95_ms,
    max(date_diff('millisecond', occurred_at, received_at)) AS max_ms
FROM events
WHERE event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY team, event_type
ORDER BY p95_ms DESC, team, event_type
