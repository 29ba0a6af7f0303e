-- One row per document the document service finished with: the team that owns it (payload.owner_team;
-- the producing team is always `documents`), its outcome (processed, rejected, or duplicate of an
-- earlier upload of the same bytes) and what was read. Upload-to-verdict time comes from the
-- payload's uploaded_at and the event's occurred_at (the verdict's time).
CREATE OR REPLACE VIEW document_outcomes AS
SELECT
    json_extract_scalar(payload_json, '$.document_id') AS document_id,
    json_extract_scalar(payload_json, '$.owner_team') AS owner_team,
    CASE
        WHEN event_type = 'documents.document_processed' THEN 'processed'
        WHEN event_type = 'documents.document_rejected' THEN 'rejected'
        ELSE 'duplicate'
    END AS status,
    coalesce(document_type, 'none') AS document_type,
    coalesce(json_extract_scalar(payload_json, '$.language'), 'und') AS language,
    json_extract_scalar(payload_json, '$.reason') AS reason,
    CAST(json_extract_scalar(payload_json, '$.pages') AS integer) AS pages,
    CAST(json_extract_scalar(payload_json, '$.ocr_pages') AS integer) AS ocr_pages,
    CAST(json_extract_scalar(payload_json, '$.processing_ms') AS bigint) AS processing_ms,
    size_bytes,
    from_iso8601_timestamp(json_extract_scalar(payload_json, '$.uploaded_at')) AS uploaded_at,
    occurred_at AS finished_at,
    event_date
FROM events
WHERE team = 'documents'
  AND (
    event_type IN ('documents.document_processed', 'documents.document_rejected')
    OR (
      event_type = 'documents.document_uploaded'
      AND json_extract_scalar(payload_json, '$.duplicate_of') IS NOT NULL
    )
  )
