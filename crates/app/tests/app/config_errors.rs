//! What a bad configuration value answers: the key, the value given and what is accepted,
//! both from `Config::load_from` and as `hostpay config check` / `hostpay serve` print it.

use hostpay_app::config::Config;

/// The error `Config::load_from` gives for one `HOSTPAY__...` variable.
fn error_of(name: &str, value: &str) -> String {
    Config::load_from(None, [(name.to_owned(), value.to_owned())])
        .map(|_| ())
        .expect_err(&format!("{name}={value} was accepted"))
        .to_string()
}

/// Every enum-valued key names the key, the value given and the accepted values.
#[test]
fn an_enum_value_that_is_not_accepted_names_the_key_and_the_accepted_values() {
    let cases = [
        (
            "HOSTPAY__PROCESSOR__KIND",
            "paypal",
            r#"processor.kind: "paypal" is not one of sandbox, http"#,
        ),
        (
            "HOSTPAY__LOG__FORMAT",
            "xml",
            r#"log.format: "xml" is not one of pretty, json"#,
        ),
        // Names are exact: no case folding.
        (
            "HOSTPAY__LOG__FORMAT",
            "JSON",
            r#"log.format: "JSON" is not one of pretty, json"#,
        ),
    ];
    for (name, value, expected) in cases {
        let error = error_of(name, value);
        assert_eq!(error, format!("invalid configuration: {expected}"));
        assert!(!error.contains("variant"), "{error}");
    }
}

#[test]
fn every_accepted_enum_value_loads() {
    for (name, value) in [
        ("HOSTPAY__PROCESSOR__KIND", "sandbox"),
        ("HOSTPAY__LOG__FORMAT", "pretty"),
        ("HOSTPAY__LOG__FORMAT", "json"),
    ] {
        Config::load_from(None, [(name.to_owned(), value.to_owned())])
            .unwrap_or_else(|error| panic!("{name}={value}: {error}"));
    }
    // `http` is accepted as a kind; it then needs its wallet URL.
    let error = error_of("HOSTPAY__PROCESSOR__KIND", "http");
    assert!(error.contains("processor.wallet_url"), "{error}");
}

#[test]
fn a_bad_listener_address_shows_the_value_and_the_expected_host_port() {
    for (name, key) in [
        ("HOSTPAY__SERVER__BIND", "server.bind"),
        ("HOSTPAY__INTERNAL__BIND", "internal.bind"),
    ] {
        for value in ["nonsense", "127.0.0.1", "localhost:8080", "127.0.0.1:99999"] {
            let error = error_of(name, value);
            let expected =
                format!("invalid configuration: {key}: {value:?} is not a host:port address");
            assert!(error.starts_with(&expected), "{name}={value}: {error}");
            assert!(error.contains("127.0.0.1:8080"), "{name}={value}: {error}");
        }
    }
    for value in ["0.0.0.0:9000", "[::1]:9000"] {
        let config = Config::load_from(
            None,
            [("HOSTPAY__SERVER__BIND".to_owned(), value.to_owned())],
        )
        .unwrap_or_else(|error| panic!("{value}: {error}"));
        assert_eq!(config.server.bind.to_string(), value);
    }
}

#[test]
fn a_bad_value_in_the_file_is_explained_the_same_way() {
    let dir = hostpay_testkit::process::TempDir::new();
    let path = dir.path().join("hostpay.toml");
    for (text, expected) in [
        (
            "[processor]\nkind = \"stripe\"\n",
            "processor.kind: \"stripe\" is not one of sandbox, http",
        ),
        (
            "[internal]\nbind = \"8081\"\n",
            "internal.bind: \"8081\" is not a host:port address \
             (an IP address and a port, e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080)",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        let error = Config::load_from(Some(&path), Vec::new())
            .unwrap_err()
            .to_string();
        assert_eq!(
            error,
            format!("invalid configuration: {expected}"),
            "{text}"
        );
    }
}

/// The binary prints the same message and exits non-zero, for `config check` and `serve`.
#[test]
fn the_binary_prints_the_explained_error() {
    let cases = [
        (
            "HOSTPAY__PROCESSOR__KIND",
            "paypal",
            r#"processor.kind: "paypal" is not one of sandbox, http"#,
        ),
        (
            "HOSTPAY__LOG__FORMAT",
            "yaml",
            r#"log.format: "yaml" is not one of pretty, json"#,
        ),
        (
            "HOSTPAY__SERVER__BIND",
            "nonsense",
            r#"server.bind: "nonsense" is not a host:port address"#,
        ),
        (
            "HOSTPAY__INTERNAL__BIND",
            ":8081",
            r#"internal.bind: ":8081" is not a host:port address"#,
        ),
    ];
    for (name, value, expected) in cases {
        for args in [&["config", "check"][..], &["serve"][..]] {
            let output = hostpay_testkit::process::run(&[(name, value)], args);
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !output.status.success(),
                "{name}={value} {args:?} succeeded"
            );
            assert!(
                stderr.contains(expected),
                "{name}={value} {args:?}: {stderr}"
            );
        }
    }
}
