-- Back to two decimals, but never by rounding: refused while any amount has more.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM payments WHERE amount <> round(amount, 2))
        OR EXISTS (SELECT 1 FROM payment_items
                   WHERE price <> round(price, 2) OR discount <> round(discount, 2))
        OR EXISTS (SELECT 1 FROM refunds WHERE amount <> round(amount, 2))
        OR EXISTS (SELECT 1 FROM order_activities WHERE total <> round(total, 2))
        OR EXISTS (SELECT 1 FROM charge_reversals WHERE amount <> round(amount, 2))
    THEN
        RAISE EXCEPTION 'amounts with more than 2 decimals are stored: NUMERIC(20,2) would round them';
    END IF;
END
$$;
ALTER TABLE charge_reversals ALTER COLUMN amount TYPE NUMERIC(20,2);
ALTER TABLE order_activities ALTER COLUMN total TYPE NUMERIC(20,2);
ALTER TABLE refunds ALTER COLUMN amount TYPE NUMERIC(20,2);
ALTER TABLE payment_items
    ALTER COLUMN price TYPE NUMERIC(20,2),
    ALTER COLUMN discount TYPE NUMERIC(20,2);
ALTER TABLE payments ALTER COLUMN amount TYPE NUMERIC(20,2);
