fn main() -> std::process::ExitCode {
    dlt_lsp::cli::main()
}
