-- KPI: ingestion error rate per team and event type over the last 7 days: events the API rejected
-- against events accepted (curated). Rejected events without a readable type count as 'unknown'.
SELECT
    team,
    event_type,
    sum(accepted) AS accepted,
    sum(rejected) AS rejected,
    round(CAST(sum(rejected) AS double) / nullif(sum(accepted) + sum(rejected), 0), 4) AS error_rate
FROM ingestion_outcomes
WHERE event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY team, event_type
ORDER BY error_rate DESC, team, event_type
