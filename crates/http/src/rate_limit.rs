//! Per-miniapp rate limiting of the miniapp API.
