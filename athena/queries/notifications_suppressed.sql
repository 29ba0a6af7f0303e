-- KPI: deliveries not sent on purpose or in vain, per channel and reason over the last 30 days:
-- skipped (opted out, suppressed after a bounce or complaint, nowhere to send, endpoint disabled) and
-- failed (refused, gone, unsafe destination, retries exhausted, template error).
SELECT
    channel,
    CASE WHEN skipped_at IS NOT NULL THEN 'skipped' ELSE 'failed' END AS outcome,
    reason,
    count(*) AS deliveries
FROM notification_deliveries
WHERE (skipped_at IS NOT NULL OR failed_at IS NOT NULL)
  AND requested_at >= current_date - INTERVAL '30' DAY
GROUP BY channel, CASE WHEN skipped_at IS NOT NULL THEN 'skipped' ELSE 'failed' END, reason
ORDER BY channel, outcome, reason
