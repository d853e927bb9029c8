//! The one harness of the HTTP and app tests (the `harness` feature), re-exported at the
//! crate's root: [`auth`] (the credentials and their headers, one `ADMIN_TOKEN`), [`app`]
//! (the real actix app over any store: `Harness::start`), [`boxo`] (the Boxo surface's
//! world), [`deliveries`] (a fake Boxo platform and waiting for the dispatcher) and
//! [`process`] (the `hostpay` binary as a command or a server).

pub mod app;
pub mod auth;
pub mod boxo;
pub mod deliveries;
pub mod process;
