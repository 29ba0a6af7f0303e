-- KPI: per-team event volume and bytes per day over the last 7 days (bytes = stored envelope size).
SELECT
    team,
    event_date,
    count(*) AS events,
    sum(event_bytes) AS bytes,
    count(DISTINCT event_type) AS event_types
FROM events
WHERE event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY team, event_date
ORDER BY team, event_date
