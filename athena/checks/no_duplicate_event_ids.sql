-- check: no (team, event_id) is curated twice
-- A check returns the rows that violate it: zero rows means it passed.
SELECT team, event_id, count(*) AS copies
FROM events
GROUP BY team, event_id
HAVING count(*) > 1
ORDER BY copies DESC, team, event_id
LIMIT 100
