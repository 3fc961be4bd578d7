//! Server settings from `initializationOptions` and `workspace/didChangeConfiguration`.

use serde::Deserialize;

/// Options the client may send; every field is optional and unknown fields are ignored.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Milliseconds to wait after an edit before diagnosing.
    pub diagnostics_debounce_ms: u64,
    /// How to run the dlthub CLI.
    pub cli: CliSettings,
    /// The same as `cli.path`, as a flat key (the VS Code extension sends `cliPath`).
    #[serde(deserialize_with = "argv")]
    pub cli_path: Option<Vec<String>>,
    /// A pipeline name: adds dlt's pipeline-prefixed lookup pass.
    pub pipeline_name: Option<String>,
    /// dlt's global settings dir, instead of the one dlt would find.
    pub global_dir: Option<std::path::PathBuf>,
    /// Inlay hints after values that another file overrides.
    pub inlay_hints: bool,
    /// False when the editor marks the folder untrusted: then the project's own `.venv`
    /// program is never run, only the settings and PATH count.
    pub trusted: bool,
}

/// `dlt.cli.*` settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct CliSettings {
    /// The program and its leading arguments, e.g. `["uv", "run", "dlthub"]` (a string is one word).
    #[serde(deserialize_with = "argv")]
    pub path: Option<Vec<String>>,
}

fn argv<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Argv {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Argv>::deserialize(d)? {
        Some(Argv::One(s)) if !s.is_empty() => Some(vec![s]),
        Some(Argv::Many(v)) if !v.is_empty() => Some(v),
        _ => None,
    })
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            diagnostics_debounce_ms: 15,
            cli: CliSettings::default(),
            cli_path: None,
            pipeline_name: None,
            global_dir: None,
            inlay_hints: true,
            trusted: true,
        }
    }
}

impl Settings {
    /// The dlthub program setting, from `cli.path` or `cliPath`.
    pub fn cli_argv(&self) -> Option<&[String]> {
        self.cli.path.as_deref().or(self.cli_path.as_deref())
    }

    /// Reads options as any client sends them: absent, `null`, `{}`, `[]` (Neovim's empty
    /// table), or an object, possibly nested under a `dlt` key.
    pub fn from_json(value: Option<&serde_json::Value>) -> Settings {
        let Some(v) = value else {
            return Settings::default();
        };
        let v = v.get("dlt").unwrap_or(v);
        match v {
            serde_json::Value::Object(_) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                tracing::warn!("ignoring invalid dlt-lsp settings: {e}");
                Settings::default()
            }),
            _ => Settings::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_every_shape_editors_send() {
        for v in [
            None,
            Some(json!(null)),
            Some(json!({})),
            Some(json!([])),
            Some(json!("x")),
        ] {
            assert_eq!(Settings::from_json(v.as_ref()), Settings::default());
        }
        let s = Settings::from_json(Some(&json!({"dlt": {"diagnosticsDebounceMs": 0}})));
        assert_eq!(s.diagnostics_debounce_ms, 0);
        let s = Settings::from_json(Some(
            &json!({"cli": {"path": ["uv", "run", "dlthub"]}, "trusted": false}),
        ));
        assert_eq!(s.cli.path.unwrap(), ["uv", "run", "dlthub"]);
        assert!(!s.trusted);
        let s = Settings::from_json(Some(&json!({"cli": {"path": "/opt/dlthub"}})));
        assert_eq!(s.cli.path.unwrap(), ["/opt/dlthub"]);
    }
}
