//! hostpay's wiring: configuration, tracing, the store and upstreams, background workers, CLI.
