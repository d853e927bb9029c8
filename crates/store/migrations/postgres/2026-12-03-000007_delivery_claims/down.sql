ALTER TABLE deliveries DROP COLUMN claim_token;
