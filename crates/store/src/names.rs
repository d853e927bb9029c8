//! The names the database keeps for domain enums that are not values of their own (rows are
//! the store's): who opened a payment (`payments.channel`) and who receives an event
//! (`deliveries.target`, `outbox_events.targets`). The names are what existing rows hold;
//! they never change. The app's CLI and metrics show the same names.

use hostpay_domain::event::DeliveryTarget;
use hostpay_domain::payment::Channel;

/// The stored name of a channel.
pub fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Miniapp => "miniapp",
        Channel::Platform => "boxo",
    }
}

/// A stored channel name read back.
pub fn parse_channel(text: &str) -> Option<Channel> {
    match text {
        "miniapp" => Some(Channel::Miniapp),
        "boxo" => Some(Channel::Platform),
        _ => None,
    }
}

/// The stored name of a delivery target.
pub fn target_name(target: DeliveryTarget) -> &'static str {
    match target {
        DeliveryTarget::PlatformCompleteOrder => "boxo_complete_order",
        DeliveryTarget::MiniappWebhook => "miniapp_webhook",
    }
}

/// A stored delivery target name read back.
pub fn parse_target(text: &str) -> Option<DeliveryTarget> {
    match text {
        "boxo_complete_order" => Some(DeliveryTarget::PlatformCompleteOrder),
        "miniapp_webhook" => Some(DeliveryTarget::MiniappWebhook),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for channel in [Channel::Miniapp, Channel::Platform] {
            assert_eq!(parse_channel(channel_name(channel)), Some(channel));
        }
        for target in [
            DeliveryTarget::PlatformCompleteOrder,
            DeliveryTarget::MiniappWebhook,
        ] {
            assert_eq!(parse_target(target_name(target)), Some(target));
        }
        assert_eq!(parse_channel("platform"), None);
    }
}
