-- KPI: what billing invoiced per issue day and currency over the last 30 days: documents issued, and
-- the amounts without VAT, of VAT and with VAT, net of credit notes; no conversion between currencies.
SELECT
    issue_date,
    currency,
    count(*) AS documents,
    sum(net) AS net,
    sum(tax) AS tax,
    sum(total) AS total
FROM invoices
WHERE issue_date >= current_date - INTERVAL '30' DAY
GROUP BY issue_date, currency
ORDER BY issue_date, currency
