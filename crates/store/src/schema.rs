//! The schema, once for both backends (the DDL per backend is in `migrations/`).
//! Money is [`Amount`], every time is [`Instant`]; JSON documents are `Text`.
#![allow(missing_docs)]

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    miniapps (id) {
        id -> Text,
        name -> Text,
        secret_hash -> Text,
        webhook_url -> Nullable<Text>,
        secret_generation -> BigInt,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    user_tokens (token_hash) {
        token_hash -> Text,
        app_id -> Text,
        user_id -> Text,
        created_at -> Instant,
        expires_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Amount, Instant};

    payments (id) {
        id -> Text,
        app_id -> Text,
        channel -> Text,
        user_id -> Text,
        amount -> Amount,
        currency -> Text,
        status -> Text,
        fail_reason -> Nullable<Text>,
        miniapp_order_id -> Nullable<Text>,
        details -> Text,
        expires_at -> Instant,
        created_at -> Instant,
        updated_at -> Instant,
        version -> BigInt,
        charging_since -> Nullable<Instant>,
        charge_check_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Amount;

    payment_items (payment_id, position) {
        payment_id -> Text,
        position -> Integer,
        product_name -> Text,
        product_sku -> Nullable<Text>,
        quantity -> BigInt,
        price -> Nullable<Amount>,
        discount -> Nullable<Amount>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Amount, Instant};

    refunds (id) {
        id -> Text,
        payment_id -> Text,
        position -> Integer,
        amount -> Amount,
        reason -> Nullable<Text>,
        status -> Text,
        fail_reason -> Nullable<Text>,
        created_at -> Instant,
        updated_at -> Instant,
        next_attempt_at -> Nullable<Instant>,
        attempts -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    payment_sessions (token_hash) {
        token_hash -> Text,
        payment_id -> Text,
        created_at -> Instant,
        expires_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Amount, Instant};

    order_activities (id) {
        id -> Text,
        app_id -> Text,
        order_id -> Text,
        user_id -> Text,
        status -> Text,
        title -> Nullable<Text>,
        items -> Text,
        total -> Nullable<Amount>,
        currency -> Nullable<Text>,
        payment_id -> Nullable<Text>,
        delivery -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Instant,
        updated_at -> Instant,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    order_activity_events (seq) {
        seq -> BigInt,
        id -> Text,
        activity_id -> Text,
        kind -> Text,
        status -> Text,
        changes -> Nullable<Text>,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    outbox_events (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        app_id -> Text,
        payment_id -> Text,
        occurred_at -> Instant,
        data -> Text,
        targets -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    deliveries (id) {
        id -> Text,
        event_id -> Text,
        target -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Instant,
        last_error -> Nullable<Text>,
        last_status -> Nullable<Integer>,
        created_at -> Instant,
        updated_at -> Instant,
        claim_token -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    delivery_attempts (seq) {
        seq -> BigInt,
        delivery_id -> Text,
        attempted_at -> Instant,
        http_status -> Nullable<Integer>,
        outcome -> Text,
        detail -> Nullable<Text>,
        latency_ms -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    idempotency_keys (app_id, key) {
        app_id -> Text,
        key -> Text,
        fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        created_at -> Instant,
        owner -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    boxo_nonces (nonce) {
        nonce -> Text,
        seen_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    pay_grants (token_hash) {
        token_hash -> Text,
        payment_id -> Text,
        user_id -> Text,
        created_at -> Instant,
        expires_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::{Amount, Instant};

    charge_reversals (id) {
        id -> Text,
        payment_id -> Text,
        amount -> Amount,
        currency -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Instant,
        last_error -> Nullable<Text>,
        created_at -> Instant,
        updated_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    connect_auth_codes (code_hash) {
        code_hash -> Text,
        app_id -> Text,
        user_id -> Text,
        profile -> Text,
        created_at -> Instant,
        expires_at -> Instant,
        used_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::sql_types::Instant;

    connect_access_tokens (token_hash) {
        token_hash -> Text,
        app_id -> Text,
        user_id -> Text,
        profile -> Text,
        created_at -> Instant,
        expires_at -> Instant,
    }
}
