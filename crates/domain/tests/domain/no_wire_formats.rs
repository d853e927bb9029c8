//! Architecture rule 9: the domain knows no wire format. No source file of `crates/domain`
//! names Boxo (any case), an HTTP status or an HTTP route; the only "http" allowed is a
//! URL scheme literal (`http://`, `https://`), as the webhook-URL check needs.

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
