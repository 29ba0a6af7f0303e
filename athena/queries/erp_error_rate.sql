-- KPI: how the ERP behaved for the orders decided in the last 7 days (UTC), per day of the decision:
-- ERP calls and failed calls (server errors, timeouts, refused credentials: retried or waited out),
-- the share of calls that failed, the orders that had to wait for it, and those it refused outright.
SELECT
    date_format(coalesce(confirmed_at, rejected_at), '%Y-%m-%d') AS decided_on,
    count(*) AS orders,
    sum(erp_calls) AS erp_calls,
    sum(erp_failures) AS erp_failures,
    round(CAST(sum(erp_failures) AS double) / nullif(sum(erp_calls), 0), 4) AS failure_rate,
    count(CASE WHEN deferrals > 0 THEN 1 END) AS orders_that_waited,
    count(CASE WHEN rejection_reason = 'erp_refused' THEN 1 END) AS refused_by_erp
FROM order_outcomes
WHERE coalesce(confirmed_at, rejected_at) >= current_date - INTERVAL '7' DAY
  AND erp_calls IS NOT NULL
GROUP BY date_format(coalesce(confirmed_at, rejected_at), '%Y-%m-%d')
ORDER BY decided_on
