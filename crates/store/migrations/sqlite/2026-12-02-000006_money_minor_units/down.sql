-- Refused while an amount has more than 2 decimals (the code before this version reads
-- at most 2): the CHECK fails for the first such amount, and the migration rolls back.
CREATE TEMP TABLE money_minor_units_down (
    amount TEXT,
    CONSTRAINT amounts_with_more_than_2_decimals_are_stored CHECK (amount IS NULL)
);
INSERT INTO money_minor_units_down (amount)
SELECT amount FROM (
    SELECT amount FROM payments
    UNION ALL SELECT price FROM payment_items
    UNION ALL SELECT discount FROM payment_items
    UNION ALL SELECT amount FROM refunds
    UNION ALL SELECT total FROM order_activities
    UNION ALL SELECT amount FROM charge_reversals
)
WHERE amount IS NOT NULL
  AND instr(amount, '.') > 0
  AND length(rtrim(amount, '0')) - instr(amount, '.') > 2;
DROP TABLE money_minor_units_down;
