-- Boxo Connect: auth codes (single-use, 5 minutes) and access tokens, each bound to one
-- miniapp and one user and carrying the profile (JSON) the user agreed to share; stored
-- only as keyed hashes. Exchanging a code is a conditional write
-- (UPDATE ... WHERE used_at IS NULL), so a code is consumed once. Expired rows are pruned.
CREATE TABLE connect_auth_codes (
    code_hash  TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    profile    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX connect_auth_codes_by_expiry ON connect_auth_codes (expires_at);

CREATE TABLE connect_access_tokens (
    token_hash TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    profile    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX connect_access_tokens_by_expiry ON connect_access_tokens (expires_at);
