//! The protocol layer: the only code that knows tower-lsp and lsp-types.

pub mod convert;
pub mod documents;
mod exit;
mod indexing;
mod publish;
mod runner;
mod server;
pub mod settings;
mod state;

use std::process::ExitCode;

pub use server::Backend;

/// Runs the language server on stdin/stdout until the client exits.
pub fn run_stdio() -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("dlt-lsp: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let watch = exit::ExitWatch::default();
    let clean = runtime.block_on(async {
        let (service, socket) = tower_lsp::LspService::build(Backend::new)
            .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
            .finish();
        let service = watch.wrap(service);
        let serve =
            tower_lsp::Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service);
        // tower-lsp only notices `exit` when the next message arrives; stop at once instead.
        tokio::select! {
            _ = serve => watch.shutdown_seen(),
            clean = watch.exited() => clean,
        }
    });
    // Background tasks (indexing, debounced diagnostics) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    // The LSP specification: exit code 0 after `shutdown`, 1 without it.
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("DLT_LSP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
