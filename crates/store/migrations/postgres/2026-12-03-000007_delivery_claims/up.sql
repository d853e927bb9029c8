-- Each attempt of a delivery is made under its own claim; the claim's number is stored on
-- the delivery. Every claim and every recorded outcome moves it on, so an outcome is
-- written only by the claim that still holds the delivery (UPDATE ... WHERE claim_token =).
ALTER TABLE deliveries ADD COLUMN claim_token BIGINT NOT NULL DEFAULT 0;
