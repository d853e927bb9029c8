ALTER TABLE idempotency_keys DROP COLUMN owner;
DROP TABLE charge_reversals;
DROP INDEX refunds_pending_due;
CREATE INDEX refunds_pending_by_updated ON refunds (updated_at, id) WHERE status = 'pending';
ALTER TABLE refunds DROP COLUMN attempts;
ALTER TABLE refunds DROP COLUMN next_attempt_at;
DROP INDEX payments_charge_checks_due;
ALTER TABLE payments DROP COLUMN charge_check_at;
DROP TABLE pay_grants;
