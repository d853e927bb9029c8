//! The simulator's stand-in for the Boxo platform's complete-order endpoint: every POST
//! it receives (any path) is answered 200 `{"code": "OK"}` and handed over as a
//! [`ReceivedCall`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use tokio::sync::{mpsc, Mutex};

/// A call the host made.
#[derive(Debug, Clone)]
pub struct ReceivedCall {
    /// The method.
    pub method: String,
    /// The path with its query.
    pub url: String,
    /// `(name, value)` pairs.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl ReceivedCall {
    /// A header's value (ASCII case ignored).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The listening endpoint.
pub struct CompleteOrderListener {
    address: SocketAddr,
    handle: ServerHandle,
    calls: Mutex<mpsc::UnboundedReceiver<ReceivedCall>>,
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    sender: web::Data<Arc<mpsc::UnboundedSender<ReceivedCall>>>,
) -> HttpResponse {
    let call = ReceivedCall {
        method: req.method().as_str().to_owned(),
        url: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: req
            .headers()
            .iter()
            .filter_map(|(name, value)| {
                value
                    .to_str()
                    .ok()
                    .map(|value| (name.as_str().to_owned(), value.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    // A receiver gone (the run is over) is no reason to fail the host's call.
    let _ = sender.send(call);
    HttpResponse::Ok().json(serde_json::json!({"code": "OK"}))
}

impl CompleteOrderListener {
    /// Listens on `address` (port 0: any free port).
    pub fn start(address: SocketAddr) -> std::io::Result<CompleteOrderListener> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let sender = web::Data::new(Arc::new(sender));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(sender.clone())
                .app_data(web::PayloadConfig::new(1024 * 1024))
                .default_service(web::to(receive))
        })
        .disable_signals()
        .workers(1)
        .bind(address)?;
        let bound = server.addrs().first().copied().unwrap_or(address);
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(CompleteOrderListener {
            address: bound,
            handle,
            calls: Mutex::new(receiver),
        })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The next call, waiting at most `timeout`.
    pub async fn next(&self, timeout: Duration) -> Option<ReceivedCall> {
        let mut calls = self.calls.lock().await;
        tokio::time::timeout(timeout, calls.recv())
            .await
            .ok()
            .flatten()
    }

    /// Stops listening.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}
