-- The outbox: events written with the change that caused them, one delivery per receiver,
-- and every delivery attempt.
CREATE TABLE outbox_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    app_id      TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    data        TEXT NOT NULL,
    targets     TEXT NOT NULL
);
CREATE UNIQUE INDEX outbox_events_id ON outbox_events (id);
CREATE INDEX outbox_events_by_payment ON outbox_events (payment_id, seq);

CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event_id        TEXT NOT NULL REFERENCES outbox_events (id),
    target          TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    last_status     INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX deliveries_event_target ON deliveries (event_id, target);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at, id);
CREATE INDEX deliveries_by_created ON deliveries (created_at DESC, id DESC);
CREATE INDEX deliveries_by_state_created ON deliveries (state, created_at DESC, id DESC);

CREATE TABLE delivery_attempts (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
    attempted_at TEXT NOT NULL,
    http_status  INTEGER,
    outcome      TEXT NOT NULL,
    detail       TEXT,
    latency_ms   BIGINT NOT NULL
);
CREATE INDEX delivery_attempts_by_delivery ON delivery_attempts (delivery_id, seq);
