//! `delivery.require_https` is enforced where a webhook URL enters: registration refuses a
//! plain `http://` URL (naming the field), so no miniapp is registered whose deliveries
//! could only fail; an `https://` URL and no URL at all are accepted.

use hostpay_domain::miniapp::{MiniappRegistration, WebhookUrl};
use hostpay_domain::services::{AuthError, Services, Settings};
use hostpay_domain::validation::NonEmptyString;
use hostpay_testkit::{in_memory_ports, test_settings};

fn services(require_https: bool) -> Services {
    let (ports, _) = in_memory_ports();
    Services::new(
        ports,
        Settings {
            encrypted_webhooks_only: require_https,
            ..test_settings()
        },
    )
}

fn registration(url: Option<&str>) -> MiniappRegistration {
    MiniappRegistration {
        name: NonEmptyString::parse("Shop").unwrap(),
        webhook_url: url.map(|url| WebhookUrl::parse(url).unwrap()),
    }
}

#[tokio::test]
async fn a_plain_http_webhook_url_is_refused_at_registration_when_https_is_required() {
    let services = services(true);
    let error = services
        .apps
        .register(registration(Some("http://shop.example/hooks")))
        .await
        .unwrap_err();
    let AuthError::Invalid(invalid) = error else {
        panic!("expected a refused field, got {error:?}")
    };
    assert_eq!(invalid.field, "webhook_url");
    assert!(invalid.message.contains("https"), "{}", invalid.message);

    for url in [Some("https://shop.example/hooks"), None] {
        services.apps.register(registration(url)).await.unwrap();
    }
}

#[tokio::test]
async fn a_plain_http_webhook_url_is_accepted_when_https_is_not_required() {
    services(false)
        .apps
        .register(registration(Some("http://shop.example/hooks")))
        .await
        .unwrap();
}
