//! hostpay-domain's integration tests, one binary: property tests of money, order
//! activities and the payment state machine.

mod money_properties;
mod order_activity_properties;
mod payment_properties;
