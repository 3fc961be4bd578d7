//! Command line: `dlt-lsp` (server on stdio), `dlt-lsp check`, `dlt-lsp --version`.

mod check;
mod explain;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "dlt-lsp",
    version,
    about = "Language server and checker for dlt's .dlt/*.toml configuration"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the language server over stdio (the default).
    Lsp {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Check every .dlt folder under the paths (default: the current directory).
    Check(CheckArgs),
    /// Print the table of diagnostic codes (Markdown), as the README lists them.
    Codes,
    /// Show the value dlt uses for a key under each profile, and where it comes from.
    Explain(explain::ExplainArgs),
}

/// Output format of `check`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Folders to search for .dlt folders, or .dlt files to report on.
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// dlt's global settings dir; default: where dlt would look (`/var/dlt`, `$XDG_DATA_HOME/dlt`, `~/.dlt`).
    #[arg(long)]
    global_dir: Option<PathBuf>,
    /// A pipeline name, for dlt's pipeline-prefixed lookups.
    #[arg(long)]
    pipeline: Option<String>,
}

/// Parses the command line and runs the chosen command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Lsp { .. }) => crate::lsp::run_stdio(),
        Some(Command::Check(args)) => check::run(args),
        Some(Command::Codes) => {
            print!("{}", crate::model::diagnostic::codes_markdown());
            ExitCode::SUCCESS
        }
        Some(Command::Explain(args)) => explain::run(args),
    }
}
