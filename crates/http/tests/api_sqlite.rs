//! The HTTP suite over the SQLite store (a temporary file per test).

mod common;

use common::Backend;

api_suite!(Backend::Sqlite);
