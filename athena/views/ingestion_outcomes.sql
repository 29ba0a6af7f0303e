-- Accepted (curated) and rejected events per team, event type and day. Accepted events are dated by
-- occurred_at (the events partition), rejected ones by received_at (they have no trusted occurred_at).
CREATE OR REPLACE VIEW ingestion_outcomes AS
SELECT team, event_date, event_type, sum(accepted) AS accepted, sum(rejected) AS rejected
FROM (
    SELECT team, event_date, event_type, count(*) AS accepted, CAST(0 AS bigint) AS rejected
    FROM events
    GROUP BY team, event_date, event_type
    UNION ALL
    SELECT team, event_date, coalesce(event_type, 'unknown') AS event_type, CAST(0 AS bigint) AS accepted, count(*) AS rejected
    FROM rejected_events
    GROUP BY team, event_date, coalesce(event_type, 'unknown')
) AS outcomes
GROUP BY team, event_date, event_type
