-- KPI: days from order to invoice, per issue day over the last 30 days (invoices only): how many
-- were issued, the mean and the longest wait in whole days (24-hour periods between the two
-- timestamps, computed from epoch seconds: date_diff counts calendar boundaries in DuckDB).
SELECT
    issue_date,
    count(*) AS invoices,
    avg(floor((to_unixtime(issued_at) - to_unixtime(ordered_at)) / 86400.0)) AS mean_days,
    CAST(max(floor((to_unixtime(issued_at) - to_unixtime(ordered_at)) / 86400.0)) AS bigint) AS max_days
FROM invoices
WHERE document_type = 'invoice'
  AND issue_date >= current_date - INTERVAL '30' DAY
GROUP BY issue_date
ORDER BY issue_date
