//! Error texts without secrets: a receiver's URL may carry credentials in its user-info
//! (`https://user:password@host/`) or its query (`?token=...`), and an error text (what a
//! delivery stores as `last_error`, what the log shows) must carry neither (api.md 9).
//!
//! [`redact_urls`] rewrites every `scheme://...` in a text to its scheme, host, port and
//! path; [`describe`] is the one way a transport error becomes text.

use std::error::Error as _;

/// Characters that end a URL inside a sentence (besides whitespace): quotes, brackets,
/// and the separators error texts put around URLs.
const URL_END: &[char] = &[
    '"', '\'', '<', '>', '(', ')', '[', ']', '{', '}', '`', ',', ';',
];

/// `text` with every URL's user-info, query and fragment removed:
/// `failed for http://user:pass@host:8080/hook?token=x#f` becomes
/// `failed for http://host:8080/hook`. Text that is not a URL is kept as it is.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find("://") {
        // The scheme: the letters, digits, `+`, `-` and `.` just before `://`.
        let scheme_start = rest[..found]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
            .map_or(0, |before| before + 1);
        let after = found + "://".len();
        let end = rest[after..]
            .find(|c: char| c.is_whitespace() || URL_END.contains(&c))
            .map_or(rest.len(), |offset| after + offset);
        out.push_str(&rest[..scheme_start]);
        if scheme_start == found {
            // `://` without a scheme: not a URL, but strip what would be secret anyway.
            out.push_str("://");
        } else {
            out.push_str(&rest[scheme_start..after]);
        }
        out.push_str(without_secrets(&rest[after..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// What follows `scheme://`, less user-info, query and fragment.
fn without_secrets(tail: &str) -> &str {
    // The query and fragment go first: a `?` or `#` ends the path (and the authority).
    let tail = tail.find(['?', '#']).map_or(tail, |cut| &tail[..cut]);
    // The user-info is what the authority holds before its last `@`.
    let authority_end = tail.find('/').unwrap_or(tail.len());
    match tail[..authority_end].rfind('@') {
        Some(at) => &tail[at + 1..],
        None => tail,
    }
}

/// A short description of a transport failure (timeout, connection, other) with its
/// causes, and the URL it was for without user-info, query or fragment.
pub fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    if let Some(url) = error.url() {
        text.push_str(" (");
        text.push_str(url.as_str());
        text.push(')');
    }
    redact_urls(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_query_and_fragment_go() {
        let cases = [
            (
                "http://user:pass@127.0.0.1:1/hook?token=secret",
                "http://127.0.0.1:1/hook",
            ),
            ("https://shop.example/hook", "https://shop.example/hook"),
            ("https://shop.example", "https://shop.example"),
            ("https://a@shop.example/", "https://shop.example/"),
            ("https://u:p@ss@shop.example/x", "https://shop.example/x"),
            ("https://shop.example/x?", "https://shop.example/x"),
            ("https://shop.example?key=1", "https://shop.example"),
            ("https://shop.example/#frag", "https://shop.example/"),
            ("https://shop.example/a@b?c", "https://shop.example/a@b"),
            ("HTTP://U:P@H/p?q", "HTTP://H/p"),
            ("svn+ssh://me:pw@host/repo", "svn+ssh://host/repo"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact_urls(input), expected, "{input}");
        }
    }

    #[test]
    fn urls_inside_sentences() {
        assert_eq!(
            redact_urls(
                "error sending request for url (http://user:pass@127.0.0.1:1/hook?token=secret): \
                 tried https://x:y@b.example/?k=v, then \"http://c.example/p?s=1\""
            ),
            "error sending request for url (http://127.0.0.1:1/hook): \
             tried https://b.example/, then \"http://c.example/p\""
        );
        assert_eq!(
            redact_urls("two:http://a:b@h/?q http://h2/?q"),
            "two:http://h/ http://h2/"
        );
    }

    #[test]
    fn other_text_is_kept() {
        for text in [
            "",
            "HTTP 503",
            "timed out",
            "a ? b @ c # d",
            "ratio 3:1",
            "weird :// thing",
            "ends with http://",
            "üñíçødé https://h/ü?x=ü",
        ] {
            let redacted = redact_urls(text);
            assert!(!redacted.contains("x=ü"), "{redacted}");
            if !text.contains("://h/") {
                assert_eq!(redacted, text);
            }
        }
        assert_eq!(
            redact_urls("üñíçødé https://h/ü?x=ü"),
            "üñíçødé https://h/ü"
        );
        assert_eq!(redact_urls("weird ://u:p@h?q"), "weird ://h");
    }

    #[tokio::test]
    async fn transport_errors_carry_no_credentials() {
        let client = crate::client::build(std::time::Duration::from_secs(5))
            .unwrap_or_else(|error| panic!("client: {error}"));
        let Err(error) = client
            .get("http://user:pass@127.0.0.1:1/hook?token=secret")
            .send()
            .await
        else {
            panic!("port 1 answered");
        };
        let text = describe(&error);
        assert!(text.starts_with("connection failed"), "{text}");
        assert!(text.contains("http://127.0.0.1:1/hook"), "{text}");
        assert!(!text.contains("pass"), "{text}");
        assert!(!text.contains("user"), "{text}");
        assert!(!text.contains("token=secret"), "{text}");
        assert!(!text.contains("secret"), "{text}");
    }
}
