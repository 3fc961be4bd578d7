use super::*;
use crate::model::profiles::profiles;
use crate::test_support::{fixture, fixture_with};
use expect_test::{expect, Expect};

/// One line per profile: value, where it comes from, and the path that answered.
fn explain(snap: &Snapshot, key: &str) -> String {
    let folder = snap.folders.values().next().unwrap();
    let resolver = Resolver::new(snap, folder);
    let lookup = Lookup::classify(&parse_dotted(key), folder.is_workspace).unwrap();
    let mut out = String::new();
    for p in profiles(folder, &snap.context.env) {
        let line = match resolver.resolve(&lookup, &p.name) {
            Some(f) => format!(
                "{}: {} @ {} [{}{}]\n",
                p.name,
                f.value.to_toml(),
                f.origin.label(),
                if f.pipeline_pass {
                    "pipeline pass: "
                } else {
                    ""
                },
                f.path.join(".")
            ),
            None => format!("{}: unset\n", p.name),
        };
        out.push_str(&line);
    }
    out
}

fn check(snap: &Snapshot, key: &str, want: Expect) {
    want.assert_eq(&explain(snap, key));
}

#[test]
fn lookup_paths_follow_the_owning_spec() {
    let paths = |key: &str, ws: bool| -> Vec<String> {
        Lookup::classify(&parse_dotted(key), ws)
            .unwrap()
            .paths()
            .iter()
            .map(|p| p.join("."))
            .collect()
    };
    assert_eq!(
        paths("destination.warehouse.credentials.password", true),
        [
            "destination.warehouse.credentials.password",
            "destination.credentials.password",
            "credentials.password"
        ]
    );
    assert_eq!(
        paths("destination.warehouse.bucket_url", true),
        [
            "destination.warehouse.bucket_url",
            "destination.bucket_url",
            "bucket_url"
        ]
    );
    assert_eq!(
        paths("destination.warehouse.credentials", true),
        [
            "destination.warehouse.credentials",
            "destination.credentials",
            "credentials"
        ]
    );
    assert_eq!(
        paths("destination.warehouse.destination_type", true),
        ["destination.warehouse.destination_type"]
    );
    assert_eq!(
        paths("runtime.log_level", true),
        ["workspace.runtime.log_level", "runtime.log_level"]
    );
    assert_eq!(paths("runtime.log_level", false), ["runtime.log_level"]);
    assert_eq!(
        paths("workspace.settings.name", true),
        ["workspace.settings.name", "settings.name"]
    );
    assert_eq!(
        paths("sources.chess.chess_source.api_key", true),
        [
            "sources.chess.chess_source.api_key",
            "sources.chess.api_key",
            "sources.chess_source.api_key",
            "sources.api_key",
            "api_key"
        ]
    );
    assert_eq!(
        paths(
            "sources.sql_database.sql_database.credentials.password",
            true
        ),
        [
            "sources.sql_database.sql_database.credentials.password",
            "sources.sql_database.credentials.password",
            "sources.credentials.password",
            "credentials.password"
        ]
    );
    assert_eq!(
        paths("normalize.parquet_normalizer.add_dlt_load_id", true),
        [
            "normalize.parquet_normalizer.add_dlt_load_id",
            "normalize.add_dlt_load_id",
            "add_dlt_load_id"
        ]
    );
    let l = Lookup::classify(&parse_dotted("destination.pg.credentials.password"), true).unwrap();
    assert!(l.secret);
    assert_eq!(
        env_var_name(&l.all_paths(Some("my_pipe"))[0]),
        "MY_PIPE__DESTINATION__PG__CREDENTIALS__PASSWORD"
    );
    assert_eq!(parse_dotted("a.\"b.c\".d"), ["a", "b.c", "d"]);
}

const WS: &str = "//- p/.dlt/.workspace\n";

#[test]
fn profile_file_beats_workspace_file() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/config.toml\n[runtime]\nlog_level = \"WARNING\"\n//- p/.dlt/prod.config.toml\n[runtime]\nlog_level = \"INFO\"\n"
    ));
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: "WARNING" @ config.toml:2 [runtime.log_level]
        tests: "WARNING" @ config.toml:2 [runtime.log_level]
        prod: "INFO" @ prod.config.toml:2 [runtime.log_level]
        access: "WARNING" @ config.toml:2 [runtime.log_level]
    "#]],
    );
}

#[test]
fn secrets_beat_config_even_across_profiles() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/secrets.toml\n[destination.pg.credentials]\nhost = \"from-secrets\"\n\
         //- p/.dlt/prod.config.toml\n[destination.pg.credentials]\nhost = \"from-prod-config\"\n"
    ));
    check(
        &snap,
        "destination.pg.credentials.host",
        expect![[r#"
        dev: "from-secrets" @ secrets.toml:2 [destination.pg.credentials.host]
        tests: "from-secrets" @ secrets.toml:2 [destination.pg.credentials.host]
        prod: "from-secrets" @ secrets.toml:2 [destination.pg.credentials.host]
        access: "from-secrets" @ secrets.toml:2 [destination.pg.credentials.host]
    "#]],
    );
}

#[test]
fn a_shorter_path_in_secrets_beats_the_exact_path_in_config() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/secrets.toml\n[credentials]\nhost = \"short-secret\"\n\
         //- p/.dlt/config.toml\n[destination.warehouse.credentials]\nhost = \"exact-config\"\n"
    ));
    check(
        &snap,
        "destination.warehouse.credentials.host",
        expect![[r#"
        dev: "short-secret" @ secrets.toml:2 [credentials.host]
        tests: "short-secret" @ secrets.toml:2 [credentials.host]
        prod: "short-secret" @ secrets.toml:2 [credentials.host]
        access: "short-secret" @ secrets.toml:2 [credentials.host]
    "#]],
    );
}

#[test]
fn the_exact_path_in_the_base_file_beats_a_shorter_path_in_the_profile_file() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"base-exact\"\n\
         //- p/.dlt/prod.secrets.toml\n[destination.credentials]\npassword = \"prod-short\"\n"
    ));
    check(
        &snap,
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: "base-exact" @ secrets.toml:2 [destination.warehouse.credentials.password]
        tests: "base-exact" @ secrets.toml:2 [destination.warehouse.credentials.password]
        prod: "base-exact" @ secrets.toml:2 [destination.warehouse.credentials.password]
        access: "base-exact" @ secrets.toml:2 [destination.warehouse.credentials.password]
    "#]],
    );
    // The bare field is never a credentials path.
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/secrets.toml\npassword = \"bare\"\n[destination.warehouse]\npassword = \"x\"\n"
    ));
    check(
        &snap,
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: unset
        tests: unset
        prod: unset
        access: unset
    "#]],
    );
}

#[test]
fn workspace_runtime_beats_runtime_only_in_a_workspace() {
    let files = "//- p/.dlt/config.toml\n[workspace.runtime]\nlog_level = \"CRITICAL\"\n\
                 //- p/.dlt/dev.config.toml\n[runtime]\nlog_level = \"INFO\"\n";
    check(
        &fixture(&format!("{WS}{files}")),
        "runtime.log_level",
        expect![[r#"
        dev: "CRITICAL" @ config.toml:2 [workspace.runtime.log_level]
        tests: "CRITICAL" @ config.toml:2 [workspace.runtime.log_level]
        prod: "CRITICAL" @ config.toml:2 [workspace.runtime.log_level]
        access: "CRITICAL" @ config.toml:2 [workspace.runtime.log_level]
    "#]],
    );
    // A classic project reads neither `[workspace.runtime]` nor dev.config.toml.
    check(
        &fixture(files),
        "runtime.log_level",
        expect![[r#"
        dev: unset
        tests: unset
        prod: unset
        access: unset
    "#]],
    );
}

#[test]
fn environment_variables_win_at_any_path_and_only_upper_case() {
    let files =
        format!("{WS}//- p/.dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod-secret\"\n");
    let snap = fixture_with(&files, &[("CREDENTIALS__PASSWORD", "short-env")], None);
    check(
        &snap,
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: "short-env" @ env CREDENTIALS__PASSWORD [credentials.password]
        tests: "short-env" @ env CREDENTIALS__PASSWORD [credentials.password]
        prod: "short-env" @ env CREDENTIALS__PASSWORD [credentials.password]
        access: "short-env" @ env CREDENTIALS__PASSWORD [credentials.password]
    "#]],
    );
    let snap = fixture_with(
        &files,
        &[("destination__warehouse__credentials__password", "lower")],
        None,
    );
    check(
        &snap,
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: unset
        tests: unset
        prod: "prod-secret" @ prod.secrets.toml:2 [destination.warehouse.credentials.password]
        access: unset
    "#]],
    );
    let snap = fixture_with(
        &files,
        &[
            ("RUNTIME__LOG_LEVEL", "DEBUG"),
            ("WORKSPACE__PROFILE", "prod"),
        ],
        None,
    );
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: "DEBUG" @ env RUNTIME__LOG_LEVEL [runtime.log_level]
        tests: "DEBUG" @ env RUNTIME__LOG_LEVEL [runtime.log_level]
        prod: "DEBUG" @ env RUNTIME__LOG_LEVEL [runtime.log_level]
        access: "DEBUG" @ env RUNTIME__LOG_LEVEL [runtime.log_level]
    "#]],
    );
}

#[test]
fn classic_projects_ignore_profile_files() {
    let files = "//- p/.dlt/config.toml\n[destination.warehouse]\ndestination_type = \"duckdb\"\n\
                 //- p/.dlt/prod.config.toml\n[destination.warehouse]\ndestination_type = \"postgres\"\n";
    check(
        &fixture(files),
        "destination.warehouse.destination_type",
        expect![[r#"
        dev: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
        tests: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
        prod: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
        access: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
    "#]],
    );
    check(
        &fixture(&format!("{WS}{files}")),
        "destination.warehouse.destination_type",
        expect![[r#"
        dev: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
        tests: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
        prod: "postgres" @ prod.config.toml:2 [destination.warehouse.destination_type]
        access: "duckdb" @ config.toml:2 [destination.warehouse.destination_type]
    "#]],
    );
}

#[test]
fn a_pinned_custom_profile_reads_its_files() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/profile-name\n  staging  \nsecond line\n//- p/.dlt/staging.config.toml\n[runtime]\nlog_level = \"ERROR\"\n"
    ));
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: unset
        tests: unset
        prod: unset
        access: unset
        staging: "ERROR" @ staging.config.toml:2 [runtime.log_level]
    "#]],
    );
}

#[test]
fn tables_merge_across_files_and_lists_are_replaced() {
    let snap = fixture(&format!(
        "{WS}//- p/.dlt/config.toml\n[sources.chess]\nregion = \"eu\"\nplayers = [\"a\", \"b\"]\n\
         //- p/.dlt/dev.config.toml\n[sources.chess]\nmax_players = 2\nplayers = [\"c\"]\n"
    ));
    check(
        &snap,
        "sources.chess",
        expect![[r#"
            dev: { max_players = 2, players = ["c"], region = "eu" } @ config.toml:1 [sources.chess]
            tests: { region = "eu", players = ["a", "b"] } @ config.toml:1 [sources.chess]
            prod: { region = "eu", players = ["a", "b"] } @ config.toml:1 [sources.chess]
            access: { region = "eu", players = ["a", "b"] } @ config.toml:1 [sources.chess]
        "#]],
    );
    check(
        &snap,
        "sources.chess.players",
        expect![[r#"
        dev: ["c"] @ dev.config.toml:3 [sources.chess.players]
        tests: ["a", "b"] @ config.toml:3 [sources.chess.players]
        prod: ["a", "b"] @ config.toml:3 [sources.chess.players]
        access: ["a", "b"] @ config.toml:3 [sources.chess.players]
    "#]],
    );
    check(
        &snap,
        "sources.chess.region",
        expect![[r#"
        dev: "eu" @ config.toml:2 [sources.chess.region]
        tests: "eu" @ config.toml:2 [sources.chess.region]
        prod: "eu" @ config.toml:2 [sources.chess.region]
        access: "eu" @ config.toml:2 [sources.chess.region]
    "#]],
    );
}

#[test]
fn global_dir_comes_after_the_project_files() {
    let g = "//- global/prod.config.toml\n[runtime]\nlog_level = \"GLOBAL-PROD\"\n\
             //- global/config.toml\n[runtime]\nlog_level = \"GLOBAL\"\n";
    let snap = fixture_with(&format!("{WS}{g}//- p/.dlt/secrets.toml\n"), &[], None);
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
        tests: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
        prod: "GLOBAL-PROD" @ global:prod.config.toml:2 [runtime.log_level]
        access: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
    "#]],
    );
    let snap = fixture_with(
        &format!("{WS}{g}//- p/.dlt/config.toml\n[runtime]\nlog_level = \"LOCAL\"\n"),
        &[],
        None,
    );
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: "LOCAL" @ config.toml:2 [runtime.log_level]
        tests: "LOCAL" @ config.toml:2 [runtime.log_level]
        prod: "LOCAL" @ config.toml:2 [runtime.log_level]
        access: "LOCAL" @ config.toml:2 [runtime.log_level]
    "#]],
    );
    // A classic project reads the global base files but no global profile file.
    let snap = fixture_with(&format!("{g}//- p/.dlt/secrets.toml\n"), &[], None);
    check(
        &snap,
        "runtime.log_level",
        expect![[r#"
        dev: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
        tests: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
        prod: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
        access: "GLOBAL" @ global:config.toml:2 [runtime.log_level]
    "#]],
    );
}

#[test]
fn the_pipeline_pass_runs_first() {
    let files =
        format!("{WS}//- p/.dlt/secrets.toml\n[my_pipe.destination.warehouse.credentials]\npassword = \"pipe\"\n");
    let env = [("DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD", "env")];
    check(
        &fixture_with(&files, &env, Some("my_pipe")),
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: "pipe" @ secrets.toml:2 [pipeline pass: my_pipe.destination.warehouse.credentials.password]
        tests: "pipe" @ secrets.toml:2 [pipeline pass: my_pipe.destination.warehouse.credentials.password]
        prod: "pipe" @ secrets.toml:2 [pipeline pass: my_pipe.destination.warehouse.credentials.password]
        access: "pipe" @ secrets.toml:2 [pipeline pass: my_pipe.destination.warehouse.credentials.password]
    "#]],
    );
    check(
        &fixture_with(&files, &env, None),
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
        tests: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
        prod: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
        access: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
    "#]],
    );
}

#[test]
fn sites_and_file_status() {
    let snap = fixture_with(
        &format!(
            "{WS}//- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\npassword = \"base\"\n\
             //- p/.dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod\"\n\
             //- p/.dlt/config.prod.toml\n[destination.warehouse.credentials]\npassword = \"never\"\n\
             //- global/secrets.toml\n[credentials]\npassword = \"g\"\n"
        ),
        &[],
        None,
    );
    let folder = snap.folders.values().next().unwrap();
    let r = Resolver::new(&snap, folder);
    let lookup = Lookup::classify(
        &parse_dotted("destination.warehouse.credentials.password"),
        true,
    )
    .unwrap();
    let sites: Vec<String> = r
        .sites(&lookup)
        .iter()
        .map(|s| format!("{} {}", s.origin.label(), s.path.join(".")))
        .collect();
    assert_eq!(
        sites,
        [
            "prod.secrets.toml:2 destination.warehouse.credentials.password",
            "secrets.toml:2 destination.warehouse.credentials.password",
            "global:secrets.toml:2 credentials.password"
        ]
    );
    let base = folder.file("secrets.toml").unwrap();
    let prod = folder.file("prod.secrets.toml").unwrap();
    assert_eq!(
        r.file_status(&lookup, &lookup.written, "dev", base),
        FileStatus::Effective
    );
    assert!(
        matches!(r.file_status(&lookup, &lookup.written, "prod", base), FileStatus::ShadowedBy(f) if f.origin.label() == "prod.secrets.toml:2")
    );
    assert_eq!(
        r.file_status(&lookup, &lookup.written, "dev", prod),
        FileStatus::NotRead
    );
    assert_eq!(
        r.file_status(&lookup, &lookup.written, "prod", prod),
        FileStatus::Effective
    );
    assert_eq!(
        r.file_status(
            &lookup,
            &lookup.written,
            "prod",
            folder.file("config.prod.toml").unwrap()
        ),
        FileStatus::NotRead
    );
}

#[test]
fn parses_connection_strings_as_dlt_does() {
    let show = |s: &str| -> String {
        match parse_connection_string(s) {
            Some(fields) => fields
                .iter()
                .map(|(k, v)| format!("{k}={}", v.to_toml()))
                .collect::<Vec<_>>()
                .join(" "),
            None => "not a URL".into(),
        }
    };
    assert_eq!(
        show("postgresql://u:p%40ss@h:6543/db?sslmode=require&x=1"),
        r#"drivername="postgresql" username="u" password="p@ss" host="h" port=6543 database="db" query={ sslmode = "require", x = "1" }"#
    );
    assert_eq!(
        show("duckdb:///data/x.duckdb"),
        r#"drivername="duckdb" database="data/x.duckdb""#
    );
    assert_eq!(
        show("mssql://user@[::1]/db"),
        r#"drivername="mssql" username="user" host="::1" database="db""#
    );
    assert_eq!(
        show("snowflake://u:p@acct/db/schema?warehouse=w"),
        r#"drivername="snowflake" username="u" password="p" host="acct" database="db/schema" query={ warehouse = "w" }"#
    );
    assert_eq!(show(":pipeline:"), "not a URL");
    assert_eq!(
        show("pg://u:%é%4@h"),
        r#"drivername="pg" username="u" password="%é%4" host="h""#
    );
}

#[test]
fn a_native_connection_string_sets_fields_before_any_field_lookup() {
    let files = format!(
        "{WS}//- p/.dlt/prod.secrets.toml\n[destination.warehouse]\n\
         credentials = \"postgresql://native_user:native%40pw@native-host:6543/native_db\"\n\
         //- p/.dlt/secrets.toml\n[destination.warehouse.credentials]\nusername = \"base\"\nquery = {{ a = \"b\" }}\n"
    );
    let snap = fixture_with(
        &files,
        &[("DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD", "env")],
        None,
    );
    check(
        &snap,
        "destination.warehouse.credentials.password",
        expect![[r#"
        dev: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
        tests: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
        prod: "native@pw" @ prod.secrets.toml:2 [destination.warehouse.credentials]
        access: "env" @ env DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD [destination.warehouse.credentials.password]
    "#]],
    );
    // A field the string does not set falls back to the ordinary lookup; under prod the
    // string replaced the base table in the merged secrets, so nothing is left.
    check(
        &snap,
        "destination.warehouse.credentials.query",
        expect![[r#"
            dev: { a = "b" } @ secrets.toml:3 [destination.warehouse.credentials.query]
            tests: { a = "b" } @ secrets.toml:3 [destination.warehouse.credentials.query]
            prod: unset
            access: { a = "b" } @ secrets.toml:3 [destination.warehouse.credentials.query]
        "#]],
    );
}
