ALTER TABLE payments DROP COLUMN charging_since;
