-- KPI: what became of the orders placed in the last 7 days (UTC): confirmed, rejected (one row per
-- rejection reason) or still pending, with each row's share of the orders placed.
SELECT
    CASE
        WHEN confirmed_at IS NOT NULL THEN 'confirmed'
        WHEN rejected_at IS NOT NULL THEN 'rejected'
        ELSE 'pending'
    END AS outcome,
    coalesce(rejection_reason, '') AS reason,
    count(*) AS orders,
    round(CAST(count(*) AS double) / sum(count(*)) OVER (), 4) AS share
FROM order_outcomes
WHERE placed_at >= current_date - INTERVAL '7' DAY
GROUP BY 1, 2
ORDER BY orders DESC, outcome, reason
