//! Architecture rule 9: the domain knows no wire format. No source file of `crates/domain`
//! names Boxo (any case), an HTTP status or an HTTP route; the only "http" allowed is a
//! URL scheme literal (`http://`, `https://`), as the webhook-URL check needs. And only
//! value types carry serde: no composite shape of the domain derives or implements
//! `Serialize`/`Deserialize` (its JSON belongs to the edge that reads or writes it: the
//! http crate's DTOs and views, the store's rows, the boxo crate's wire).

use std::path::{Path, PathBuf};

/// Files not checked yet, each with why (none: `signing.rs` lost Boxo's request HMAC to
/// `hostpay-boxo`).
const NOT_YET: &[(&str, &str)] = &[];

/// Fragments that name an HTTP route or status in code.
const ROUTES_AND_STATUSES: &[&str] = &[
    "/api/",
    "/boxo/",
    "/v1/",
    "post /",
    "get /",
    "put /",
    "delete /",
    "statuscode",
];

fn sources(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// What is wrong with one line (lower-cased), if anything.
fn offence(line: &str) -> Option<String> {
    if line.contains("boxo") {
        return Some("names Boxo".to_owned());
    }
    let without_schemes = line.replace("https://", "").replace("http://", "");
    if without_schemes.contains("http") {
        return Some("mentions HTTP (only the http:// and https:// schemes may appear)".to_owned());
    }
    ROUTES_AND_STATUSES
        .iter()
        .find(|fragment| line.contains(*fragment))
        .map(|fragment| format!("names an HTTP route or status ({fragment:?})"))
}

#[test]
fn the_domain_names_neither_boxo_nor_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(files.len() > 10, "found only {files:?}");
    let mut offences = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let name = relative.to_string_lossy().replace('\\', "/");
        if NOT_YET.iter().any(|(exempt, _)| *exempt == name) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if let Some(why) = offence(&line.to_lowercase()) {
                offences.push(format!("{name}:{}: {why}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "wire formats belong to the edges (architecture rule 9):\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_rule_catches_what_it_should() {
    assert!(offence("channel::boxo => \"boxo\"").is_some());
    assert!(offence("/// the http status").is_some());
    assert!(offence("fingerprint(\"post /api/v1/payments\", body)").is_some());
    assert!(offence("status: statuscode::created").is_some());
    assert!(offence(".strip_prefix(\"https://\")").is_none());
    assert!(offence("must be an http:// or https:// url").is_none());
    assert!(offence("/// the miniapp platform").is_none());
}

/// The only domain types that may derive or implement `Serialize`/`Deserialize`: values
/// whose wire form is the value itself (file, type as written at the derive or impl,
/// why). `$name` is a macro's type: the reason names what the macro makes.
const SERDE_ALLOWED: &[(&str, &str, &str)] = &[
    ("money.rs", "Money", "a decimal amount: its exact text"),
    (
        "money.rs",
        "WholeNumber",
        "a JSON integer however written (quantities)",
    ),
    (
        "money.rs",
        "PositiveMoney",
        "an amount above zero: its text",
    ),
    ("money.rs", "Currency", "an ISO 4217 code"),
    (
        "validation.rs",
        "$name",
        "BoundedString/NonEmptyString and Latitude/Longitude: a checked string or decimal",
    ),
    (
        "ids.rs",
        "$name",
        "the prefixed ids (pay_, ref_, oa_, evt_, dlv_, app_): their text",
    ),
    (
        "connect.rs",
        "$name",
        "Email and PhoneNumber: a checked string",
    ),
    ("idempotency.rs", "IdempotencyKey", "the key's text"),
    ("status.rs", "PaymentStatus", "a status: its name"),
    ("status.rs", "RefundStatus", "a status: its name"),
    (
        "event.rs",
        "EventKind",
        "an event type: its name (payment.paid)",
    ),
    (
        "order.rs",
        "Quantity",
        "an item quantity: an integer of at least 1",
    ),
    (
        "order_activity.rs",
        "OrderActivityStatus",
        "a status: its name",
    ),
    (
        "order_activity.rs",
        "DeliveryMethod",
        "delivery, pickup or digital: its name",
    ),
    (
        "delivery.rs",
        "DeliveryState",
        "a delivery's state: its name",
    ),
    ("payment.rs", "ReversalStatus", "a status: its name"),
    ("miniapp.rs", "SecretHash", "a keyed hash: its hex text"),
    ("miniapp.rs", "WebhookUrl", "a checked URL: its text"),
];

/// The types of `text` that derive or implement `Serialize`/`Deserialize`, with their line.
fn serde_types(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let code = line.trim();
        if code.starts_with("//") {
            continue;
        }
        let derives = code.starts_with("#[derive(")
            && (code.contains("Serialize") || code.contains("Deserialize"));
        if derives {
            // The item the derive sits on: the next `struct` or `enum` line.
            let item = lines[index + 1..]
                .iter()
                .map(|next| next.trim())
                .find(|next| !next.starts_with("#[") && !next.starts_with("//"))
                .unwrap_or_default();
            let name = item
                .split_whitespace()
                .skip_while(|word| *word != "struct" && *word != "enum")
                .nth(1)
                .unwrap_or(item);
            found.push((index + 1, type_name(name)));
        } else if code.starts_with("impl")
            && (code.contains("Serialize for ") || code.contains("Deserialize<'de> for "))
        {
            let name = code.rsplit(" for ").next().unwrap_or(code);
            found.push((index + 1, type_name(name)));
        }
    }
    found
}

/// `Page<T> {` -> `Page`, `$name<MAX> {` -> `$name`.
fn type_name(text: &str) -> String {
    text.split(['<', '(', ' ', '{', ';'])
        .next()
        .unwrap_or(text)
        .to_owned()
}

#[test]
fn only_value_types_carry_serde() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut offences = Vec::new();
    let mut seen = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap_or(file);
        let name = relative.to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(file).unwrap();
        for (line, type_name) in serde_types(&text) {
            let allowed = SERDE_ALLOWED.iter().any(|(allowed_file, allowed_type, _)| {
                *allowed_file == name && *allowed_type == type_name
            });
            if allowed {
                seen.push((name.clone(), type_name));
            } else {
                offences.push(format!("{name}:{line}: {type_name}"));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "composite shapes get their serde at the edge (architecture rule 9); these domain \
         types derive or implement Serialize/Deserialize and are not allowed value types:\n{}",
        offences.join("\n")
    );
    for (file, type_name, _) in SERDE_ALLOWED {
        assert!(
            seen.iter().any(|(f, t)| f == file && t == type_name),
            "{file} {type_name} is allowed serde but no longer has it: drop it from the list"
        );
    }
}

#[test]
fn the_serde_rule_sees_derives_and_impls() {
    let text = "/// A page.\n#[derive(Debug, Clone, PartialEq, Serialize)]\n#[serde(rename_all = \"snake_case\")]\npub struct Page<T> {\n}\nimpl<'de> Deserialize<'de> for Money {\n}\n        impl<const MAX: usize> Serialize for $name<MAX> {\n#[derive(Debug, Clone)]\npub struct Plain;\n";
    let found: Vec<String> = serde_types(text)
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(found, ["Page", "Money", "$name"]);
}
