//! Profiles as dlt 1.31 sees them: the built-ins, custom ones, the active one, which files a
//! profile reads, and where dlt's global settings dir is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::files::{FileKind, FileRole};
use super::source::SourceFile;
use super::workspace::DltFolder;

/// Profiles dlt defines (`dlt/_workspace/profile.py`, `BUILT_IN_PROFILES`), in display order.
pub const BUILT_IN_PROFILES: [&str; 4] = ["dev", "tests", "prod", "access"];
/// Profiles that are never synced to the platform (`LOCAL_PROFILES`).
pub const LOCAL_PROFILES: [&str; 2] = ["dev", "tests"];
/// The profile used when nothing selects one (`DEFAULT_PROFILE`).
pub const DEFAULT_PROFILE: &str = "dev";
/// Environment variable that selects the profile.
pub const PROFILE_ENV: &str = "WORKSPACE__PROFILE";

/// Whether dlt reads profile files in a folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// No `.dlt/.workspace`: only `config.toml` and `secrets.toml` are read.
    Classic,
    /// `.dlt/.workspace` exists: profile-scoped files are read too.
    Workspace,
}

impl Mode {
    /// The mode of a folder.
    pub fn of(folder: &DltFolder) -> Mode {
        if folder.is_workspace {
            Mode::Workspace
        } else {
            Mode::Classic
        }
    }
}

/// One profile a folder knows about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// One of dlt's four built-ins.
    pub built_in: bool,
    /// Never synced (dev, tests); the others are synced by `dlthub workspace configuration sync`.
    pub local: bool,
}

impl Profile {
    /// Describes a profile by name.
    pub fn named(name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            built_in: BUILT_IN_PROFILES.contains(&name),
            local: LOCAL_PROFILES.contains(&name),
        }
    }
}

/// Why a profile is the active one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveFrom {
    /// `WORKSPACE__PROFILE` in the environment.
    Env,
    /// The pin file `.dlt/profile-name`.
    Pin,
    /// Nothing selected one: `dev`.
    Default,
}

/// The profile dlt would activate, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveProfile {
    pub name: String,
    pub from: ActiveFrom,
}

/// The active profile: the environment, else the pin, else `dev` (`plug_workspace_context_impl`).
pub fn active_profile(folder: &DltFolder, env: &BTreeMap<String, String>) -> ActiveProfile {
    // dlt tests the variable with a plain truthiness check, so an empty value does not count.
    if let Some(name) = env.get(PROFILE_ENV).filter(|v| !v.is_empty()) {
        return ActiveProfile {
            name: name.clone(),
            from: ActiveFrom::Env,
        };
    }
    if let Some(name) = &folder.pinned_profile {
        return ActiveProfile {
            name: name.clone(),
            from: ActiveFrom::Pin,
        };
    }
    ActiveProfile {
        name: DEFAULT_PROFILE.to_string(),
        from: ActiveFrom::Default,
    }
}

/// Every profile worth showing for a folder: the built-ins, then custom ones (from the pin,
/// the environment and `{name}.config.toml` / `{name}.secrets.toml` files), sorted by name.
pub fn profiles(folder: &DltFolder, env: &BTreeMap<String, String>) -> Vec<Profile> {
    let mut out: Vec<Profile> = BUILT_IN_PROFILES
        .iter()
        .map(|n| Profile::named(n))
        .collect();
    let mut custom: Vec<String> = folder
        .files
        .values()
        .filter_map(|f| match &f.role {
            FileRole::Profile { profile, .. } => Some(profile.clone()),
            _ => None,
        })
        .collect();
    custom.extend(folder.pinned_profile.clone());
    custom.push(active_profile(folder, env).name);
    custom.sort();
    custom.dedup();
    out.extend(
        custom
            .iter()
            .filter(|n| !BUILT_IN_PROFILES.contains(&n.as_str()))
            .map(|n| Profile::named(n)),
    );
    out
}

/// Whether the folder has a `{profile}.config.toml` or `{profile}.secrets.toml`.
pub fn has_profile_files(folder: &DltFolder, profile: &str) -> bool {
    folder
        .files
        .values()
        .any(|f| matches!(&f.role, FileRole::Profile { profile: p, .. } if p == profile))
}

/// The platform's rule (not local resolution, where `access` never reads prod files): when a
/// workspace has `prod` files and no `access` files, interactive jobs on the platform run with
/// the `prod` profile (`warn_missing_profiles`: "No 'access' profile detected").
pub fn access_falls_back_to_prod(folder: &DltFolder) -> bool {
    folder.is_workspace && has_profile_files(folder, "prod") && !has_profile_files(folder, "access")
}

/// Where a file sits in one provider's merge order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    /// `.dlt/{profile}.{kind}.toml`.
    Profile,
    /// `.dlt/{kind}.toml`.
    Base,
    /// `<global>/{profile}.{kind}.toml`.
    GlobalProfile,
    /// `<global>/{kind}.toml`.
    GlobalBase,
}

impl Layer {
    /// Whether the file lives in the global dir.
    pub fn is_global(self) -> bool {
        matches!(self, Layer::GlobalProfile | Layer::GlobalBase)
    }
}

/// The files one provider (`kind`) merges for `profile`, highest precedence first
/// (`ProfilePathMixin._resolve_toml_paths`); missing files are skipped.
pub fn provider_files(
    folder: &DltFolder,
    global: Option<&DltFolder>,
    profile: &str,
    kind: FileKind,
) -> Vec<(Layer, Arc<SourceFile>)> {
    let base = kind.base_name();
    let profiled = format!("{profile}.{base}");
    let workspace = folder.is_workspace;
    let mut out = Vec::new();
    let mut push = |layer: Layer, dir: Option<&DltFolder>, name: &str| {
        if let Some(f) = dir.and_then(|d| d.file(name)) {
            out.push((layer, f.clone()));
        }
    };
    // Classic projects read no profile file, neither locally nor in the global dir.
    if workspace {
        push(Layer::Profile, Some(folder), &profiled);
    }
    push(Layer::Base, Some(folder), base);
    if workspace {
        push(Layer::GlobalProfile, global, &profiled);
    }
    push(Layer::GlobalBase, global, base);
    out
}

/// Whether dlt reads `file` of `folder` when `profile` is active.
pub fn reads_file(folder: &DltFolder, profile: &str, file: &SourceFile) -> bool {
    match &file.role {
        FileRole::Base(_) => true,
        FileRole::Profile { profile: p, .. } => folder.is_workspace && p == profile,
        FileRole::Misnamed { .. } | FileRole::Other => false,
    }
}

/// What decides dlt's global dir, gathered so the rule can be tested.
#[derive(Debug, Clone, Default)]
pub struct GlobalDirInputs {
    /// Effective user id; root gets `/var/dlt`.
    pub euid: Option<u32>,
    /// The home directory, when there is one.
    pub home: Option<PathBuf>,
    /// Whether the home directory is writable.
    pub home_writable: bool,
    /// Whether `~/.dlt` is an existing directory.
    pub home_dot_dlt_exists: bool,
    /// `XDG_DATA_HOME`, when set.
    pub xdg_data_home: Option<String>,
    /// The system temporary directory.
    pub temp_dir: PathBuf,
}

/// dlt's global dir (`common/runtime/run_context.py`, `global_dir`), first match wins.
pub fn global_dir(inputs: &GlobalDirInputs) -> PathBuf {
    if inputs.euid == Some(0) {
        return PathBuf::from("/var/dlt");
    }
    let Some(home) = inputs.home.as_ref().filter(|_| inputs.home_writable) else {
        return inputs.temp_dir.join("dlt");
    };
    // dlt tests `"XDG_DATA_HOME" in os.environ`, so even an empty value counts.
    if let Some(xdg) = &inputs.xdg_data_home {
        if !inputs.home_dot_dlt_exists {
            return Path::new(xdg).join("dlt");
        }
    }
    home.join(".dlt")
}

/// Gathers [`GlobalDirInputs`] from `env` and the running process.
pub fn global_dir_inputs(env: &BTreeMap<String, String>) -> GlobalDirInputs {
    let home = env.get("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    GlobalDirInputs {
        euid: effective_uid(),
        home_writable: home.as_ref().is_some_and(|h| is_writable_dir(h)),
        home_dot_dlt_exists: home.as_ref().is_some_and(|h| h.join(".dlt").is_dir()),
        home,
        xdg_data_home: env.get("XDG_DATA_HOME").cloned(),
        temp_dir: std::env::temp_dir(),
    }
}

/// The effective uid of this process: `/proc/self` belongs to it (Linux); None elsewhere.
fn effective_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

fn is_writable_dir(dir: &Path) -> bool {
    std::fs::metadata(dir)
        .map(|m| m.is_dir() && !m.permissions().readonly())
        .unwrap_or(false)
}

/// Reads the global dir's TOML files as a folder; `None` when the directory does not exist.
pub fn load_global_folder(dir: &Path) -> Option<DltFolder> {
    if !dir.is_dir() {
        return None;
    }
    let mut folder = DltFolder::load(dir);
    // A global dir has no marker or pin of its own; the project's decide.
    folder.is_workspace = false;
    folder.pinned_profile = None;
    Some(folder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::fixture;

    fn inputs() -> GlobalDirInputs {
        GlobalDirInputs {
            euid: Some(1000),
            home: Some("/home/u".into()),
            home_writable: true,
            home_dot_dlt_exists: false,
            xdg_data_home: None,
            temp_dir: "/tmp".into(),
        }
    }

    #[test]
    fn finds_the_global_dir_as_dlt_does() {
        assert_eq!(
            global_dir(&GlobalDirInputs {
                euid: Some(0),
                ..inputs()
            }),
            Path::new("/var/dlt")
        );
        assert_eq!(global_dir(&inputs()), Path::new("/home/u/.dlt"));
        let xdg = GlobalDirInputs {
            xdg_data_home: Some("/x".into()),
            ..inputs()
        };
        assert_eq!(global_dir(&xdg), Path::new("/x/dlt"));
        // An existing ~/.dlt wins over XDG_DATA_HOME.
        assert_eq!(
            global_dir(&GlobalDirInputs {
                home_dot_dlt_exists: true,
                ..xdg
            }),
            Path::new("/home/u/.dlt")
        );
        assert_eq!(
            global_dir(&GlobalDirInputs {
                home_writable: false,
                ..inputs()
            }),
            Path::new("/tmp/dlt")
        );
        assert_eq!(
            global_dir(&GlobalDirInputs {
                home: None,
                ..inputs()
            }),
            Path::new("/tmp/dlt")
        );
    }

    #[test]
    fn active_profile_is_env_then_pin_then_dev() {
        let snap = fixture(
            "//- p/.dlt/.workspace\n//- p/.dlt/profile-name\nstaging\n//- p/.dlt/ci.config.toml\n",
        );
        let folder = snap.folders.values().next().unwrap();
        let mut env = BTreeMap::new();
        assert_eq!(
            active_profile(folder, &env),
            ActiveProfile {
                name: "staging".into(),
                from: ActiveFrom::Pin
            }
        );
        env.insert(PROFILE_ENV.to_string(), "prod".to_string());
        assert_eq!(
            active_profile(folder, &env),
            ActiveProfile {
                name: "prod".into(),
                from: ActiveFrom::Env
            }
        );
        let names: Vec<_> = profiles(folder, &env).into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["dev", "tests", "prod", "access", "ci", "staging"]);
        let mut unpinned = (**folder).clone();
        unpinned.pinned_profile = None;
        assert_eq!(active_profile(&unpinned, &BTreeMap::new()).name, "dev");
    }

    #[test]
    fn classic_projects_read_no_profile_files() {
        let text =
            "//- p/.dlt/config.toml\n//- p/.dlt/prod.config.toml\n//- p/.dlt/config.prod.toml\n";
        let snap = fixture(text);
        let folder = snap.folders.values().next().unwrap();
        assert_eq!(Mode::of(folder), Mode::Classic);
        let names = |f: &DltFolder| -> Vec<String> {
            provider_files(f, None, "prod", FileKind::Config)
                .iter()
                .map(|(_, f)| f.name.clone())
                .collect()
        };
        assert_eq!(names(folder), ["config.toml"]);
        let mut ws = (**folder).clone();
        ws.is_workspace = true;
        assert_eq!(names(&ws), ["prod.config.toml", "config.toml"]);
    }
}
