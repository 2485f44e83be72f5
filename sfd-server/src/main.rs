//! `sfd-server`: configuration in, [`sfd_server::serve`] out.

use std::process::ExitCode;

use clap::Parser;
use sfd_server::Config;

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    // Over stdio, stdout carries the protocol: logs go to stderr.
    if config.command == Some(sfd_server::Command::Mcp) {
        sfd_server::init_tracing_to_stderr(config.log_format);
    } else {
        sfd_server::init_tracing(config.log_format);
    }
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("sfd-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> sfd_server::Result<()> {
    if config.migrate {
        return sfd_server::migrate(&config, &mut std::io::stdout().lock()).await;
    }
    if config.repair_summaries {
        let report = config.repair_summaries().await?;
        tracing::info!(?report, "drama summaries repaired");
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
        return Ok(());
    }
    let state = config.build_state()?;
    if config.command == Some(sfd_server::Command::Mcp) {
        return sfd_server::serve_mcp_stdio(state).await;
    }
    let listener = tokio::net::TcpListener::bind(config.addr()).await?;
    tracing::info!(addr = %listener.local_addr()?, docs = %format!("http://{}/docs", config.addr()), "sfd-server listening");
    sfd_server::serve(listener, state, sfd_server::shutdown_signal()).await
}
