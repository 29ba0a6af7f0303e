-- KPI: how much of what the teams upload needs OCR, over the last 7 days: processed documents and
-- pages per owner team, the pages read by OCR (no text layer), and their share.
SELECT
    owner_team,
    count(*) AS documents,
    count(CASE WHEN ocr_pages > 0 THEN 1 END) AS documents_with_ocr,
    sum(pages) AS pages,
    sum(ocr_pages) AS ocr_pages,
    round(CAST(sum(ocr_pages) AS double) / nullif(sum(pages), 0), 4) AS ocr_page_share
FROM document_outcomes
WHERE status = 'processed'
  AND event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY owner_team
ORDER BY owner_team
