-- KPI: VAT collected per currency, VAT category (EN 16931 code: S standard, Z zero, K intra-EU supply,
-- AE reverse charge, G export, E exempt) and rate over the last 30 days, net of credit notes: the
-- figures of the VAT return, before conversion.
SELECT
    i.currency,
    json_extract_scalar(line, '$.category_code') AS category_code,
    CAST(json_extract_scalar(line, '$.rate') AS decimal(5, 2)) AS rate,
    sum(
        CASE WHEN i.document_type = 'credit_note' THEN -1 ELSE 1 END
        * CAST(json_extract_scalar(line, '$.taxable.amount') AS decimal(18, 4))
    ) AS taxable,
    sum(
        CASE WHEN i.document_type = 'credit_note' THEN -1 ELSE 1 END
        * CAST(json_extract_scalar(line, '$.tax.amount') AS decimal(18, 4))
    ) AS tax
FROM invoices AS i
CROSS JOIN UNNEST(CAST(json_extract(i.payload_json, '$.vat_breakdown') AS array(json))) AS t(line)
WHERE i.issue_date >= current_date - INTERVAL '30' DAY
GROUP BY i.currency, json_extract_scalar(line, '$.category_code'), CAST(json_extract_scalar(line, '$.rate') AS decimal(5, 2))
ORDER BY i.currency, category_code, rate DESC
