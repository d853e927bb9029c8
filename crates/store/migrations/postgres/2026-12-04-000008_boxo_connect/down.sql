DROP TABLE connect_access_tokens;
DROP TABLE connect_auth_codes;
