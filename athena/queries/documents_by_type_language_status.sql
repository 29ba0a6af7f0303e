-- KPI: documents finished over the last 7 days per owner team, outcome, type and language: how many,
-- and their pages. Rejected documents have type 'none' (they were refused before being read).
SELECT
    owner_team,
    status,
    document_type,
    language,
    count(*) AS documents,
    coalesce(sum(pages), 0) AS pages
FROM document_outcomes
WHERE event_date >= date_format(current_date - INTERVAL '7' DAY, '%Y-%m-%d')
GROUP BY owner_team, status, document_type, language
ORDER BY owner_team, status, documents DESC, document_type, language
