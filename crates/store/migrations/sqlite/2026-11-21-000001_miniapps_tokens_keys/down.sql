DROP TABLE boxo_nonces;
DROP TABLE idempotency_keys;
DROP TABLE user_tokens;
DROP TABLE miniapps;
