//! hostpay-domain's integration tests, one binary: property tests of money, order
//! activities and the payment state machine, and the rule that the domain knows no wire
//! format.

mod money_properties;
mod no_wire_formats;
mod order_activity_properties;
mod payment_properties;
