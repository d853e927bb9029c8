//! The payload template (what is signed) and the signature template (the signature
//! header's value around `{signature}`).

use std::fmt;

/// A placeholder of the payload template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Placeholder {
    /// `{timestamp}`: unix seconds or milliseconds (`boxo.signing.timespec`).
    Timestamp,
    /// `{nonce}`: a random string.
    Nonce,
    /// `{identity}`: `boxo.signing.identity`.
    Identity,
    /// `{client_id}`: the API client id.
    ClientId,
    /// `{merchant_id}`: `boxo.signing.merchant_id`.
    MerchantId,
    /// `{request_method}`: the HTTP method, upper case.
    RequestMethod,
    /// `{url}`: the request path with its query.
    Url,
    /// `{payload}`: the raw body bytes.
    Payload,
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: [Placeholder; 8] = [
        Placeholder::Timestamp,
        Placeholder::Nonce,
        Placeholder::Identity,
        Placeholder::ClientId,
        Placeholder::MerchantId,
        Placeholder::RequestMethod,
        Placeholder::Url,
        Placeholder::Payload,
    ];

    /// The name between the braces (`timestamp` for `{timestamp}`).
    pub fn name(self) -> &'static str {
        match self {
            Placeholder::Timestamp => "timestamp",
            Placeholder::Nonce => "nonce",
            Placeholder::Identity => "identity",
            Placeholder::ClientId => "client_id",
            Placeholder::MerchantId => "merchant_id",
            Placeholder::RequestMethod => "request_method",
            Placeholder::Url => "url",
            Placeholder::Payload => "payload",
        }
    }

    fn from_name(name: &str) -> Option<Placeholder> {
        Placeholder::ALL
            .into_iter()
            .find(|placeholder| placeholder.name() == name)
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{}}}", self.name())
    }
}

/// A parsed payload template (`boxo.signing.payload_template`).
///
/// `{name}` with a known name is a placeholder; `{name}` with another word of lower-case
/// letters, digits and `_` is refused (a typo would make every signature wrong); any other
/// brace is signed as written. Values are filled in one pass: text inside a value is never
/// substituted again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Value(Placeholder),
}

/// The values a payload template is filled with.
#[derive(Debug, Clone, Copy, Default)]
pub struct PayloadValues<'a> {
    /// `{timestamp}`, as sent in the timestamp header.
    pub timestamp: &'a str,
    /// `{nonce}`, as sent in the nonce header.
    pub nonce: &'a str,
    /// `{identity}`.
    pub identity: &'a str,
    /// `{client_id}`.
    pub client_id: &'a str,
    /// `{merchant_id}`.
    pub merchant_id: &'a str,
    /// `{request_method}`: upper-cased when filled in.
    pub method: &'a str,
    /// `{url}`: the request path with its query.
    pub url: &'a str,
    /// `{payload}`: the raw body bytes.
    pub body: &'a [u8],
}

impl PayloadTemplate {
    /// Parses a template; the error is the message for `boxo.signing.payload_template`.
    pub fn parse(text: &str) -> Result<PayloadTemplate, String> {
        if text.is_empty() {
            return Err("must not be empty".to_owned());
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            literal.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let Some(end) = after.find('}') else {
                literal.push('{');
                rest = after;
                continue;
            };
            let name = &after[..end];
            if let Some(placeholder) = Placeholder::from_name(name) {
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Value(placeholder));
                rest = &after[end + 1..];
            } else if !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                let known: Vec<String> = Placeholder::ALL.iter().map(|p| p.to_string()).collect();
                return Err(format!(
                    "{{{name}}} is not a placeholder; the placeholders are {}",
                    known.join(", ")
                ));
            } else {
                literal.push('{');
                rest = after;
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(PayloadTemplate {
            source: text.to_owned(),
            parts,
        })
    }

    /// The template as configured.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `placeholder` occurs in the template.
    pub fn uses(&self, placeholder: Placeholder) -> bool {
        self.parts.contains(&Part::Value(placeholder))
    }

    /// The bytes to sign: the template with `values` filled in.
    pub fn fill(&self, values: &PayloadValues<'_>) -> Vec<u8> {
        let method = values.method.to_ascii_uppercase();
        let mut out = Vec::with_capacity(self.source.len() + values.body.len() + 64);
        for part in &self.parts {
            let bytes: &[u8] = match part {
                Part::Literal(text) => text.as_bytes(),
                Part::Value(Placeholder::Timestamp) => values.timestamp.as_bytes(),
                Part::Value(Placeholder::Nonce) => values.nonce.as_bytes(),
                Part::Value(Placeholder::Identity) => values.identity.as_bytes(),
                Part::Value(Placeholder::ClientId) => values.client_id.as_bytes(),
                Part::Value(Placeholder::MerchantId) => values.merchant_id.as_bytes(),
                Part::Value(Placeholder::RequestMethod) => method.as_bytes(),
                Part::Value(Placeholder::Url) => values.url.as_bytes(),
                Part::Value(Placeholder::Payload) => values.body,
            };
            out.extend_from_slice(bytes);
        }
        out
    }
}

/// A parsed signature template (`boxo.signing.signature_template`): text around exactly
/// one `{signature}`, e.g. `SHA256 {signature}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureTemplate {
    prefix: String,
    suffix: String,
}

impl SignatureTemplate {
    /// The placeholder the encoded signature replaces.
    pub const PLACEHOLDER: &'static str = "{signature}";

    /// Parses a template; the error is the message for `boxo.signing.signature_template`.
    pub fn parse(text: &str) -> Result<SignatureTemplate, String> {
        match text.matches(SignatureTemplate::PLACEHOLDER).count() {
            0 => Err("must contain {signature}".to_owned()),
            1 => {
                let (prefix, suffix) = text
                    .split_once(SignatureTemplate::PLACEHOLDER)
                    .unwrap_or((text, ""));
                Ok(SignatureTemplate {
                    prefix: prefix.to_owned(),
                    suffix: suffix.to_owned(),
                })
            }
            _ => Err("must contain {signature} exactly once".to_owned()),
        }
    }

    /// The header value for an encoded signature.
    pub fn render(&self, encoded: &str) -> String {
        format!("{}{encoded}{}", self.prefix, self.suffix)
    }

    /// The encoded signature inside a header value; `None` when the value does not have
    /// the template's shape. Whitespace around the value and around the signature is
    /// ignored.
    pub fn extract<'v>(&self, value: &'v str) -> Option<&'v str> {
        let value = value.trim();
        let inner = value
            .strip_prefix(self.prefix.trim_start())?
            .strip_suffix(self.suffix.trim_end())?
            .trim();
        (!inner.is_empty()).then_some(inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_braces_stay_and_unknown_words_are_refused() {
        let template = PayloadTemplate::parse("{ a }.{.{url}.{").unwrap();
        let filled = template.fill(&PayloadValues {
            url: "/u",
            ..PayloadValues::default()
        });
        assert_eq!(filled, b"{ a }.{./u.{");
        let error = PayloadTemplate::parse("{timestam}.{payload}").unwrap_err();
        assert!(
            error.starts_with("{timestam} is not a placeholder"),
            "{error}"
        );
    }

    #[test]
    fn values_are_not_substituted_again() {
        let template = PayloadTemplate::parse("{url}|{payload}").unwrap();
        let filled = template.fill(&PayloadValues {
            url: "/{nonce}",
            body: b"{timestamp}",
            nonce: "n",
            timestamp: "t",
            ..PayloadValues::default()
        });
        assert_eq!(filled, b"/{nonce}|{timestamp}");
    }

    #[test]
    fn signature_template_round_trip() {
        let template = SignatureTemplate::parse("SHA512 {signature}").unwrap();
        assert_eq!(template.render("abc"), "SHA512 abc");
        assert_eq!(template.extract(" SHA512 abc "), Some("abc"));
        assert_eq!(template.extract("SHA256 abc"), None);
        assert_eq!(template.extract("SHA512 "), None);
        assert!(SignatureTemplate::parse("SHA256").is_err());
        assert!(SignatureTemplate::parse("{signature}{signature}").is_err());
    }
}
