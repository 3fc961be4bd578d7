//! The `dlt-lsp` binary: the language server and the command-line checker.

/// jemalloc with a single arena instead of glibc's malloc. Re-parsing a 20,000-line document on
/// every keystroke allocates and frees hundreds of thousands of small nodes; in the benchmark
/// (`tools/bench`, medians of 3, same run) jemalloc cut that edit's latency by a fifth and the
/// server's CPU time by as much, at the same peak RSS. More arenas (jemalloc's default) or
/// mimalloc cost up to twice the memory.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its start (the symbol name carries the crate's `_rjem_` prefix).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8] = b"narenas:1\0";

fn main() -> std::process::ExitCode {
    dlt_lsp::cli::main()
}
