//! The protocol layer: the only code that knows tower-lsp and lsp-types.

mod background;
pub mod convert;
#[cfg(unix)]
mod direct_stdout;
pub mod documents;
mod edits;
mod exit;
mod indexing;
#[cfg(unix)]
mod nonblocking;
#[cfg(unix)]
mod polled_stdin;
mod publish;
mod runner;
mod server;
pub mod settings;
mod slices;
mod state;
mod transport;

use std::process::ExitCode;

pub use server::Backend;

/// Runs the language server on stdin/stdout until the client exits.
pub fn run_stdio() -> ExitCode {
    init_logging();
    // Before any other thread starts: they inherit it (background threads give it back).
    slices::ask_short_slices();
    // One thread runs every async task. tower-lsp polls all handlers inside its one server
    // task anyway, so a second worker only ran the spawned diagnoses, and handing tasks between
    // two workers (waking the idle one, work stealing) cost more than it saved: in a profile of
    // the monorepo bench a fifth of the samples were thread switches and wake-ups. Heavy work
    // (indexing, large diagnoses, git) runs on threads of its own or the blocking pool.
    // Against two workers, alternating single runs: monorepo CPU 730/500 → 450/430 ms, all
    // diagnostics 857/330 → 293/319 ms, demo first diagnostics 1.52/1.02 → 0.39/0.71 ms.
    let runtime = match tokio::runtime::Builder::new_current_thread()
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
    // The server runs as a spawned task, like the diagnoses it spawns.
    let serve_all = async move {
        let output = transport::Output::stdout();
        let to_client = output.clone();
        let builder = tower_lsp::LspService::build(move |client| Backend::new(client, to_client))
            .custom_method("window/workDoneProgress/cancel", Backend::cancel_progress)
            .custom_method("dlt/effectiveValue", Backend::effective_value)
            .custom_method("dlt/activeProfile", Backend::active_profile);
        #[cfg(debug_assertions)]
        let builder = builder.custom_method("dlt/debugPanic", Backend::debug_panic);
        let (service, socket) = builder.finish();
        let service = watch.wrap(service);
        // Frames pass through a filter that answers malformed ones instead of letting them end
        // tower-lsp's reader. A pipe or a socket is read by the runtime and written directly
        // when it can take a message; otherwise threads of their own do it (see transport.rs).
        #[cfg(unix)]
        let polled = polled_stdin::reader(&output);
        #[cfg(not(unix))]
        let polled = None;
        let (input, input_ended) =
            polled.unwrap_or_else(|| transport::spawn_input(std::io::stdin(), output.clone()));
        // Boxed, to be left undropped at the end: the server's state (every folder of a
        // monorepo) goes with the process instead of being freed piece by piece, 1 % of the
        // instructions of a session on the monorepo (callgrind; issue 7).
        let mut serve =
            Box::pin(tower_lsp::Server::new(input, output.writer(), socket).serve(service));
        // tower-lsp only notices `exit` when the next message arrives; stop at once instead.
        let clean = tokio::select! {
            _ = &mut serve => watch.shutdown_seen(),
            clean = watch.exited() => clean,
            // The client is gone (end of input). A handler may still wait for one of its
            // answers, which will never come: allow a moment to finish, then stop.
            _ = async {
                let _ = input_ended.await;
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            } => watch.shutdown_seen(),
        };
        // Let the last frames reach stdout.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), output.sync()).await;
        std::mem::forget(serve);
        clean
    };
    let clean = runtime.block_on(async { tokio::spawn(serve_all).await.unwrap_or(false) });
    // Background tasks (indexing, debounced diagnostics) must not keep the process alive.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    // The LSP specification: exit code 0 after `shutdown`, 1 without it.
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Logging to stderr, filtered by `DLT_LSP_LOG`: a level (`debug`) or `target=level` pairs
/// (`info,dlt_lsp::model=debug`), env_logger's syntax. A [`Targets`] filter rather than an
/// `EnvFilter`: it needs no regular expressions, whose engine was a twentieth of the binary's code
/// (and code pages count in the server's resident memory, issue 7).
///
/// [`Targets`]: tracing_subscriber::filter::Targets
fn init_logging() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let (filter, not_understood) = log_filter(std::env::var("DLT_LSP_LOG").ok().as_deref());
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false),
        )
        .with(filter)
        .try_init();
    if let Some(value) = not_understood {
        tracing::warn!("DLT_LSP_LOG={value:?} is not a log filter (e.g. `debug` or `dlt_lsp=debug`); logging at info");
    }
}

/// The filter `DLT_LSP_LOG` asks for (info when unset), and the value when it is not a filter.
fn log_filter(value: Option<&str>) -> (tracing_subscriber::filter::Targets, Option<String>) {
    let info = || tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO);
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => (info(), None),
        Some(v) => match v.parse() {
            Ok(targets) => (targets, None),
            Err(_) => (info(), Some(v.to_string())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::log_filter;
    use tracing::Level;

    #[test]
    fn dlt_lsp_log_takes_a_level_or_target_pairs_and_falls_back_to_info() {
        let enabled = |value: Option<&str>, target: &str, level: Level| {
            let (filter, _) = log_filter(value);
            filter.would_enable(target, &level)
        };
        assert!(enabled(None, "dlt_lsp", Level::INFO));
        assert!(!enabled(None, "dlt_lsp", Level::DEBUG));
        assert!(enabled(Some("debug"), "gix", Level::DEBUG));
        assert!(!enabled(Some("debug"), "gix", Level::TRACE));
        let pairs = Some("warn,dlt_lsp::model=trace");
        assert!(enabled(pairs, "dlt_lsp::model::git", Level::TRACE));
        assert!(!enabled(pairs, "dlt_lsp::lsp", Level::INFO));
        assert!(enabled(pairs, "tower_lsp", Level::WARN));
        // Not a filter: info, and the value is handed back to be reported.
        let (filter, bad) = log_filter(Some("dlt_lsp=loud"));
        assert_eq!(bad.as_deref(), Some("dlt_lsp=loud"));
        assert!(filter.would_enable("dlt_lsp", &Level::INFO));
        assert!(!filter.would_enable("dlt_lsp", &Level::DEBUG));
        assert_eq!(log_filter(Some("  ")).1, None);
    }
}
