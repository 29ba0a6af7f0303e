-- KPI: documents uploaded by type over the last 7 days: how many, and their total and average size.
SELECT
    document_type,
    count(*) AS documents,
    sum(size_bytes) AS total_bytes,
    round(CAST(sum(size_bytes) AS double) / count(*), 1) AS avg_bytes
FROM events
WHERE team = 'documents'
  AND event_type = 'documents.document_uploaded'
  AND event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY document_type
ORDER BY documents DESC, document_type
