"""Schemathesis hooks for scripts/schemathesis.sh: what no schema can say about data that
depends on earlier requests. Each rule is narrow; malformed values are left alone, so the
negative cases still reach the server as generated.

Generation:
- `format: hostpay-cursor` (the opaque `next_cursor` of a page): values a page could have
  returned, so a schema-valid cursor is one the API accepts (a foreign one is 400, as
  documented).
- Keys a client makes unique (Stripe's rules for `Idempotency-Key`; `miniapp_order_id`
  is unique per miniapp): a well-formed key gets a unique suffix, so a request is never
  refused for reusing a key an unrelated generated request took (422 / 400, documented).
- `order_id` of an order-activity upsert is scoped by its `user_id` and `currency`, so an
  update never meets an order of another user or currency (400, documented); a
  well-formed `payment_id` names the payment the script made for this miniapp (an
  unknown one is 400, documented).

Failures dropped (the run's summary counts them), each only in its exact shape:
- The Boxo host API answers a call without credentials with HTTP 200 and
  `{"error_code": "ACCESS_DENIED"}` (Boxo's wire format): auth is enforced, in Boxo's
  terms, not with the 401/403 `ignored_auth` and `missing_required_header` look for. The hook sends the request again
  without credentials and with wrong ones and drops the failure only when both are that
  refusal.
- The Boxo host API refuses invalid data with HTTP 200 and an `error_code` (Boxo's wire
  format), not the 4xx `negative_data_rejection` looks for: dropped only when the answer
  is such a refusal.
- A Boxo Connect profile (`POST /internal/v1/connect/auth-codes`) is checked by its
  parser: an email's shape, `email` or `phone` required, a blank `reference`. A value the
  schema allows may be 400 naming `user_data` or `user_data.<field>` (documented).
- Boxo Connect's user-data call takes an access token as its credential, checked with
  the miniapp it names: a wrong one is `INVALID_ACCESS_TOKEN`, or `MINIAPP_NOT_FOUND`
  when no (known) `X-Miniapp-App-ID` comes with it (HTTP 200, no data either way).
- A refund's `amount` may have no more decimals than the payment's currency (and, 20
  digits in all, fewer digits before the point in a currency with 3 or 4 decimals),
  which is stored, not in the request: "0.5" refunding a JPY payment is 400 naming
  `amount` with that reason (documented).
"""

import base64
import hashlib
import json
import os
import re
import uuid

import requests
import schemathesis
from hypothesis import strategies as st

MIN_MICROS = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z


def _cursor(micros: int, ident: str) -> str:
    raw = f"{micros}|{ident}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


schemathesis.openapi.format(
    "hostpay-cursor",
    st.builds(
        _cursor,
        st.integers(min_value=MIN_MICROS, max_value=MAX_MICROS),
        st.from_regex(r"\A[A-Za-z0-9_-]{1,64}\Z"),
    ),
)

VISIBLE_ASCII = re.compile(r"\A[\x21-\x7E]{1,255}\Z")
PAYMENT_ID = re.compile(r"\Apay_[A-Za-z0-9_-]{1,60}\Z")


def _is_identifier(value, limit=255) -> bool:
    """What `NonEmptyString<255>` accepts: 1..=255 characters, no C0 control, not blank."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= limit
        and not any(ord(char) < 0x20 for char in value)
        and value.strip() != ""
    )


def _with_suffix(text: str, suffix: str, limit: int = 255) -> str:
    return text[: limit - len(suffix)] + suffix


def _make_realistic(case):
    operation = (case.operation.method.upper(), case.operation.path)
    headers = case.headers
    if headers is not None:
        key = headers.get("Idempotency-Key")
        if isinstance(key, str) and VISIBLE_ASCII.match(key):
            headers["Idempotency-Key"] = _with_suffix(key, "-" + uuid.uuid4().hex)
    body = case.body
    if not isinstance(body, dict):
        return case
    if operation == ("POST", "/api/v1/payments"):
        if _is_identifier(body.get("miniapp_order_id")):
            body["miniapp_order_id"] = _with_suffix(
                body["miniapp_order_id"], "~" + uuid.uuid4().hex
            )
    elif operation == ("POST", "/api/v1/order-activities"):
        if _is_identifier(body.get("order_id")):
            scope = f"{body.get('user_id')!r}|{body.get('currency')!r}"
            tag = "~" + hashlib.sha256(scope.encode()).hexdigest()[:16]
            body["order_id"] = _with_suffix(body["order_id"], tag)
        known = os.environ.get("SCHEMATHESIS_PAYMENT_ID")
        payment_id = body.get("payment_id")
        if known and isinstance(payment_id, str) and PAYMENT_ID.match(payment_id):
            body["payment_id"] = known
    return case


@schemathesis.hook
def map_case(context, case):
    """Coverage, fuzzing and stateful cases."""
    return _make_realistic(case)


@schemathesis.hook
def before_add_examples(context, examples):
    """The cases of the examples phase."""
    for case in examples:
        _make_realistic(case)


def _json(response):
    try:
        return json.loads(response.content)
    except (TypeError, ValueError):
        return None


def _boxo_refuses_without_credentials(response) -> bool:
    """Sends the request again without credentials and with wrong ones: both must be
    Boxo's refusal, HTTP 200 `{"error_code": "ACCESS_DENIED", ...}` (a wrong access token
    on Connect's user-data call: `INVALID_ACCESS_TOKEN`, or `MINIAPP_NOT_FOUND` without
    a known miniapp)."""
    user_data = response.request.url.split("?")[0].endswith("/boxo/v1/connect/user-data")
    request = response.request
    headers = {
        name: value for name, value in request.headers.items() if name.lower() != "authorization"
    }
    wrong = base64.b64encode(b"not-the-client:not-the-secret").decode()
    for authorization in (None, f"Token {wrong}"):
        probe_headers = dict(headers)
        if authorization:
            probe_headers["Authorization"] = authorization
        probe = requests.request(
            request.method, request.url, headers=probe_headers, data=request.body, timeout=30
        )
        body = _json(probe)
        if probe.status_code != 200 or not isinstance(body, dict):
            return False
        refusals = {"ACCESS_DENIED"}
        if authorization and user_data:
            refusals.update({"INVALID_ACCESS_TOKEN", "MINIAPP_NOT_FOUND"})
        if body.get("error_code") not in refusals:
            return False
    return True


# What the payment's currency limits: its decimals, and (20 digits in all) the digits
# before the point of a currency with 3 or 4 decimals (17 or 16; 18 is the schema's own).
CURRENCY_DECIMALS = re.compile(
    r"^must (be a whole number in [A-Z]{3} \(it has no minor unit\)"
    r"|have at most [0-9] digits after the decimal point in [A-Z]{3}"
    r"|have at most 20 digits in all \(1[67] before the decimal point\))$"
)


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but the documented shapes above; each one dropped is written to
    `$SCHEMATHESIS_DROPPED_LOG` (the script prints how many of each)."""
    keep = _keep(failure, case, response)
    log = os.environ.get("SCHEMATHESIS_DROPPED_LOG")
    if not keep and log:
        operation = f"{case.operation.method.upper()} {case.operation.path}"
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{type(failure).__name__}\t{operation}\t{response.status_code}\n")
    return keep


def _keep(failure, case, response) -> bool:
    name = type(failure).__name__
    operation = (case.operation.method.upper(), case.operation.path)
    body = _json(response)
    if (
        name == "MissingHeaderNotRejected"
        and operation[1].startswith("/boxo/")
        and response.status_code == 200
        and isinstance(body, dict)
        and body.get("error_code") == "ACCESS_DENIED"
    ):
        return False
    if (
        name == "IgnoredAuth"
        and operation[1].startswith("/boxo/")
        and _boxo_refuses_without_credentials(response)
    ):
        return False
    if (
        name == "AcceptedNegativeData"
        and operation[1].startswith("/boxo/")
        and response.status_code == 200
        and isinstance(body, dict)
        and isinstance(body.get("error_code"), str)
    ):
        return False
    field = (
        body.get("error", {}).get("details", {}).get("field")
        if isinstance(body, dict) and isinstance(body.get("error"), dict)
        and isinstance(body["error"].get("details"), dict)
        else None
    )
    if (
        name == "RejectedPositiveData"
        and operation == ("POST", "/internal/v1/connect/auth-codes")
        and response.status_code == 400
        and isinstance(field, str)
        and (field == "user_data" or field.startswith("user_data."))
    ):
        return False
    if (
        name == "RejectedPositiveData"
        and operation == ("POST", "/api/v1/payments/{payment_id}/refunds")
        and response.status_code == 400
        and isinstance(body, dict)
        and body.get("error", {}).get("details", {}).get("field") == "amount"
        and CURRENCY_DECIMALS.match(str(body["error"]["details"].get("reason", "")))
    ):
        return False
    return True
