-- ISO 4217 minor units: an amount has as many decimals as its currency (JPY none,
-- USD 2, KWD/BHD/OMR/JOD/TND 3, CLF/UYW 4), still at most 18 digits before the point.
-- NUMERIC(20,2) would round "10.505" KWD to 10.51; NUMERIC(22,4) keeps every amount.
ALTER TABLE payments ALTER COLUMN amount TYPE NUMERIC(22,4);
ALTER TABLE payment_items
    ALTER COLUMN price TYPE NUMERIC(22,4),
    ALTER COLUMN discount TYPE NUMERIC(22,4);
ALTER TABLE refunds ALTER COLUMN amount TYPE NUMERIC(22,4);
ALTER TABLE order_activities ALTER COLUMN total TYPE NUMERIC(22,4);
ALTER TABLE charge_reversals ALTER COLUMN amount TYPE NUMERIC(22,4);
