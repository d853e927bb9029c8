//! Boxo request signing and miniapp webhook signatures (api.md section 6).
