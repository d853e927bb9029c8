-- Pay grants: the one credential that can confirm (charge) a payment, minted by the
-- host for its logged-in user; stored as a keyed hash.
CREATE TABLE pay_grants (
    token_hash TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX pay_grants_by_payment ON pay_grants (payment_id);

-- A charge in flight is asked about again from 2 minutes after it started, with backoff.
ALTER TABLE payments ADD COLUMN charge_check_at TEXT;
UPDATE payments SET charge_check_at = charging_since WHERE charging_since IS NOT NULL;
CREATE INDEX payments_charge_checks_due ON payments (charge_check_at, id) WHERE charge_check_at IS NOT NULL;

-- A pending refund the processor did not answer is asked again when due, with backoff.
ALTER TABLE refunds ADD COLUMN next_attempt_at TEXT;
ALTER TABLE refunds ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
UPDATE refunds SET next_attempt_at = updated_at WHERE status = 'pending';
DROP INDEX refunds_pending_by_updated;
CREATE INDEX refunds_pending_due ON refunds (next_attempt_at, id) WHERE status = 'pending';

-- The refund of an approved charge that could not be recorded on its payment.
CREATE TABLE charge_reversals (
    id              TEXT PRIMARY KEY,
    payment_id      TEXT NOT NULL REFERENCES payments (id),
    amount          TEXT NOT NULL CHECK (typeof(amount) = 'text'),
    currency        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX charge_reversals_by_payment ON charge_reversals (payment_id);
CREATE INDEX charge_reversals_pending_due ON charge_reversals (next_attempt_at, id) WHERE status = 'pending';

-- Only the request holding an idempotency key may complete or release it.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
