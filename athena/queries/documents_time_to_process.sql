-- KPI: time to process over the last 7 days, per outcome and type: from the upload landing in S3 to the
-- verdict (seconds, average and maximum), and the reading time the processor measured (milliseconds).
SELECT
    status,
    document_type,
    count(*) AS documents,
    round(avg(to_unixtime(finished_at) - to_unixtime(uploaded_at)), 3) AS avg_seconds_to_verdict,
    round(max(to_unixtime(finished_at) - to_unixtime(uploaded_at)), 3) AS max_seconds_to_verdict,
    round(avg(CAST(processing_ms AS double)), 1) AS avg_processing_ms
FROM document_outcomes
WHERE status IN ('processed', 'rejected')
  AND event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY status, document_type
ORDER BY status, document_type
