//! The `hostpay` binary.

use std::process::ExitCode;

use clap::Parser;
use hostpay_app::cli::{self, Cli};

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("hostpay: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
