//! The `hostpay` command line: `serve`, `migrate`, `apps`, `tokens`, `payments`,
//! `connect`, `deliveries`, `config check` and `simulate boxo`. Every command prints a table for people, or JSON with `--json`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use hostpay_domain::connect::{ConnectProfile, ProfileDraft};
use hostpay_domain::delivery::{Delivery, DeliveryState};
use hostpay_domain::ids::{AppId, DeliveryId, PaymentId};
use hostpay_domain::miniapp::{Miniapp, MiniappRegistration, WebhookUrl};
use hostpay_domain::order::UserRef;
use hostpay_domain::page::PageRequest;
use hostpay_domain::validation::NonEmptyString;
use serde_json::{json, Value};

use crate::config::{config_path, Config};
use crate::startup::StartupError;
use crate::wiring::{self, Wired};

/// hostpay: payments, refunds and order activities for the miniapps of a super-app.
#[derive(Debug, Parser)]
#[command(
    name = "hostpay",
    version,
    about = "hostpay: payments, refunds and order activities for the miniapps of a super-app",
    long_about = None
)]
pub struct Cli {
    /// Configuration file (TOML); defaults to $HOSTPAY_CONFIG. Environment variables
    /// HOSTPAY__SECTION__KEY override it.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the public and internal listeners and the background workers until SIGTERM/SIGINT.
    Serve,
    /// Apply pending database migrations to database.url and exit.
    Migrate(Output),
    /// Register miniapps, list them, rotate their secrets.
    #[command(subcommand)]
    Apps(AppsCommand),
    /// Mint user tokens (what ft.getUserToken() hands the miniapp frontend).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Mint pay grants (what lets the host app's logged-in user pay a payment).
    #[command(subcommand)]
    Payments(PaymentsCommand),
    /// Boxo Connect: mint auth codes that log a user into a miniapp.
    #[command(subcommand)]
    Connect(ConnectCommand),
    /// Inspect outbound deliveries (webhooks, Boxo complete-order) and retry dead letters.
    #[command(subcommand)]
    Deliveries(DeliveriesCommand),
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Conformance simulators: play a platform against a host deployment.
    #[command(subcommand)]
    Simulate(SimulateCommand),
}

/// `hostpay simulate ...`
#[derive(Debug, Subcommand)]
pub enum SimulateCommand {
    /// Play the Boxo platform against a host (hostpay or not) with the host's configured
    /// credentials and signing (`--config`): create an order payment, read its status,
    /// check the refusals, run Boxo Connect, receive the signed complete-order; one
    /// PASS/FAIL line per check, exit status 1 on any failure.
    Boxo(crate::simulate::SimulateBoxo),
}

/// Output format.
#[derive(Debug, Clone, Copy, Args)]
pub struct Output {
    /// Print JSON (for scripts) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `hostpay apps ...`
#[derive(Debug, Subcommand)]
pub enum AppsCommand {
    /// Register a miniapp; prints its app_id, secret_key and webhook_secret ONCE (only
    /// hashes are stored).
    Create {
        /// Name shown to users on the payment sheet.
        #[arg(long)]
        name: String,
        /// Where its webhooks go (https://...; http:// allowed unless delivery.require_https).
        #[arg(long)]
        webhook_url: Option<String>,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
    /// List registered miniapps, oldest first (no secrets).
    List {
        /// At most this many (1-1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
    /// Issue a new secret key and webhook secret; the old ones stop working at once.
    RotateSecret {
        /// The miniapp (app_...).
        app_id: String,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
}

/// `hostpay tokens ...`
#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Mint a user token for a user of a miniapp; prints the token and its expiry.
    Mint {
        /// The miniapp (app_...).
        #[arg(long)]
        app_id: String,
        /// The host app's user id.
        #[arg(long)]
        user_id: String,
        /// Lifetime in seconds (default 3600, at most 30 days).
        #[arg(long)]
        ttl_seconds: Option<i64>,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
}

/// `hostpay payments ...`
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Mint a pay grant for the payment's user (the host's logged-in user); prints the
    /// grant, the full payment sheet's URL and its expiry (at most 5 minutes).
    Grant {
        /// The payment (pay_...).
        payment_id: String,
        /// The logged-in user; must be the payment's user.
        #[arg(long)]
        user: String,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
}

/// `hostpay connect ...` (its `Debug` leaves out the user's personal data).
#[derive(Subcommand)]
pub enum ConnectCommand {
    /// Mint a Boxo Connect auth code for a user of the host app and one miniapp, carrying
    /// the profile the user agreed to share; prints the code and its expiry (single-use,
    /// 5 minutes; only its hash is stored). An email or a phone is required.
    AuthCode {
        /// The miniapp (app_...).
        #[arg(long)]
        app_id: String,
        /// The host app's user id.
        #[arg(long)]
        user: String,
        /// The user's email address.
        #[arg(long)]
        email: Option<String>,
        /// The user's phone number in E.164 (+966501234567).
        #[arg(long)]
        phone: Option<String>,
        /// The user's first name.
        #[arg(long)]
        first_name: Option<String>,
        /// The user's last name.
        #[arg(long)]
        last_name: Option<String>,
        /// The user's reference for the miniapp (at most 100 characters; default: --user).
        #[arg(long)]
        reference: Option<String>,
        /// Custom attributes: a JSON object.
        #[arg(long, value_name = "JSON")]
        custom_attributes: Option<String>,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
}

impl std::fmt::Debug for ConnectCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectCommand::AuthCode {
                app_id,
                user,
                output,
                ..
            } => f
                .debug_struct("AuthCode")
                .field("app_id", app_id)
                .field("user", user)
                .field("output", output)
                .finish_non_exhaustive(),
        }
    }
}

/// Delivery states to filter on.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum StateFilter {
    /// Waiting for the next attempt.
    Pending,
    /// Acknowledged.
    Delivered,
    /// Given up (dead letters).
    Dead,
}

impl StateFilter {
    fn state(self) -> DeliveryState {
        match self {
            StateFilter::Pending => DeliveryState::Pending,
            StateFilter::Delivered => DeliveryState::Delivered,
            StateFilter::Dead => DeliveryState::Dead,
        }
    }
}

/// `hostpay deliveries ...`
#[derive(Debug, Subcommand)]
pub enum DeliveriesCommand {
    /// List deliveries, newest first (`--state dead` shows the dead letters).
    List {
        /// Only deliveries in this state.
        #[arg(long, value_enum)]
        state: Option<StateFilter>,
        /// At most this many (1-100).
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: u32,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
    /// Make a delivery due now: a dead letter gets one more attempt by a running server
    /// (a pending or delivered delivery is refused).
    Retry {
        /// The delivery (dlv_...).
        delivery_id: String,
        #[allow(missing_docs)] // --json
        #[command(flatten)]
        output: Output,
    },
}

/// `hostpay config ...`
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults < file < environment) with secrets
    /// masked; exits non-zero when it is invalid.
    Check(Output),
}

/// A command failure: message and exit code.
#[derive(Debug)]
pub struct Failure {
    /// What went wrong (printed on stderr).
    pub message: String,
    /// The process exit code.
    pub code: u8,
}

impl From<StartupError> for Failure {
    fn from(error: StartupError) -> Failure {
        Failure {
            message: error.to_string(),
            code: 2,
        }
    }
}

fn failed(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    let path = config_path(cli.config.as_deref());
    let config = Config::load(path.as_deref()).map_err(|error| Failure {
        message: error.to_string(),
        code: 2,
    })?;
    match cli.command {
        Command::Config(ConfigCommand::Check(output)) => {
            config_check(&config, output);
            Ok(())
        }
        Command::Serve => {
            crate::telemetry::init(&config.log);
            Ok(crate::server::serve(config).await?)
        }
        Command::Migrate(output) => {
            let applied = wiring::migrate(&config.database).await?;
            if output.json {
                print_json(&json!({"applied": applied}));
            } else if applied.is_empty() {
                println!("database is up to date");
            } else {
                println!("applied {} migration(s):", applied.len());
                for name in applied {
                    println!("  {name}");
                }
            }
            Ok(())
        }
        Command::Apps(command) => apps(&config, command).await,
        Command::Tokens(command) => tokens(&config, command).await,
        Command::Payments(command) => payments(&config, command).await,
        Command::Connect(command) => connect(&config, command).await,
        Command::Deliveries(command) => deliveries(&config, command).await,
        Command::Simulate(SimulateCommand::Boxo(args)) => {
            let report = crate::simulate::run(&config, &args)
                .await
                .map_err(|error| Failure {
                    message: error.to_string(),
                    code: 2,
                })?;
            let failures = report.failures();
            if failures == 0 {
                println!(
                    "all {} checks passed (or were skipped)",
                    report.checks.len()
                );
                Ok(())
            } else {
                Err(failed(format!(
                    "{failures} of {} checks failed",
                    report.checks.len()
                )))
            }
        }
    }
}

async fn open(config: &Config) -> Result<Wired, Failure> {
    Ok(wiring::build(config, config.database.migrates_on_start()).await?)
}

fn config_check(config: &Config, output: Output) {
    let entries = config.masked_entries();
    if output.json {
        let map: serde_json::Map<String, Value> = entries.into_iter().collect();
        print_json(&Value::Object(map));
        for warning in config.signing_warnings() {
            eprintln!("warning: {warning}");
        }
        return;
    }
    let rows: Vec<Vec<String>> = entries
        .into_iter()
        .map(|(key, value)| vec![key, display(&value)])
        .collect();
    print_table(&["key", "value"], &rows);
    if config.security.uses_development_key() {
        eprintln!("warning: security.hash_key is the built-in development key");
    }
    for warning in config.signing_warnings() {
        eprintln!("warning: {warning}");
    }
    println!("configuration is valid");
}

async fn apps(config: &Config, command: AppsCommand) -> Result<(), Failure> {
    let wired = open(config).await?;
    let apps = &wired.services.apps;
    match command {
        AppsCommand::Create {
            name,
            webhook_url,
            output,
        } => {
            let name = NonEmptyString::parse(name).map_err(|e| failed(format!("--name: {e}")))?;
            let webhook_url = webhook_url
                .map(|url| WebhookUrl::parse(&url))
                .transpose()
                .map_err(|e| failed(format!("--webhook-url: {e}")))?;
            let (app, credentials) = apps
                .register(MiniappRegistration { name, webhook_url })
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = json!({
                "app_id": credentials.app_id.as_str(),
                "name": app.name.as_str(),
                "webhook_url": app.webhook_url.as_ref().map(WebhookUrl::as_str),
                "secret_key": credentials.secret_key,
                "webhook_secret": credentials.webhook_secret,
                "created_at": app.created_at.to_rfc3339(),
            });
            print_record(
                &value,
                output,
                "Store secret_key and webhook_secret now: they are not shown again.",
            );
        }
        AppsCommand::List { limit, output } => {
            let list = apps.list(limit).await.map_err(|e| failed(e.to_string()))?;
            let values: Vec<Value> = list.iter().map(app_json).collect();
            if output.json {
                print_json(&Value::Array(values));
            } else {
                let rows: Vec<Vec<String>> = list
                    .iter()
                    .map(|app| {
                        vec![
                            app.id.to_string(),
                            app.name.as_str().to_owned(),
                            app.webhook_url
                                .as_ref()
                                .map(|u| u.as_str().to_owned())
                                .unwrap_or_else(|| "-".to_owned()),
                            app.secret_generation.to_string(),
                            app.created_at.to_rfc3339(),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "app_id",
                        "name",
                        "webhook_url",
                        "secret_generation",
                        "created_at",
                    ],
                    &rows,
                );
            }
        }
        AppsCommand::RotateSecret { app_id, output } => {
            let app_id = AppId::parse(&app_id).map_err(|e| failed(format!("app_id: {e}")))?;
            let credentials = apps
                .rotate_secret(&app_id)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = json!({
                "app_id": credentials.app_id.as_str(),
                "secret_key": credentials.secret_key,
                "webhook_secret": credentials.webhook_secret,
            });
            print_record(&value, output, "The old secret key no longer works.");
        }
    }
    Ok(())
}

fn app_json(app: &Miniapp) -> Value {
    json!({
        "app_id": app.id.as_str(),
        "name": app.name.as_str(),
        "webhook_url": app.webhook_url.as_ref().map(WebhookUrl::as_str),
        "secret_generation": app.secret_generation,
        "created_at": app.created_at.to_rfc3339(),
        "updated_at": app.updated_at.to_rfc3339(),
    })
}

async fn tokens(config: &Config, command: TokensCommand) -> Result<(), Failure> {
    let wired = open(config).await?;
    match command {
        TokensCommand::Mint {
            app_id,
            user_id,
            ttl_seconds,
            output,
        } => {
            let app_id = AppId::parse(&app_id).map_err(|e| failed(format!("--app-id: {e}")))?;
            let user_id = UserRef::parse(user_id).map_err(|e| failed(format!("--user-id: {e}")))?;
            let (token, expires_at) = wired
                .services
                .apps
                .mint_user_token(&app_id, user_id, ttl_seconds)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = json!({"token": token, "expires_at": expires_at.to_rfc3339()});
            print_record(&value, output, "");
        }
    }
    Ok(())
}

async fn payments(config: &Config, command: PaymentsCommand) -> Result<(), Failure> {
    let wired = open(config).await?;
    match command {
        PaymentsCommand::Grant {
            payment_id,
            user,
            output,
        } => {
            let id =
                PaymentId::parse(&payment_id).map_err(|e| failed(format!("PAYMENT_ID: {e}")))?;
            let user = UserRef::parse(user).map_err(|e| failed(format!("--user: {e}")))?;
            let grant = wired
                .services
                .payments
                .grant(&id, &user)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = json!({
                "grant": grant.grant,
                "checkout_url": grant.checkout_url,
                "expires_at": grant.expires_at.to_rfc3339(),
            });
            print_record(&value, output, "");
        }
    }
    Ok(())
}

/// The flag of a profile field named in a domain error (`user_data.first_name` is
/// `--first-name`).
fn profile_flag(field: &str) -> String {
    let name = field.strip_prefix("user_data.").unwrap_or(field);
    format!("--{}", name.replace('_', "-"))
}

async fn connect(config: &Config, command: ConnectCommand) -> Result<(), Failure> {
    match command {
        ConnectCommand::AuthCode {
            app_id,
            user,
            email,
            phone,
            first_name,
            last_name,
            reference,
            custom_attributes,
            output,
        } => {
            let user = UserRef::parse(user).map_err(|e| failed(format!("--user: {e}")))?;
            let custom_attributes = custom_attributes
                .map(|text| serde_json::from_str::<Value>(&text))
                .transpose()
                .map_err(|e| failed(format!("--custom-attributes: not JSON: {e}")))?;
            let draft = ProfileDraft {
                reference,
                email,
                phone,
                first_name,
                last_name,
                custom_attributes,
            };
            let profile = ConnectProfile::parse(draft, &user)
                .map_err(|e| failed(format!("{}: {}", profile_flag(&e.field), e.message)))?;
            let wired = open(config).await?;
            let issued = wired
                .services
                .connect
                .mint_auth_code(&app_id, user, profile)
                .await
                .map_err(|e| failed(e.to_string()))?;
            let value = json!({
                "auth_code": issued.auth_code,
                "expires_at": issued.expires_at.to_rfc3339(),
            });
            print_record(
                &value,
                output,
                "Hand the auth code to the Boxo SDK now: it works once, for this miniapp only.",
            );
        }
    }
    Ok(())
}

fn delivery_json(delivery: &Delivery) -> Value {
    json!({
        "id": delivery.id.as_str(),
        "target": hostpay_store::names::target_name(delivery.target),
        "event_id": delivery.event.id.as_str(),
        "event_type": delivery.event.kind.as_str(),
        "payment_id": delivery.event.payment_id,
        "state": delivery.state.as_str(),
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at.to_rfc3339(),
        "last_status": delivery.last_status,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at.to_rfc3339(),
    })
}

async fn deliveries(config: &Config, command: DeliveriesCommand) -> Result<(), Failure> {
    let wired = open(config).await?;
    let service = &wired.services.deliveries;
    match command {
        DeliveriesCommand::List {
            state,
            limit,
            output,
        } => {
            let page = PageRequest::first(limit);
            let list = service
                .list(state.map(StateFilter::state), &page)
                .await
                .map_err(|e| failed(e.to_string()))?;
            if output.json {
                print_json(&Value::Array(
                    list.items.iter().map(delivery_json).collect(),
                ));
            } else {
                let rows: Vec<Vec<String>> = list
                    .items
                    .iter()
                    .map(|d| {
                        vec![
                            d.id.to_string(),
                            hostpay_store::names::target_name(d.target).to_owned(),
                            d.event.kind.as_str().to_owned(),
                            d.state.as_str().to_owned(),
                            d.attempts.to_string(),
                            d.last_status
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| "-".to_owned()),
                            d.last_error.clone().unwrap_or_else(|| "-".to_owned()),
                        ]
                    })
                    .collect();
                print_table(
                    &[
                        "id",
                        "target",
                        "event",
                        "state",
                        "attempts",
                        "last_status",
                        "last_error",
                    ],
                    &rows,
                );
            }
        }
        DeliveriesCommand::Retry {
            delivery_id,
            output,
        } => {
            let id =
                DeliveryId::parse(&delivery_id).map_err(|e| failed(format!("delivery_id: {e}")))?;
            // Refusals name why: unknown, or not a dead letter (its state).
            let delivery = service
                .retry(&id)
                .await
                .map_err(|e| failed(e.to_string()))?;
            print_record(
                &delivery_json(&delivery),
                output,
                "Due now: a running hostpay attempts it within seconds.",
            );
        }
    }
    Ok(())
}

fn display(value: &Value) -> String {
    match value {
        Value::Null => "(none)".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// One object: JSON, or `key  value` lines and a note.
fn print_record(value: &Value, output: Output, note: &str) {
    if output.json {
        print_json(value);
        return;
    }
    if let Value::Object(map) = value {
        let rows: Vec<Vec<String>> = map
            .iter()
            .map(|(key, value)| vec![key.clone(), display(value)])
            .collect();
        print_table(&["field", "value"], &rows);
    }
    if !note.is_empty() {
        println!("{note}");
    }
}

/// A plain text table with aligned columns.
fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (index, cell) in row.iter().enumerate() {
            if let Some(width) = widths.get_mut(index) {
                *width = (*width).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(headers.to_vec());
    line(
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    );
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    if rows.is_empty() {
        println!("(none)");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn the_connect_command_keeps_personal_data_out_of_debug() {
        let cli = Cli::try_parse_from([
            "hostpay",
            "connect",
            "auth-code",
            "--app-id",
            "app_shop",
            "--user",
            "user-42",
            "--email",
            "ada@example.com",
            "--phone",
            "+966501234567",
            "--first-name",
            "Ada",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        assert!(shown.contains("app_shop"), "{shown}");
        for personal in ["ada@example.com", "+966501234567", "Ada"] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
    }
}
