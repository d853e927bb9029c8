-- Payments with their items, refunds and sessions; order activities with their history.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('miniapp', 'boxo')),
    user_id          TEXT NOT NULL,
    amount           NUMERIC(20,2) NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL,
    fail_reason      TEXT,
    miniapp_order_id TEXT,
    details          TEXT NOT NULL,
    expires_at       TIMESTAMPTZ NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    version          BIGINT NOT NULL
);
CREATE INDEX payments_by_user ON payments (app_id, user_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX payments_boxo_order ON payments (app_id, miniapp_order_id) WHERE channel = 'boxo';
CREATE INDEX payments_in_process_by_expiry ON payments (expires_at, id) WHERE status = 'in_process';

CREATE TABLE payment_items (
    payment_id   TEXT NOT NULL REFERENCES payments (id),
    position     INTEGER NOT NULL,
    product_name TEXT NOT NULL,
    product_sku  TEXT,
    quantity     BIGINT NOT NULL,
    price        NUMERIC(20,2),
    discount     NUMERIC(20,2),
    CONSTRAINT payment_items_pkey PRIMARY KEY (payment_id, position)
);

CREATE TABLE refunds (
    id          TEXT PRIMARY KEY,
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    position    INTEGER NOT NULL,
    amount      NUMERIC(20,2) NOT NULL CHECK (amount > 0),
    reason      TEXT,
    status      TEXT NOT NULL,
    fail_reason TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX refunds_by_payment ON refunds (payment_id, position);
CREATE INDEX refunds_pending_by_updated ON refunds (updated_at, id) WHERE status = 'pending';

CREATE TABLE payment_sessions (
    token_hash TEXT PRIMARY KEY,
    payment_id TEXT NOT NULL REFERENCES payments (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payment_sessions_by_payment ON payment_sessions (payment_id);

CREATE TABLE order_activities (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    order_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    status     TEXT NOT NULL,
    title      TEXT,
    items      TEXT NOT NULL,
    total      NUMERIC(20,2),
    currency   TEXT,
    payment_id TEXT,
    delivery   TEXT,
    note       TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    version    BIGINT NOT NULL
);
CREATE UNIQUE INDEX order_activities_app_order ON order_activities (app_id, order_id);
CREATE INDEX order_activities_by_user ON order_activities (app_id, user_id, created_at DESC, id DESC);
CREATE INDEX order_activities_by_payment ON order_activities (app_id, payment_id) WHERE payment_id IS NOT NULL;

CREATE TABLE order_activity_events (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id          TEXT NOT NULL,
    activity_id TEXT NOT NULL REFERENCES order_activities (id),
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    changes     TEXT,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX order_activity_events_id ON order_activity_events (id);
CREATE INDEX order_activity_events_by_activity ON order_activity_events (activity_id, seq);
