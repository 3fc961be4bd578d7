//! The README's code table is generated from the server's registry; this test keeps it in step.

#[test]
fn readme_lists_every_diagnostic_code_exactly() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("## Diagnostic codes\n")
        .expect("README has a Diagnostic codes section");
    let section = &readme[start..];
    let table_start = section.find("| code |").unwrap();
    let table: String = section[table_start..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .map(|l| format!("{l}\n"))
        .collect();
    let want = dlt_lsp::model::diagnostic::codes_markdown();
    assert_eq!(
        table, want,
        "README's code table is stale; replace it with the output of `dlt-lsp codes`"
    );
}
