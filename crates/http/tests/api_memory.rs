//! The HTTP suite over the testkit's in-memory store.

mod common;

use common::Backend;

api_suite!(Backend::Memory);
