DROP TABLE order_activity_events;
DROP TABLE order_activities;
DROP TABLE payment_sessions;
DROP TABLE refunds;
DROP TABLE payment_items;
DROP TABLE payments;
