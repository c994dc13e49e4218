-- Raw conditional UPDATE of capacity_reserve, as pgbench runs it from bench/reserve.py:
--   pgbench -n -f bench/pgbench_reserve.sql -D lo=<first id> -D hi=<last id> -D finish=ROLLBACK|COMMIT \
--           -D within=300 -D last=29
-- lo = hi = the hot listing's id for the one-listing case. With finish=ROLLBACK the data is
-- unchanged; with COMMIT, reserve.py recomputes `reserved` from the live reservations afterwards.
-- 1 unit × (last + 1) days starting 1–within days from today, like the service scenarios.
\set id random(:lo, :hi)
\set off random(1, :within)
BEGIN;
SELECT id FROM warehouses_listing WHERE id = :id FOR UPDATE;
UPDATE warehouses_calendarday SET reserved = reserved + 1
 WHERE listing_id = :id AND day BETWEEN CURRENT_DATE + :off AND CURRENT_DATE + :off + :last
   AND capacity >= reserved + 1;
:finish;
