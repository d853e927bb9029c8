//! The success and error envelopes of the miniapp and internal APIs.
