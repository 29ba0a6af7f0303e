-- check: per partition, the curated row count equals the distinct events of the raw zone (not quarantined)
-- parameter: one placeholder, the cutoff as an RFC 3339 timestamp string: only events received before it
-- are reconciled, so events still arriving while the job runs raise no false alarm (the orchestrator passes
-- the start of the run).
-- A check returns the rows that violate it: zero rows means it passed.
WITH cutoff AS (
    SELECT from_iso8601_timestamp(?) AS received_before
),
-- An event is curated once, in the partition of its first received copy (a later copy that claims
-- another date is a duplicate), so that is where the raw zone counts it.
raw_ids AS (
    SELECT r.team, r.event_id, min_by(r.event_date, r.received) AS event_date
    FROM raw_event_ids AS r
    CROSS JOIN cutoff
    WHERE r.received < cutoff.received_before
      AND NOT EXISTS (
          SELECT 1 FROM quarantined_events AS q WHERE q.team = r.team AND q.event_id = r.event_id
      )
    GROUP BY r.team, r.event_id
),
raw AS (
    SELECT team, event_date, count(*) AS raw_events
    FROM raw_ids
    GROUP BY team, event_date
),
curated AS (
    SELECT e.team, e.event_date, count(*) AS curated_events
    FROM events AS e
    CROSS JOIN cutoff
    WHERE e.received_at < cutoff.received_before
    GROUP BY e.team, e.event_date
)
SELECT
    coalesce(raw.team, curated.team) AS team,
    coalesce(raw.event_date, curated.event_date) AS event_date,
    coalesce(raw.raw_events, 0) AS raw_events,
    coalesce(curated.curated_events, 0) AS curated_events
FROM raw
FULL OUTER JOIN curated ON raw.team = curated.team AND raw.event_date = curated.event_date
WHERE coalesce(raw.raw_events, 0) <> coalesce(curated.curated_events, 0)
ORDER BY team, event_date
