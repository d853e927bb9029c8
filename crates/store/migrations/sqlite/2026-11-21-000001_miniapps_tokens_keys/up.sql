-- Miniapps, minted user tokens (hashes only), idempotency keys and Boxo nonces.
CREATE TABLE miniapps (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    secret_hash       TEXT NOT NULL,
    webhook_url       TEXT,
    secret_generation BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX miniapps_by_created ON miniapps (created_at, id);

CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX user_tokens_by_expiry ON user_tokens (expires_at);

CREATE TABLE idempotency_keys (
    app_id          TEXT NOT NULL,
    "key"           TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      TEXT NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (app_id, "key")
);
CREATE INDEX idempotency_keys_by_created ON idempotency_keys (created_at);

CREATE TABLE boxo_nonces (
    nonce   TEXT PRIMARY KEY,
    seen_at TEXT NOT NULL
);
CREATE INDEX boxo_nonces_by_seen ON boxo_nonces (seen_at);
