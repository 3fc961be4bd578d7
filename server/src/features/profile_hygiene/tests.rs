use super::*;
use crate::features::diagnostics::folder_diagnostics;
use crate::model::discovery::WalkLimits;
use crate::test_support::{fixture, git_fixture, write_fixture};
use expect_test::expect;
use std::path::Path;

const HYGIENE: [Code; 6] = [
    codes::ACCESS_REUSES_PROD_CREDENTIALS,
    codes::ACCESS_FALLS_BACK_TO_PROD,
    codes::PINNED_PROFILE_WITHOUT_FILES,
    codes::PROFILE_FILE_OUTSIDE_WORKSPACE,
    codes::WORKSPACE_SETTING_MISPLACED,
    codes::LOCAL_STATE_NOT_IGNORED,
];

fn load(dir: &Path) -> Snapshot {
    Snapshot::load(&[dir.to_path_buf()], WalkLimits::default())
}

/// The hygiene findings of every file, one line each, through the full diagnostics pipeline
/// (so a rule that is not wired into `file_diagnostics` shows nothing here).
fn render(snap: &Snapshot) -> String {
    let mut out = String::new();
    for folder in snap.folders.values() {
        for (file, diags) in folder_diagnostics(snap, folder) {
            for d in diags.iter().filter(|d| HYGIENE.contains(&d.code)) {
                out += &crate::test_support::render_diagnostic(&file, d);
            }
        }
    }
    out
}

fn only_folder(snap: &Snapshot) -> &DltFolder {
    snap.folders.values().next().unwrap()
}

/// The fixes offered on the whole of `name`.
fn fixes(snap: &Snapshot, name: &str) -> Vec<EditSet> {
    let folder = only_folder(snap);
    let file = folder.file(name).unwrap();
    hygiene_fixes(snap, folder, file, Span::new(0, file.text.len()))
}

fn apply_on_disk(set: &EditSet) {
    for c in &set.changes {
        std::fs::write(c.path(), c.result()).unwrap();
    }
}

fn show(set: &EditSet, base: &Path) -> String {
    let mut out = format!("{}\n", set.title);
    for c in &set.changes {
        let kind = match c {
            FileChange::Create { .. } => "create",
            FileChange::Edit { .. } => "edit",
        };
        out += &format!(
            "--- {kind} {}\n{}",
            c.path().strip_prefix(base).unwrap().display(),
            c.result()
        );
    }
    out
}

const REUSED: &str = "//- .dlt/.workspace
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
password = \"s3cr3t-prod\"
host = \"db\"
//- .dlt/access.secrets.toml
[destination.warehouse.credentials]
password = \"s3cr3t-prod\"
host = \"db\"
//- .dlt/config.toml
[destination.warehouse]
destination_type = \"postgres\"
";

#[test]
fn access_reusing_prods_secret_is_a_warning_without_the_value() {
    let snap = fixture(REUSED);
    let got = render(&snap);
    // `host` is the same too, but it is no secret.
    expect![[r#"
        access.secrets.toml:2:1 warning [access-reuses-prod-credentials] `destination.warehouse.credentials.password` under profile access has the same value as under prod (prod.secrets.toml:2): access serves shared notebooks and apps and must use its own read-only credentials, not prod's read-write ones
    "#]]
    .assert_eq(&got);
    assert!(!got.contains("s3cr3t"));
}

#[test]
fn access_with_its_own_secret_or_a_placeholder_is_fine() {
    let own = REUSED.replacen(
        "password = \"s3cr3t-prod\"\nhost = \"db\"\n//- .dlt/config",
        "password = \"x\"\n//- .dlt/config",
        1,
    );
    assert_eq!(render(&fixture(&own)), "");
    let placeholder = REUSED.replace("s3cr3t-prod", "<configure me>");
    assert_eq!(render(&fixture(&placeholder)), "");
    // The environment answers first for both: the access file's value is not the one used.
    let env = crate::test_support::fixture_with(
        REUSED,
        &[("DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD", "e")],
        None,
    );
    assert_eq!(render(&env), "");
}

const PROD_ONLY: &str = "//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
log_level = \"WARNING\"
//- .dlt/prod.secrets.toml
# prod credentials
[destination.warehouse.credentials]
password = \"pw\"
host = \"db\"
[sources.github]
access_token = \"t\"
//- .dlt/prod.config.toml
[destination.warehouse]
destination_type = \"postgres\"
";

#[test]
fn prod_without_access_is_information_with_a_fix_creating_access_files() {
    let snap = fixture(PROD_ONLY);
    expect![[r#"
        prod.secrets.toml:1:1 info [access-falls-back-to-prod] No `access` profile files: on the platform, interactive notebooks and apps fall back to the prod profile and run with its read-write credentials; create access files with read-only credentials
    "#]]
    .assert_eq(&render(&snap));
    let dir = only_folder(&snap).project_dir.clone();
    let sets = fixes(&snap, "prod.secrets.toml");
    assert_eq!(sets.len(), 1);
    expect![[r#"
        Create access.secrets.toml and access.config.toml with prod's keys as placeholders
        --- create .dlt/access.secrets.toml
        # Profile `access`: shared notebooks and apps. Use read-only credentials, never prod's.
        [destination.warehouse.credentials]
        password = "<configure me>"
        host = "<configure me>"

        [sources.github]
        access_token = "<configure me>"
        --- create .dlt/access.config.toml
        # Profile `access`: shared notebooks and apps. Use read-only credentials, never prod's.
        [destination.warehouse]
        destination_type = "<configure me>"
    "#]]
    .assert_eq(&show(&sets[0], &dir));
    assert!(!show(&sets[0], &dir).contains("pw"));
    // No fix on another file, nor on a range away from the finding.
    assert!(fixes(&snap, "config.toml").is_empty());
    let folder = only_folder(&snap);
    let prod = folder.file("prod.secrets.toml").unwrap();
    assert!(hygiene_fixes(&snap, folder, prod, Span::new(40, 41)).is_empty());

    apply_on_disk(&sets[0]);
    let after = load(&dir);
    assert_eq!(render(&after), "");
    let access = only_folder(&after).file("access.secrets.toml").unwrap();
    assert!(access.doc.errors.is_empty());
}

#[test]
fn access_files_or_a_classic_project_silence_the_fallback() {
    let with_access = format!("{PROD_ONLY}//- .dlt/access.config.toml\n");
    assert_eq!(render(&fixture(&with_access)), "");
    // Only prod.config.toml: the finding moves there, and the fix creates only the config file.
    let config_only = "//- .dlt/.workspace\n//- .dlt/prod.config.toml\na = 1\n";
    let snap = fixture(config_only);
    assert!(render(&snap).starts_with("prod.config.toml:1:1 info [access-falls-back-to-prod]"));
    let sets = fixes(&snap, "prod.config.toml");
    assert_eq!(sets[0].changes.len(), 1);
    assert!(sets[0].changes[0].path().ends_with("access.config.toml"));
}

#[test]
fn hover_rows_for_access_say_it_falls_back_to_prod() {
    let snap = fixture(PROD_ONLY);
    let folder = only_folder(&snap);
    let file = folder.file("prod.secrets.toml").unwrap();
    let offset = file.text.find("host").unwrap();
    let md = crate::features::hover::hover(&snap, &file.path, offset, Default::default())
        .unwrap()
        .0;
    let access: Vec<&str> = md.lines().filter(|l| l.contains("access")).collect();
    expect![[r#"
        ["| access (falls back to prod on the platform) | *unset* |  | not read |"]"#]]
    .assert_eq(&format!("{access:?}"));
    let prod_row = md.lines().find(|l| l.starts_with("| prod")).unwrap();
    assert!(!prod_row.contains("falls back"));
    let with_access = fixture(&format!("{PROD_ONLY}//- .dlt/access.config.toml\n"));
    let folder = only_folder(&with_access);
    let file = folder.file("prod.secrets.toml").unwrap();
    let md = crate::features::hover::hover(&with_access, &file.path, offset, Default::default())
        .unwrap()
        .0;
    assert!(!md.contains("falls back"));
}

#[test]
fn a_pin_naming_a_profile_without_files_is_information_on_config_toml() {
    let pinned = "//- .dlt/.workspace\n//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\na = 1\n//- .dlt/secrets.toml\n";
    expect![[r#"
        config.toml:1:1 info [pinned-profile-without-files] `.dlt/profile-name` pins the custom profile `staging`, which has no `staging.config.toml` or `staging.secrets.toml`: the pin file is local and never synced, so this profile exists on this machine only and dlt reads just the base files under it
    "#]]
    .assert_eq(&render(&fixture(pinned)));
    let prod = "//- .dlt/.workspace\n//- .dlt/profile-name\nprod\n//- .dlt/secrets.toml\n";
    expect![[r#"
        secrets.toml:1:1 info [pinned-profile-without-files] `.dlt/profile-name` pins the built-in profile `prod`, which has no `prod.config.toml` or `prod.secrets.toml`: the pin file is local and never synced, so this profile exists on this machine only and dlt reads just the base files under it
    "#]]
    .assert_eq(&render(&fixture(prod)));
}

#[test]
fn a_pin_with_files_a_dev_pin_or_a_classic_project_is_fine() {
    let with_files = "//- .dlt/.workspace\n//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\n//- .dlt/staging.secrets.toml\n";
    assert_eq!(render(&fixture(with_files)), "");
    let global = crate::test_support::fixture_with(
        "//- p/.dlt/.workspace\n//- p/.dlt/profile-name\nstaging\n//- p/.dlt/config.toml\n//- global/staging.secrets.toml\na = 1\n",
        &[],
        None,
    );
    assert_eq!(render(&global), "");
    let no_global = crate::test_support::fixture_with(
        "//- p/.dlt/.workspace\n//- p/.dlt/profile-name\nstaging\n//- p/.dlt/config.toml\n//- global/secrets.toml\n",
        &[],
        None,
    );
    assert!(render(&no_global).contains("pinned-profile-without-files"));
    let dev = "//- .dlt/.workspace\n//- .dlt/profile-name\ndev\n//- .dlt/config.toml\n";
    assert_eq!(render(&fixture(dev)), "");
    // dlt reads no pin outside a workspace.
    let classic = "//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\n";
    assert_eq!(render(&fixture(classic)), "");
}

#[test]
fn profile_files_outside_a_workspace_warn_with_a_fix_creating_the_marker() {
    let text = "//- .dlt/config.toml\n//- .dlt/prod.secrets.toml\n[x]\n//- .dlt/dev.config.toml\n";
    let snap = fixture(text);
    expect![[r#"
        dev.config.toml:1:1 warning [profile-file-outside-workspace] dlt reads profile files only in a dltHub workspace: without `.dlt/.workspace` this is a classic project and `dev.config.toml` is ignored
        prod.secrets.toml:1:1 warning [profile-file-outside-workspace] dlt reads profile files only in a dltHub workspace: without `.dlt/.workspace` this is a classic project and `prod.secrets.toml` is ignored
    "#]]
    .assert_eq(&render(&snap));
    let dir = only_folder(&snap).project_dir.clone();
    let sets = fixes(&snap, "prod.secrets.toml");
    expect![[r#"
        Create .dlt/.workspace (make this a dltHub workspace)
        --- create .dlt/.workspace
    "#]]
    .assert_eq(&show(&sets[0], &dir));
    assert!(fixes(&snap, "config.toml").is_empty());
    apply_on_disk(&sets[0]);
    let after = load(&dir);
    assert!(only_folder(&after).is_workspace);
    // Now a workspace with prod files and no access ones: only the fallback note remains.
    assert!(!render(&after).contains("profile-file-outside-workspace"));
}

#[test]
fn workspace_binding_in_secrets_or_profile_files_warns() {
    let text = "//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
workspace_id = \"w\"
organization_id = \"o\"
//- .dlt/secrets.toml
[runtime]
workspace_id = \"w\"
api_key = \"k\"
//- .dlt/dev.config.toml
[workspace.runtime]
organization_id = \"o\"
//- .dlt/access.secrets.toml
runtime.workspace_id = \"w\"
";
    expect![[r#"
        access.secrets.toml:1:9 warning [workspace-setting-misplaced] `runtime.workspace_id` belongs in `.dlt/config.toml`, where `dlthub workspace connect` writes it, not in a secrets file scoped to profile `access`
        dev.config.toml:2:1 warning [workspace-setting-misplaced] `workspace.runtime.organization_id` belongs in `.dlt/config.toml`, where `dlthub workspace connect` writes it, not in a file scoped to profile `dev`
        secrets.toml:2:1 warning [workspace-setting-misplaced] `runtime.workspace_id` belongs in `.dlt/config.toml`, where `dlthub workspace connect` writes it, not in a secrets file
    "#]]
    .assert_eq(&render(&fixture(text)));
}

#[test]
fn local_state_not_ignored_is_information_with_a_gitignore_fix() {
    let dir = git_fixture(
        "//- .dlt/.workspace\n//- .dlt/config.toml\na = 1\n//- .dlt/profile-name\ndev\n//- .dlt/state/dev/x\n//- jaffle.duckdb\n//- .gitignore\n__pycache__/\n",
    );
    let snap = load(&dir);
    expect![[r#"
        config.toml:1:1 info [local-state-not-ignored] `.dlt/profile-name`, `.dlt/state`, `jaffle.duckdb` are not covered by .gitignore: the pin file, pipeline state, local data and duckdb databases belong to this machine, and `dlthub init` ignores them so they are never committed
    "#]]
    .assert_eq(&render(&snap));
    let sets = fixes(&snap, "config.toml");
    assert_eq!(sets.len(), 1);
    expect![[r#"
        Add `.dlt/profile-name` and `.dlt/state` and `*.duckdb` to .gitignore
        --- edit .gitignore
        __pycache__/

        # dlt local state (as dlthub init writes it)
        .dlt/profile-name
        .dlt/state
        *.duckdb
    "#]]
    .assert_eq(&show(&sets[0], &dir));
    apply_on_disk(&sets[0]);
    assert_eq!(render(&load(&dir)), "");
}

#[test]
fn patterns_are_rewritten_for_the_gitignore_that_takes_them() {
    // A project below the work tree root with only the root's .gitignore: the path gets the
    // project's prefix.
    let dir = git_fixture("//- p/.dlt/config.toml\n//- p/.dlt/data/x\n//- .gitignore\n# root\n");
    let snap = load(&dir);
    assert!(render(&snap).contains("`.dlt/data` is not covered"));
    expect![[r#"
        Add `p/.dlt/data` to .gitignore
        --- edit .gitignore
        # root

        # dlt local state (as dlthub init writes it)
        p/.dlt/data
    "#]]
    .assert_eq(&show(&fixes(&snap, "config.toml")[0], &dir));
    apply_on_disk(&fixes(&snap, "config.toml")[0]);
    assert_eq!(render(&load(&dir)), "");

    // Only the `.dlt` folder has a .gitignore: the pattern is anchored there.
    let dir = git_fixture("//- .dlt/config.toml\n//- .dlt/data/x\n//- .dlt/.gitignore\n# mine\n");
    let snap = load(&dir);
    let sets = fixes(&snap, "config.toml");
    expect![[r#"
        Add `/data` to .dlt/.gitignore
        --- edit .dlt/.gitignore
        # mine

        # dlt local state (as dlthub init writes it)
        /data
    "#]]
    .assert_eq(&show(&sets[0], &dir));
    apply_on_disk(&sets[0]);
    assert_eq!(render(&load(&dir)), "");

    // A re-inclusion in the project's .gitignore is overridden by appending after it.
    let dir = git_fixture("//- .dlt/config.toml\n//- .dlt/data/x\n//- .gitignore\n!.dlt/data\n");
    let snap = load(&dir);
    apply_on_disk(&fixes(&snap, "config.toml")[0]);
    assert_eq!(render(&load(&dir)), "");
}

#[test]
fn dlthub_init_gitignore_or_no_git_means_no_local_state_finding() {
    // The dlt lines of `dlthub init`'s .gitignore (reference/dlthub-init.gitignore).
    let init =
        "secrets.toml\n*.secrets.toml\n.dlt/profile-name\n.dlt/state\n.dlt/data\n*.duckdb\n*.wal\n";
    let files = "//- .dlt/.workspace\n//- .dlt/config.toml\n//- .dlt/profile-name\ndev\n//- .dlt/state/x\n//- .dlt/data/y\n//- a.duckdb\n";
    let dir = git_fixture(files);
    std::fs::write(dir.join(".gitignore"), init).unwrap();
    assert_eq!(render(&load(&dir)), "");
    assert_eq!(render(&load(&write_fixture(files))), "");
}

#[test]
fn a_directory_only_pattern_covers_the_state_dir() {
    // `state/` matches directories only: the probe must ask about `.dlt/state` as a directory.
    let dir = git_fixture(
        "//- .dlt/config.toml\n//- .dlt/state/x\n//- .dlt/data/y\n//- .gitignore\nstate/\n",
    );
    expect![[r#"
        config.toml:1:1 info [local-state-not-ignored] `.dlt/data` is not covered by .gitignore: the pin file, pipeline state, local data and duckdb databases belong to this machine, and `dlthub init` ignores them so they are never committed
    "#]]
    .assert_eq(&render(&load(&dir)));
}

#[test]
fn one_fix_per_finding_and_none_away_from_it() {
    // Two findings on the first line of config.toml (pin and local state), one fix each that
    // has one; the pin finding has none.
    let dir = git_fixture(
        "//- .dlt/.workspace\n//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\na = 1\nb = 2\n",
    );
    let snap = load(&dir);
    let titles: Vec<String> = fixes(&snap, "config.toml")
        .into_iter()
        .map(|s| s.title)
        .collect();
    assert_eq!(titles, ["Add `.dlt/profile-name` to .gitignore"]);
    let folder = only_folder(&snap);
    let config = folder.file("config.toml").unwrap();
    let second_line = Span::new(6, 11);
    assert!(hygiene_fixes(&snap, folder, config, second_line).is_empty());
}
