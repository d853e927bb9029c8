//! The request schemas, written as JSON Schema (OpenAPI 3.1) so they say exactly what the
//! parsers accept: lengths in characters, the C0 control characters refused everywhere
//! (tab, CR and LF allowed only in `description`, `note` and `reason`), identifiers that
//! are more than white space, prefixed ids, ISO 4217 codes, and money: a JSON number or a
//! decimal string with at most the currency's decimals (ISO 4217 minor unit), written out
//! per currency group with `oneOf`, so the rule that depends on `currency` is in the
//! schema too.
//!
//! What no schema can say is written in the descriptions and answered 400 (documented):
//! a decimal string in exponent notation (`"1.25e1"`) is accepted as well, and where an
//! amount's currency is stored rather than sent (a refund, an order activity updated
//! without `currency`), its decimals are checked against the stored one.

use std::collections::BTreeMap;

use hostpay_domain::money::Currency;
use serde_json::{json, Value};

/// No C0 control character.
pub const NO_CONTROLS: &str = r"^[^\x00-\x1F]*$";
/// Free text: no C0 control character but tab, LF and CR.
pub const FREE_TEXT: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F]*$";
/// What Rust's `char::is_whitespace` calls white space, less the C0 controls (refused
/// anyway): what `trim` removes.
const WHITE_SPACE: &str = r" \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// A reference to a component schema.
pub fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// A string of at most `max` characters without C0 controls (possibly empty).
pub fn text(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max, "pattern": NO_CONTROLS })
}

/// A string without C0 controls, bounded only by the 64 KiB body.
pub fn unbounded_text() -> Value {
    json!({ "type": "string", "pattern": NO_CONTROLS })
}

/// Free text of at most `max` characters (tab, LF and CR allowed).
pub fn free_text(max: usize) -> Value {
    json!({ "type": "string", "maxLength": max, "pattern": FREE_TEXT })
}

/// A string of 1 to `max` characters that is not only white space (identifiers:
/// `user_id`, `order_id`, names).
pub fn identifier(max: usize) -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": max,
        "pattern": not_blank(),
    })
}

/// The pattern of [`identifier`].
pub fn not_blank() -> String {
    format!(r"^[^\x00-\x1F]*[^\x00-\x1F{WHITE_SPACE}][^\x00-\x1F]*$")
}

/// An id with its type prefix (`pay_`, `app_`...): at most 64 characters, then letters,
/// digits, `_` and `-`.
pub fn prefixed_id(prefix: &str) -> Value {
    let rest = 64 - prefix.len();
    json!({
        "type": "string",
        "pattern": format!("^{prefix}[A-Za-z0-9_-]{{1,{rest}}}$"),
        "example": format!("{prefix}01JD3Z6XQ8"),
    })
}

/// `schema`, or `null` (an optional field: `null` reads as absent).
pub fn nullable(mut schema: Value) -> Value {
    match schema.get_mut("type") {
        Some(Value::String(kind)) => {
            let kind = kind.clone();
            schema["type"] = json!([kind, "null"]);
            schema
        }
        Some(Value::Array(kinds)) => {
            if !kinds.iter().any(|kind| kind == "null") {
                kinds.push(json!("null"));
            }
            schema
        }
        _ => json!({ "oneOf": [{ "type": "null" }, schema] }),
    }
}

/// Any JSON value whose strings and keys hold no C0 control character (what unknown
/// fields and `custom_attributes` may carry).
pub fn json_value() -> Value {
    json!({
        "description": "Any JSON value; no string or key in it may hold a C0 control character.",
        "anyOf": [
            { "type": ["null", "boolean", "number"] },
            { "type": "string", "pattern": NO_CONTROLS },
            { "type": "array", "items": reference("JsonValue") },
            {
                "type": "object",
                "propertyNames": { "pattern": NO_CONTROLS },
                "additionalProperties": reference("JsonValue"),
            },
        ],
    })
}

/// An object with these properties (`required` among them); unknown fields are ignored,
/// so any others are allowed.
pub fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "required": required,
        "properties": properties,
        "propertyNames": { "pattern": NO_CONTROLS },
        "additionalProperties": reference("JsonValue"),
    })
}

/// The longest user-token lifetime the app service accepts (30 days; checked by the
/// OpenAPI test against the service).
pub const MAX_TOKEN_TTL_SECONDS: i64 = 30 * 24 * 3600;

/// How many decimals and integer digits amounts may have in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Digits {
    /// The most digits after the decimal point.
    pub decimals: u32,
    /// The most digits before it.
    pub integer: u32,
}

impl Digits {
    /// Where no currency applies: 2 decimals, 18 digits before the point.
    pub const GENERIC: Digits = Digits {
        decimals: 2,
        integer: 18,
    };

    /// In `currency` on the miniapp API: its decimals, 20 digits in all, 18 before the
    /// point at most.
    pub fn of(currency: Currency) -> Digits {
        let decimals = currency.decimals();
        Digits {
            decimals,
            integer: 18u32.min(20 - decimals),
        }
    }

    /// In `currency` on the Boxo surface: its decimals and never more than 2.
    pub fn boxo(currency: Currency) -> Digits {
        let own = Digits::of(currency);
        Digits {
            decimals: own.decimals.min(2),
            integer: own.integer,
        }
    }
}

/// The decimal text an amount may be written as, exactly: optional white space around,
/// `+` (or `-` for zero), leading and trailing zeros, `5.` and `.5`; at most `digits`.
pub fn money_pattern(digits: Digits, positive: bool) -> String {
    let space = format!("[{WHITE_SPACE}]*");
    let Digits { decimals, integer } = digits;
    let fraction = if decimals == 0 {
        r"(?:\.0*)?".to_owned()
    } else {
        format!(r"(?:\.[0-9]{{0,{decimals}}}0*)?")
    };
    let mut nonzero = format!("0*[1-9][0-9]{{0,{}}}{fraction}", integer - 1);
    if decimals > 0 {
        let lead = if decimals > 1 {
            format!("[0-9]{{0,{}}}", decimals - 1)
        } else {
            String::new()
        };
        nonzero = format!(r"{nonzero}|0*\.{lead}[1-9]0*");
    }
    let mut body = format!(r"\+?(?:{nonzero})");
    if !positive {
        body = format!(r"{body}|[+-]?(?:0+\.?0*|\.0+)");
    }
    format!("^{space}(?:{body}){space}$")
}

/// A money value: a JSON number or a decimal string, with at most `digits`, greater than
/// zero when `positive`.
pub fn money(digits: Digits, positive: bool) -> Value {
    let step = if digits.decimals == 0 {
        json!(1)
    } else {
        let text = format!("0.{}1", "0".repeat(digits.decimals as usize - 1));
        serde_json::from_str::<Value>(&text).unwrap_or(json!(0.01))
    };
    let ceiling =
        serde_json::from_str::<Value>(&format!("1{}", "0".repeat(digits.integer as usize)))
            .unwrap_or(json!(1_000_000_000_000_000_000u64));
    let mut schema = json!({
        "type": ["string", "number"],
        "pattern": money_pattern(digits, positive),
        "exclusiveMaximum": ceiling,
        "multipleOf": step,
    });
    if positive {
        schema["exclusiveMinimum"] = json!(0);
    } else {
        schema["minimum"] = json!(0);
    }
    schema
}

/// Every ISO 4217 code hostpay accepts, by the amount digits it allows under `rule`.
pub fn currency_groups(rule: fn(Currency) -> Digits) -> BTreeMap<Digits, Vec<String>> {
    let mut groups: BTreeMap<Digits, Vec<String>> = BTreeMap::new();
    for code in all_currency_codes() {
        if let Ok(currency) = Currency::parse(&code) {
            groups.entry(rule(currency)).or_default().push(code);
        }
    }
    groups
}

/// Every ISO 4217 code hostpay accepts (`Currency::parse` over `AAA..=ZZZ`).
pub fn all_currency_codes() -> Vec<String> {
    let letters = b'A'..=b'Z';
    let mut codes = Vec::new();
    for first in letters.clone() {
        for second in letters.clone() {
            for third in letters.clone() {
                let code = String::from_utf8_lossy(&[first, second, third]).into_owned();
                if Currency::parse(&code).is_ok() {
                    codes.push(code);
                }
            }
        }
    }
    codes
}

/// `currency`: one of the ISO 4217 codes.
pub fn currency() -> Value {
    json!({
        "type": "string",
        "description": "ISO 4217 alpha-3 code in upper case (`USD`, `SAR`); any other (`ABC`, `usd`) is 400 naming `currency`.",
        "pattern": "^[A-Z]{3}$",
        "enum": all_currency_codes(),
        "example": "USD",
    })
}

const AMOUNT_RULE: &str =
    "A JSON number or a decimal string (exponent notation such as `\"1.25e1\"` is \
    accepted too), never rounded: at most as many digits after the point as the currency has \
    (ISO 4217 minor unit: `JPY` none, `USD` 2, `KWD` 3, `CLF` 4) and 20 digits in all (at most 18 \
    before the point). More decimals than the currency has is 400 naming the field (`\"10.50\"` \
    in `JPY`). Written back as a string with exactly the currency's decimals.";

/// One `oneOf` branch per currency group: the group's codes and what its amounts may be.
fn per_currency(
    rule: fn(Currency) -> Digits,
    branch: impl Fn(Digits, Vec<String>) -> Value,
) -> Vec<Value> {
    currency_groups(rule)
        .into_iter()
        .map(|(digits, codes)| branch(digits, codes))
        .collect()
}

/// Items whose amounts have at most `digits` (narrows [`order_item`] in a branch).
fn item_amounts(digits: Digits, nullable_array: bool) -> Value {
    let kind = if nullable_array {
        json!(["array", "null"])
    } else {
        json!("array")
    };
    json!({
        "type": kind,
        "items": {
            "type": "object",
            "properties": {
                "price": nullable(money(digits, false)),
                "discount": nullable(money(digits, false)),
            },
        },
    })
}

/// Boxo's OrderItem (the miniapp API's `items[]` too): its amounts have at most the
/// decimals of the order's currency (narrowed where the currency is known).
pub fn order_item() -> Value {
    let mut schema = object(
        &["product_name"],
        json!({
            "product_name": identifier(250),
            "product_variant_name": nullable(text(250)),
            "product_sku": nullable(text(250)),
            "product_image_url": nullable(text(500)),
            "quantity": { "type": "integer", "minimum": 1, "maximum": u32::MAX, "default": 1 },
            "price": described(nullable(money(Digits { decimals: 4, integer: 18 }, false)), "Unit price: a decimal (see `amount`) with at most the decimals of the order's currency (2 without one, and on the Boxo surface)."),
            "discount": described(nullable(money(Digits { decimals: 4, integer: 18 }, false)), "Discount on this product: a decimal like `price`."),
        }),
    );
    schema["description"] = json!("A line of the order (Boxo's OrderItem).");
    schema
}

/// Boxo's OrderShippingAddress: every field optional.
pub fn shipping_address() -> Value {
    let coordinate = |limit: u32| {
        json!({
            "type": ["string", "number", "null"],
            "pattern": coordinate_pattern(limit),
            "minimum": -f64::from(limit),
            "maximum": limit,
            "multipleOf": 0.000000000000001,
            "not": {
                "type": "number",
                "exclusiveMinimum": -0.0001,
                "exclusiveMaximum": 0.0001,
                "not": { "const": 0 },
            },
            "description": format!("-{limit}..={limit}, at most 15 decimals: a JSON number or a decimal string, written without an exponent (`1e-5` is 400: write `0.00001`, or a string)."),
        })
    };
    let mut schema = object(
        &[],
        json!({
            "address1": nullable(text(1000)),
            "address2": nullable(text(1000)),
            "first_name": nullable(text(250)),
            "last_name": nullable(text(250)),
            "phone": nullable(text(250)),
            "region_name": nullable(text(100)),
            "region_code": nullable(text(100)),
            "province_name": nullable(text(100)),
            "province_code": nullable(text(100)),
            "city": nullable(text(250)),
            "country": nullable(text(100)),
            "postal_code": nullable(text(100)),
            "latitude": coordinate(90),
            "longitude": coordinate(180),
        }),
    );
    schema["description"] =
        json!("Where the order goes (Boxo's OrderShippingAddress); every field optional.");
    schema
}

/// A latitude (`limit` 90) or longitude (180) as a decimal string: optional sign, at most
/// 15 significant decimals, no exponent, within the range.
pub fn coordinate_pattern(limit: u32) -> String {
    let below = match limit {
        90 => "[0-9]|[1-8][0-9]",
        _ => "[0-9]|[1-9][0-9]|1[0-7][0-9]",
    };
    let space = format!("[{WHITE_SPACE}]*");
    // At most 25 digits after the point (with the 3 before it, what a 96-bit decimal
    // keeps exactly), of which at most 15 before the trailing zeros.
    let significant: Vec<String> = (1..=15)
        .map(|digits| format!("[0-9]{{{}}}[1-9]0{{0,{}}}", digits - 1, 25 - digits))
        .collect();
    let digits = format!("(?:{}|0{{1,25}})", significant.join("|"));
    format!(
        r"^{space}[+-]?(?:0{{0,10}}(?:{below})(?:\.{digits}?)?|\.{digits}|0{{0,10}}{limit}(?:\.0{{0,25}})?){space}$"
    )
}

fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

/// `POST /api/v1/payments`.
pub fn create_payment() -> Value {
    let mut schema = object(
        &["user_id", "amount", "currency"],
        json!({
            "user_id": described(identifier(255), "The paying user, String(255)."),
            "amount": described(money(Digits { decimals: 4, integer: 18 }, true), &format!("Greater than 0. {AMOUNT_RULE}")),
            "currency": currency(),
            "miniapp_order_id": described(nullable(identifier(255)), "The miniapp's order id, String(255), unique per miniapp (taken: 400 naming it)."),
            "description": described(nullable(free_text(1000)), "Free text for the payment sheet, String(1000)."),
            "items": { "type": ["array", "null"], "items": reference("OrderItemInput") },
            "shipping_address": nullable(reference("ShippingAddressInput")),
            "custom_attributes": described(reference("JsonValue"), "Any JSON, returned as given."),
        }),
    );
    schema["oneOf"] = json!(per_currency(Digits::of, |digits, codes| json!({
        "properties": {
            "currency": { "enum": codes },
            "amount": money(digits, true),
            "items": item_amounts(digits, true),
        },
    })));
    schema["description"] = json!("A payment to create. `amount` and the items' `price` and `discount` have at most the decimals of `currency` (one `oneOf` branch per group of currencies with the same minor unit).");
    schema
}

/// `POST /api/v1/payments/{payment_id}/refunds`.
pub fn create_refund() -> Value {
    object(
        &[],
        json!({
            "amount": described(nullable(money(Digits { decimals: 4, integer: 18 }, true)), &format!("How much (default: all that remains refundable); greater than 0. {AMOUNT_RULE} The currency is the payment's: more decimals than it has is 400 naming `amount`.")),
            "reason": described(nullable(free_text(500)), "Why, String(500)."),
        }),
    )
}

/// `POST /api/v1/order-activities`.
pub fn upsert_order_activity() -> Value {
    let mut schema = object(
        &["order_id", "user_id", "status"],
        json!({
            "order_id": described(identifier(255), "This miniapp's order id, String(255): the key of the upsert."),
            "user_id": described(identifier(255), "The user, String(255); an existing order keeps its user (another is 400 naming `user_id`)."),
            "status": {
                "type": "string",
                "enum": ["created", "confirmed", "preparing", "ready", "in_delivery", "delivered", "cancelled"],
                "description": "Forward moves may skip steps; `cancelled` from any non-terminal status; a backward move or a move out of `delivered` or `cancelled` is 409 INVALID_STATE.",
            },
            "title": described(nullable(text(250)), "String(250)."),
            "items": { "type": ["array", "null"], "items": reference("OrderItemInput"), "description": "The lines (replace the stored ones)." },
            "total": described(nullable(money(Digits { decimals: 4, integer: 18 }, false)), &format!("The order's total. {AMOUNT_RULE} Without `currency` in the request the stored currency counts (2 decimals for an order without one).")),
            "currency": nullable(currency()),
            "payment_id": described(nullable(prefixed_id("pay_")), "A payment of this miniapp (another id is 400 naming `payment_id`)."),
            "delivery": nullable(reference("DeliveryInput")),
            "note": described(nullable(free_text(2000)), "String(2000)."),
        }),
    );
    let mut branches = per_currency(Digits::of, |digits, codes| {
        json!({
            "required": ["currency"],
            "properties": {
                "currency": { "enum": codes },
                "total": nullable(money(digits, false)),
                "items": item_amounts(digits, true),
            },
        })
    });
    branches.push(json!({
        "properties": {
            "currency": { "type": "null" },
            "total": nullable(money(Digits::GENERIC, false)),
            "items": item_amounts(Digits::GENERIC, true),
        },
    }));
    schema["oneOf"] = json!(branches);
    schema["description"] = json!("An order activity to create or update (keyed by `order_id`); absent optional fields keep their stored value. Amounts have at most the decimals of `currency` (one `oneOf` branch per group of currencies; without a currency, 2).");
    schema
}

/// The delivery of an order activity.
pub fn delivery() -> Value {
    object(
        &["method"],
        json!({
            "method": { "type": "string", "enum": ["delivery", "pickup", "digital"] },
            "address": nullable(reference("ShippingAddressInput")),
            "eta": {
                "type": ["string", "null"],
                "format": "date-time",
                "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$",
                "description": "Expected arrival, RFC 3339.",
            },
            "tracking_url": described(nullable(text(500)), "String(500)."),
            "courier": nullable(object(&[], json!({
                "name": nullable(text(250)),
                "phone": nullable(text(250)),
            }))),
        }),
    )
}

/// `POST /checkout/{payment_id}/confirm` (optional body).
pub fn confirm() -> Value {
    object(
        &[],
        json!({
            "simulate": {
                "type": ["string", "null"],
                "enum": ["decline", null],
                "description": "`decline` asks the sandbox processor to decline (sandbox only; with another processor 400).",
            },
        }),
    )
}

/// `POST /internal/v1/apps`.
pub fn register_app() -> Value {
    let url = format!(
        r"^https?://[^\x00-\x20/?#\[\]{WHITE_SPACE}][^\x00-\x20/?#\[\]{WHITE_SPACE}]*([/?#][^\x00-\x20{WHITE_SPACE}]*)?$"
    );
    object(
        &["name"],
        json!({
            "name": described(identifier(250), "Shown on the payment sheet, String(250)."),
            "webhook_url": {
                "type": ["string", "null"],
                "maxLength": 2000,
                "pattern": url,
                "description": "Where webhooks go: an absolute http:// or https:// URL with a host (a name or an IPv4 address; no brackets), no white space, at most 2000 characters (`delivery.require_https` refuses http://: 400).",
            },
        }),
    )
}

/// `POST /internal/v1/user-tokens`.
pub fn mint_user_token() -> Value {
    object(
        &["user_id", "app_id"],
        json!({
            "user_id": described(identifier(255), "The user, String(255)."),
            "app_id": described(prefixed_id("app_"), "The miniapp the token is for (unknown: 404)."),
            "ttl_seconds": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": MAX_TOKEN_TTL_SECONDS,
                "description": "Lifetime in seconds (default 3600, at most 30 days).",
            },
        }),
    )
}

/// `POST /internal/v1/payments/{payment_id}/grants`.
pub fn grant() -> Value {
    object(
        &["user_id"],
        json!({
            "user_id": described(identifier(255), "The host app's logged-in user; must be the payment's user (another user's payment is 404)."),
        }),
    )
}

/// `POST /internal/v1/payments/{payment_id}/settle`.
pub fn settle() -> Value {
    object(
        &["status"],
        json!({
            "status": { "type": "string", "enum": ["paid", "failed", "cancelled"] },
            "fail_reason": described(nullable(unbounded_text()), "Why it failed (for `failed`)."),
        }),
    )
}

/// Boxo's OrderDetails (`order` of create order payment).
pub fn boxo_order() -> Value {
    let optional_money = || {
        nullable(money(
            Digits {
                decimals: 2,
                integer: 18,
            },
            false,
        ))
    };
    let mut schema = object(
        &["currency", "amount"],
        json!({
            "currency": currency(),
            "amount": described(money(Digits { decimals: 2, integer: 18 }, true), "The order total, greater than 0: a JSON number or a decimal string with at most 2 decimals and at most the currency's (`JPY`: none)."),
            "subtotal_amount": optional_money(),
            "shipping_amount": optional_money(),
            "discount_amount": optional_money(),
            "tax_title": nullable(text(250)),
            "tax_amount": optional_money(),
            "taxes_included": { "type": ["boolean", "null"] },
            "note": nullable(free_text(65536)),
            "custom_attributes": reference("JsonValue"),
            "miniapp_order_id": described(nullable(identifier(255)), "The miniapp's order id; the same `(app_id, miniapp_order_id)` again returns the same `order_payment_id` when the order is the same, `INVALID_ORDER_DATA` when it differs."),
            "hostapp_user_id": described(nullable(identifier(255)), "The host app's user (else the `X-User-ID` header; neither: `HOSTAPP_USER_ID_REQUIRED`)."),
            "items": { "type": "array", "items": reference("OrderItemInput") },
            "shipping_address": nullable(reference("ShippingAddressInput")),
        }),
    );
    schema["oneOf"] = json!(per_currency(Digits::boxo, |digits, codes| {
        let optional = nullable(money(digits, false));
        json!({
            "properties": {
                "currency": { "enum": codes },
                "amount": money(digits, true),
                "subtotal_amount": optional,
                "shipping_amount": optional,
                "discount_amount": optional,
                "tax_amount": optional,
                "items": item_amounts(digits, false),
            },
        })
    }));
    schema["description"] = json!("Boxo's OrderDetails. Amounts have at most 2 decimals and at most the currency's (one `oneOf` branch per group of currencies).");
    schema
}

/// The request schemas and the shapes they share, by component name.
pub fn request_schemas() -> Vec<(&'static str, Value)> {
    vec![
        ("JsonValue", json_value()),
        ("OrderItemInput", order_item()),
        ("ShippingAddressInput", shipping_address()),
        ("DeliveryInput", delivery()),
        ("CreatePaymentRequest", create_payment()),
        ("CreateRefundRequest", create_refund()),
        ("UpsertOrderActivityRequest", upsert_order_activity()),
        ("ConfirmRequest", confirm()),
        ("RegisterAppRequest", register_app()),
        ("MintUserTokenRequest", mint_user_token()),
        ("GrantRequest", grant()),
        ("SettleRequest", settle()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_groups_cover_every_code_once() {
        let groups = currency_groups(Digits::of);
        let total: usize = groups.values().map(Vec::len).sum();
        assert_eq!(total, all_currency_codes().len());
        let jpy = Digits::of(Currency::parse("JPY").unwrap());
        assert_eq!(jpy.decimals, 0);
        assert!(groups[&jpy].contains(&"JPY".to_owned()));
        let kwd = Digits::boxo(Currency::parse("KWD").unwrap());
        assert_eq!((kwd.decimals, kwd.integer), (2, 17));
    }

    #[test]
    fn nullable_adds_null_once() {
        assert_eq!(nullable(text(3))["type"], json!(["string", "null"]));
        assert_eq!(
            nullable(nullable(text(3)))["type"],
            json!(["string", "null"])
        );
        assert!(nullable(reference("X"))["oneOf"].is_array());
    }
}
