-- A confirm marks the charge it is making, so that a cancel or the expiry sweep
-- cannot drop a charge that goes through (NULL: no charge in flight).
ALTER TABLE payments ADD COLUMN charging_since TIMESTAMPTZ;
