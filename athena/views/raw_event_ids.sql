-- The identity of every readable line of the raw zone: team, event_id, the UTC date of occurred_at
-- (the curated partition it belongs to) and received_at. Used by the data-quality checks.
-- The UTC date is computed from epoch seconds: it is the same in Athena and in the local engine,
-- whatever offset the producer used (AT TIME ZONE is not: see local_platform/query/lint.py).
CREATE OR REPLACE VIEW raw_event_ids AS
SELECT
    team,
    event_id,
    CAST(CAST(date_add('day', CAST(floor(to_unixtime(occurred) / 86400.0) AS bigint), DATE '1970-01-01') AS date) AS varchar)
        AS event_date,
    received
FROM (
    SELECT
        team,
        event_id,
        try(from_iso8601_timestamp(occurred_at)) AS occurred,
        try(from_iso8601_timestamp(received_at)) AS received
    FROM raw_events
    WHERE event_id IS NOT NULL
) AS readable
WHERE occurred IS NOT NULL AND received IS NOT NULL
