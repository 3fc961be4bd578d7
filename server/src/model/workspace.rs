//! The analysed state of every `.dlt/` folder: an immutable [`Snapshot`] that features read,
//! replaced folder by folder as files change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::discovery::{self, DirScan, WalkLimits};
use super::folder_files::Files;
pub use super::folder_map::FolderMap;
use super::git::{FolderGit, GitCache};
use super::listings::ListedDirs;
use super::source::SourceFile;

/// Name of the marker file that turns a `.dlt/` folder into a dltHub workspace.
pub const WORKSPACE_MARKER: &str = ".workspace";
/// Name of the file that pins the active profile.
pub const PIN_FILE: &str = "profile-name";

/// One `.dlt/` folder and its TOML files.
#[derive(Debug, Clone)]
pub struct DltFolder {
    /// The `.dlt` directory.
    pub dlt_dir: PathBuf,
    /// The project directory that owns it (its parent).
    pub project_dir: PathBuf,
    /// `.dlt/.workspace` exists: profiles are active.
    pub is_workspace: bool,
    /// First line of `.dlt/profile-name`, stripped, when present and not empty.
    pub pinned_profile: Option<String>,
    /// Files by name.
    pub files: Files,
    /// Git's view of the folder; `None` outside a git work tree (then nothing git-related is said).
    pub git: Option<Arc<FolderGit>>,
    /// Machine-local paths dlt writes that exist (see [`LocalPath`]), probed with the meta.
    pub local_paths: Vec<LocalPath>,
}

/// A path dlt or dlthub keeps on one machine and that should never be committed: the pin file,
/// the per-profile state and data dirs, a local duckdb database (what `dlthub init` ignores).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath {
    /// Relative to the project dir, `/` separators: `.dlt/state`, `jaffle.duckdb`.
    pub rel: String,
    /// A directory (`.dlt/state`, `.dlt/data`), so directory-only ignore patterns apply.
    pub is_dir: bool,
}

/// Local paths inside `.dlt` that `dlthub init` ignores.
pub const LOCAL_DLT_PATHS: [&str; 3] = [PIN_FILE, "state", "data"];

/// The `.dlt` folder whose local paths (see [`probe_local_paths`]) a changed `path` may be one
/// of: a `*.duckdb` file (in `.dlt` or next to it) or anything below a directory inside `.dlt`
/// (`.dlt/state/…`, `.dlt/data/…`). `None` for every other path, the folder's own TOML files
/// included.
pub fn local_state_owner(path: &Path) -> Option<PathBuf> {
    let is_dot_dlt = |a: &Path| a.file_name().is_some_and(|n| n == discovery::DOT_DLT);
    let below_a_dlt_subdir = path.ancestors().skip(2).any(is_dot_dlt);
    if !(below_a_dlt_subdir || path.extension().is_some_and(|x| x == "duckdb")) {
        return None;
    }
    path.ancestors()
        .find(|a| is_dot_dlt(a))
        .map(PathBuf::from)
        .or_else(|| Some(path.parent()?.join(discovery::DOT_DLT)))
}

/// The local paths of a project that exist: [`LOCAL_DLT_PATHS`], and `*.duckdb` files in the
/// project dir and in `.dlt` (where dlt creates `<pipeline>.duckdb` by default). `scan` is the
/// `.dlt` folder's listing.
fn probe_local_paths(dlt_dir: &Path, scan: &DirScan) -> Vec<LocalPath> {
    let mut out: Vec<LocalPath> = LOCAL_DLT_PATHS
        .iter()
        .filter_map(|name| {
            scan.others.get(*name).map(|&is_dir| LocalPath {
                rel: format!(".dlt/{name}"),
                is_dir,
            })
        })
        .collect();
    let duckdb = |scan: &DirScan, prefix: &str| -> Vec<LocalPath> {
        scan.others
            .iter()
            .filter(|(name, is_dir)| !**is_dir && discovery::is_duckdb_name(name))
            .map(|(name, _)| LocalPath {
                rel: format!("{prefix}{name}"),
                is_dir: false,
            })
            .collect()
    };
    let project_file = |name: &String| LocalPath {
        rel: name.clone(),
        is_dir: false,
    };
    match (&scan.project_duckdb, dlt_dir.parent()) {
        (Some(listed), _) => out.extend(listed.iter().map(project_file)),
        (None, Some(project)) => out.extend(duckdb(&DirScan::read(project), "")),
        (None, None) => {}
    }
    out.extend(duckdb(scan, ".dlt/"));
    out
}

impl DltFolder {
    /// Reads the folder's marker, pin and every TOML file from disk.
    pub fn load(dlt_dir: &Path) -> DltFolder {
        Self::load_with(dlt_dir, &mut GitCache::default())
    }

    /// Like [`DltFolder::load`], reusing what `git` already read of the repository: for passes
    /// over many folders.
    pub fn load_with(dlt_dir: &Path, git: &mut GitCache) -> DltFolder {
        let mut folder = DltFolder::load_without_git(dlt_dir);
        folder.reload_git_with(git);
        folder
    }

    /// The folder's marker, pin and TOML files, without git state (`git` stays `None` until
    /// [`DltFolder::reload_git_with`] or [`DltFolder::git_state`] fills it in).
    pub fn load_without_git(dlt_dir: &Path) -> DltFolder {
        Self::load_scanned(dlt_dir, &DirScan::read(dlt_dir))
    }

    /// Like [`DltFolder::load_without_git`] from a listing of the folder already made.
    pub fn load_scanned(dlt_dir: &Path, scan: &DirScan) -> DltFolder {
        Self::load_scanned_except(dlt_dir, scan, None)
    }

    /// Like [`DltFolder::load_without_git`] but without reading `except`, a file whose text
    /// the caller has already (an open document): reading and parsing it again would be waste.
    pub fn load_without_git_except(dlt_dir: &Path, except: &Path) -> DltFolder {
        Self::load_scanned_except(dlt_dir, &DirScan::read(dlt_dir), Some(except))
    }

    fn load_scanned_except(dlt_dir: &Path, scan: &DirScan, except: Option<&Path>) -> DltFolder {
        let paths: Vec<&Path> = scan
            .toml_files
            .iter()
            .map(PathBuf::as_path)
            .filter(|p| Some(*p) != except)
            .collect();
        Self::with_files(dlt_dir, scan, SourceFile::load_all(&paths))
    }

    /// Like [`DltFolder::load_scanned`] for several folders at once, their files read together
    /// (on a cold cache the disk gets all their reads at once, see [`SourceFile::load_all`]).
    pub fn load_scanned_batch(batch: &[(PathBuf, DirScan)]) -> Vec<DltFolder> {
        let paths: Vec<&Path> = batch
            .iter()
            .flat_map(|(_, scan)| scan.toml_files.iter().map(PathBuf::as_path))
            .collect();
        let mut files = SourceFile::load_all(&paths).into_iter();
        batch
            .iter()
            .map(|(dir, scan)| {
                let own = files.by_ref().take(scan.toml_files.len()).collect();
                Self::with_files(dir, scan, own)
            })
            .collect()
    }

    /// A folder of `files`, with the marker, pin and local paths of its listing.
    fn with_files(dlt_dir: &Path, scan: &DirScan, files: Vec<SourceFile>) -> DltFolder {
        let mut folder = DltFolder::empty(dlt_dir);
        folder.apply_meta(scan);
        for file in files {
            folder.files.insert(Arc::new(file));
        }
        folder
    }

    /// A folder with no files, for a `.dlt` directory not read yet.
    pub fn empty(dlt_dir: &Path) -> DltFolder {
        DltFolder {
            dlt_dir: dlt_dir.to_path_buf(),
            project_dir: dlt_dir.parent().map(Path::to_path_buf).unwrap_or_default(),
            is_workspace: false,
            pinned_profile: None,
            files: Files::default(),
            git: None,
            local_paths: Vec::new(),
        }
    }

    /// A folder built from already analysed files, without reading the disk or git (fuzzing,
    /// tests): `is_workspace` and `pinned_profile` stand for the marker and the pin file.
    pub fn in_memory(
        dlt_dir: &Path,
        is_workspace: bool,
        pinned_profile: Option<String>,
        files: impl IntoIterator<Item = Arc<SourceFile>>,
    ) -> DltFolder {
        let mut folder = DltFolder::empty(dlt_dir);
        folder.is_workspace = is_workspace;
        folder.pinned_profile = pinned_profile;
        folder.files = files.into_iter().collect();
        folder
    }

    /// Re-reads git's view of the folder (ignore rules, index, HEAD) through `cache`. Call it
    /// when [`FolderGit::is_stale`] says so or a watched git file changed; a failure is logged
    /// and leaves the folder without git state rather than with a wrong one.
    pub fn reload_git_with(&mut self, cache: &mut GitCache) {
        self.reload_git_listed(cache, None);
    }

    /// Like [`DltFolder::reload_git_with`] for a folder found by the walk that made `listed`
    /// (see [`FolderGit::load_listed`]).
    pub fn reload_git_listed(&mut self, cache: &mut GitCache, listed: Option<&ListedDirs>) {
        let names: Vec<&str> = self.files.keys().collect();
        self.git = Self::git_state_listed(&self.dlt_dir, &names, cache, listed);
    }

    /// Git's view of the folder `dlt_dir` with files `names`; `None` outside a repository or
    /// when it cannot be read (logged).
    pub fn git_state(
        dlt_dir: &Path,
        names: &[&str],
        cache: &mut GitCache,
    ) -> Option<Arc<FolderGit>> {
        Self::git_state_listed(dlt_dir, names, cache, None)
    }

    fn git_state_listed(
        dlt_dir: &Path,
        names: &[&str],
        cache: &mut GitCache,
        listed: Option<&ListedDirs>,
    ) -> Option<Arc<FolderGit>> {
        match FolderGit::load_listed(dlt_dir, names, cache, listed) {
            Ok(git) => git.map(Arc::new),
            Err(e) => {
                tracing::warn!("git state of {}: {e}", dlt_dir.display());
                None
            }
        }
    }

    /// Whether git's view needs [`DltFolder::reload_git_with`]: an input changed on disk.
    pub fn git_is_stale(&self) -> bool {
        self.git.as_ref().is_some_and(|g| g.is_stale())
    }

    /// Re-reads the workspace marker and the pin file.
    pub fn reload_meta(&mut self) {
        let scan = DirScan::read(&self.dlt_dir);
        self.apply_meta(&scan);
    }

    /// The marker, the pin and the local paths, from the folder's listing.
    fn apply_meta(&mut self, scan: &DirScan) {
        self.is_workspace = scan.has_file(WORKSPACE_MARKER);
        self.pinned_profile = scan
            .has_file(PIN_FILE)
            .then(|| std::fs::read_to_string(self.dlt_dir.join(PIN_FILE)).ok())
            .flatten()
            .and_then(|s| s.lines().next().map(|l| l.trim().to_string()))
            .filter(|s| !s.is_empty());
        self.local_paths = probe_local_paths(&self.dlt_dir, scan);
    }

    pub fn file(&self, name: &str) -> Option<&Arc<SourceFile>> {
        self.files.get(name)
    }

    /// A file of the folder is open in the editor.
    pub fn has_open_file(&self) -> bool {
        self.files.values().any(|f| f.is_open())
    }

    /// This folder with its files dormant ([`SourceFile::dormant`]) when none of them is open in
    /// the editor: what is kept of a folder nobody looks at once its findings are published.
    /// `None` when a file is open or nothing would be let go of.
    pub fn dormant(&self) -> Option<DltFolder> {
        if self.has_open_file() {
            return None;
        }
        let mut dormant = self.files.values().filter_map(|f| f.dormant()).peekable();
        dormant.peek()?;
        let mut folder = self.clone();
        for file in dormant {
            folder.files.insert(Arc::new(file));
        }
        Some(folder)
    }
}

/// What dlt would see of the world outside the `.dlt` folders when it runs.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Environment variables of the process dlt would run in (the server's, or the CLI's).
    pub env: BTreeMap<String, String>,
    /// dlt's global settings dir (`/var/dlt`, `$XDG_DATA_HOME/dlt` or `~/.dlt`), if any.
    pub global_dir: Option<PathBuf>,
    /// A pipeline name that adds dlt's pipeline-prefixed lookup pass.
    pub pipeline_name: Option<String>,
}

/// A workspace of at most this many `.dlt` folders keeps every folder's tables: opening a file
/// of a dormant folder parses its other files again first, which cost the README demo's first
/// diagnostics ~0.15 ms of ~0.85 (issue 7). Kept awake, the monorepo bench's folders take ~6 KB
/// each (its peak RSS 15.4 -> 21.7 MB with all 1,000 awake).
pub const ALWAYS_AWAKE_FOLDERS: usize = 16;

/// Everything the server knows, at one moment; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Folders by their `.dlt` directory. A persistent map: every change of the server's state
    /// copies the snapshot, and copying a `BTreeMap` of 1,000 folders cost each keystroke in a
    /// monorepo more than re-analysing the edited file (issue 7); this copy is O(1) and a change
    /// O(log n).
    pub folders: FolderMap,
    /// The global dir's TOML files, read like a `.dlt` folder.
    pub global: Option<Arc<DltFolder>>,
    pub context: Arc<Context>,
}

impl Snapshot {
    /// Sets what dlt would see outside the folders: the environment, the global dir (the one
    /// given, else where dlt would look) with its files, and an optional pipeline name.
    pub fn set_run_context(
        &mut self,
        env: BTreeMap<String, String>,
        global_dir: Option<PathBuf>,
        pipeline_name: Option<String>,
    ) {
        let global_dir = global_dir.unwrap_or_else(|| {
            super::profiles::global_dir(&super::profiles::global_dir_inputs(&env))
        });
        self.global = super::profiles::load_global_folder(&global_dir).map(Arc::new);
        self.context = Arc::new(Context {
            env,
            global_dir: Some(global_dir),
            pipeline_name,
        });
    }

    /// Discovers and reads every `.dlt` folder under `roots`.
    pub fn load(roots: &[PathBuf], limits: WalkLimits) -> Snapshot {
        let mut snap = Snapshot::default();
        let mut git = GitCache::default();
        for dir in discovery::find_dlt_dirs(roots, limits) {
            let folder = DltFolder::load_with(&dir, &mut git);
            snap.folders.insert(dir, Arc::new(folder));
        }
        snap
    }

    /// A snapshot of in-memory folders (see [`DltFolder::in_memory`]), with an empty context.
    pub fn from_folders(folders: impl IntoIterator<Item = DltFolder>) -> Snapshot {
        Snapshot {
            folders: folders
                .into_iter()
                .map(|f| (f.dlt_dir.clone(), Arc::new(f)))
                .collect(),
            ..Snapshot::default()
        }
    }

    /// The folder a file belongs to.
    pub fn folder_of(&self, path: &Path) -> Option<&Arc<DltFolder>> {
        self.folders.get(&discovery::dlt_dir_of(path)?)
    }

    /// A file by path.
    pub fn file(&self, path: &Path) -> Option<(&Arc<DltFolder>, &Arc<SourceFile>)> {
        let folder = self.folder_of(path)?;
        let name = path.file_name()?.to_str()?;
        Some((folder, folder.files.get(name)?))
    }

    /// Replaces (or adds) one file; returns the folder dir. A folder not known yet is read with
    /// `load_folder` first (its other files, marker, pin and git state), so that the file is
    /// never analysed without its siblings.
    pub fn put_file(
        &mut self,
        file: SourceFile,
        load_folder: impl FnOnce(&Path) -> DltFolder,
    ) -> Option<PathBuf> {
        let dir = discovery::dlt_dir_of(&file.path)?;
        let folder = self
            .folders
            .get_or_insert_with(&dir, || Arc::new(load_folder(&dir)));
        Arc::make_mut(folder).files.insert(Arc::new(file));
        Some(dir)
    }

    /// Re-reads git's view of every folder whose git inputs (`.gitignore` files, `info/exclude`,
    /// the excludes file, the index, HEAD, the config) changed on disk, or of every folder when
    /// `all` (e.g. a repository was created or removed). Returns the `.dlt` dirs whose findings
    /// must be re-published. Cheap when nothing changed: a few `stat` calls per folder.
    pub fn refresh_git(&mut self, all: bool, cache: &mut GitCache) -> Vec<PathBuf> {
        let mut changed = Vec::new();
        if all {
            cache.forget();
        } else {
            cache.begin_pass();
        }
        if let Some(global) = self.global.as_mut() {
            if all || global.git_is_stale() {
                Arc::make_mut(global).reload_git_with(cache);
                changed.push(global.dlt_dir.clone());
            }
        }
        let stale: Vec<PathBuf> = self
            .folders
            .iter()
            .filter(|(_, folder)| all || folder.git_is_stale())
            .map(|(dir, _)| dir.to_path_buf())
            .collect();
        for dir in stale {
            if let Some(folder) = self.folders.get_mut(&dir) {
                Arc::make_mut(folder).reload_git_with(cache);
                changed.push(dir);
            }
        }
        changed
    }

    /// Whether `dir`, its findings published, should go dormant ([`Snapshot::make_dormant`]):
    /// only in a workspace of more than [`ALWAYS_AWAKE_FOLDERS`] folders, and never while one of
    /// its files is open.
    pub fn should_rest(&self, dir: &Path) -> bool {
        self.folders.len() > ALWAYS_AWAKE_FOLDERS
            && self.folders.get(dir).is_some_and(|f| !f.has_open_file())
    }

    /// Makes the folders `dirs` dormant where none of their files is open
    /// ([`DltFolder::dormant`]).
    pub fn make_dormant(&mut self, dirs: &[PathBuf]) {
        for dir in dirs {
            // One walk down the tree to the folder and its replacement in place: a lookup and
            // an insert compared the path all the way down twice (issue 7).
            if let Some(folder) = self.folders.get_mut(dir) {
                if let Some(dormant) = folder.dormant() {
                    *folder = Arc::new(dormant);
                }
            }
        }
    }

    /// Removes one file; returns the folder dir when something changed.
    pub fn remove_file(&mut self, path: &Path) -> Option<PathBuf> {
        let dir = discovery::dlt_dir_of(path)?;
        let name = path.file_name()?.to_str()?.to_string();
        let folder = self.folders.get_mut(&dir)?;
        Arc::make_mut(folder).files.remove(&name)?;
        Some(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder read with the walk's listing of its project has the local paths of one read
    /// alone (which lists the project itself).
    #[test]
    fn local_paths_from_the_walk_are_those_of_a_folder_read_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dlt = tmp.path().join("proj/.dlt");
        std::fs::create_dir_all(dlt.join("state")).unwrap();
        std::fs::write(tmp.path().join("proj/jaffle.duckdb"), "").unwrap();
        std::fs::write(dlt.join("pipe.duckdb"), "").unwrap();
        std::fs::write(dlt.join("config.toml"), "").unwrap();
        let found = discovery::find_dlt_folders(&[tmp.path().to_path_buf()], WalkLimits::default());
        let scan = DirScan {
            project_duckdb: found[0].project_duckdb.clone(),
            ..DirScan::read(&dlt)
        };
        assert!(scan.project_duckdb.is_some());
        let walked = DltFolder::load_scanned(&dlt, &scan).local_paths;
        let rels: Vec<&str> = walked.iter().map(|p| p.rel.as_str()).collect();
        assert_eq!(rels, [".dlt/state", "jaffle.duckdb", ".dlt/pipe.duckdb"]);
        assert_eq!(walked, DltFolder::load_without_git(&dlt).local_paths);
    }

    #[test]
    fn loads_marker_pin_and_files() {
        let tmp = tempfile::tempdir().unwrap();
        let dlt = tmp.path().join("proj/.dlt");
        std::fs::create_dir_all(&dlt).unwrap();
        std::fs::write(dlt.join(".workspace"), "").unwrap();
        std::fs::write(dlt.join("profile-name"), "  staging  \nsecond line").unwrap();
        std::fs::write(dlt.join("config.toml"), "[runtime]\nlog_level = \"INFO\"\n").unwrap();
        std::fs::write(dlt.join("prod.secrets.toml"), "x = 1\n").unwrap();
        std::fs::write(dlt.join("notes.txt"), "").unwrap();
        let snap = Snapshot::load(&[tmp.path().to_path_buf()], WalkLimits::default());
        let folder = snap.folders.values().next().unwrap();
        assert!(folder.is_workspace);
        assert_eq!(folder.pinned_profile.as_deref(), Some("staging"));
        assert_eq!(
            folder.files.keys().collect::<Vec<_>>(),
            ["config.toml", "prod.secrets.toml"]
        );
        assert_eq!(folder.project_dir, tmp.path().join("proj"));
        // What a change on disk of a local path re-reads.
        let owner = |p: &str| local_state_owner(Path::new(p));
        let dlt_dir = Some(PathBuf::from("/p/.dlt"));
        assert_eq!(owner("/p/pipe.duckdb"), dlt_dir);
        assert_eq!(owner("/p/.dlt/pipe.duckdb"), dlt_dir);
        assert_eq!(owner("/p/.dlt/state/x/y.json"), dlt_dir);
        assert_eq!(
            owner("/p/.dlt/data"),
            None,
            "the folder itself: a listing change"
        );
        assert_eq!(owner("/p/.dlt/config.toml"), None);
        assert_eq!(owner("/p/README.md"), None);
        // Folders read in one batch are the folders read one by one.
        let other = tmp.path().join("other/.dlt");
        let empty = tmp.path().join("empty/.dlt");
        std::fs::create_dir_all(&other).unwrap();
        std::fs::create_dir_all(&empty).unwrap();
        std::fs::write(other.join("secrets.toml"), "k = \"v\"\n").unwrap();
        let batch: Vec<(PathBuf, DirScan)> = [&dlt, &empty, &other]
            .into_iter()
            .map(|d| (d.clone(), DirScan::read(d)))
            .collect();
        let outline = |f: &DltFolder| {
            let files = f
                .files
                .values()
                .map(|s| (s.name.clone(), s.text.to_string()));
            (f.dlt_dir.clone(), f.is_workspace, files.collect::<Vec<_>>())
        };
        let together: Vec<_> = DltFolder::load_scanned_batch(&batch)
            .iter()
            .map(outline)
            .collect();
        let alone: Vec<_> = batch
            .iter()
            .map(|(d, scan)| outline(&DltFolder::load_scanned(d, scan)))
            .collect();
        assert_eq!(together, alone);
        assert_eq!(together[2].2.len(), 1, "{together:?}");
        // An open document's file is not read again when its folder is.
        let except = DltFolder::load_without_git_except(&dlt, &dlt.join("config.toml"));
        assert_eq!(
            except.files.keys().collect::<Vec<_>>(),
            ["prod.secrets.toml"]
        );
        assert!(except.is_workspace);
    }

    /// Only a folder none of whose files is open goes dormant: one the user has open keeps
    /// every file's tables, its closed siblings' too (hover and completion walk them).
    #[test]
    fn a_folder_with_an_open_file_stays_awake() {
        let file = |dir: &str, name: &str, version| {
            let path = Path::new(dir).join(name);
            Arc::new(SourceFile::from_text(&path, "a = 1\n".into(), version))
        };
        let (open, closed) = (Path::new("/w/open/.dlt"), Path::new("/w/closed/.dlt"));
        let mut snap = Snapshot::from_folders([
            DltFolder::in_memory(
                open,
                false,
                None,
                [
                    file("/w/open/.dlt", "config.toml", Some(1)),
                    file("/w/open/.dlt", "secrets.toml", None),
                ],
            ),
            DltFolder::in_memory(
                closed,
                false,
                None,
                [file("/w/closed/.dlt", "config.toml", None)],
            ),
        ]);
        let dirs = [
            open.to_path_buf(),
            closed.to_path_buf(),
            PathBuf::from("/w/gone/.dlt"),
        ];
        snap.make_dormant(&dirs);
        let dormant = |dir: &Path| -> Vec<bool> {
            snap.folders[dir]
                .files
                .values()
                .map(|f| f.doc.is_dormant())
                .collect()
        };
        assert_eq!(dormant(open), [false, false]);
        assert_eq!(dormant(closed), [true]);
        let before = snap.folders[closed].clone();
        snap.make_dormant(&dirs);
        assert!(
            Arc::ptr_eq(&before, &snap.folders[closed]),
            "nothing more to let go of"
        );
        assert_eq!(&*snap.folders[closed].files["config.toml"].text, "a = 1\n");
    }

    /// A small workspace keeps every folder awake; past [`ALWAYS_AWAKE_FOLDERS`] folders, those
    /// without an open file rest once published.
    #[test]
    fn only_a_large_workspace_lets_its_folders_rest() {
        let folder = |i: usize, version| {
            let dir = PathBuf::from(format!("/w/p{i}/.dlt"));
            let file = SourceFile::from_text(&dir.join("config.toml"), "a = 1\n".into(), version);
            DltFolder::in_memory(&dir, false, None, [Arc::new(file)])
        };
        let (first, open) = (Path::new("/w/p0/.dlt"), Path::new("/w/p1/.dlt"));
        let mut snap = Snapshot::from_folders([folder(0, None), folder(1, Some(1))]);
        for i in 2..ALWAYS_AWAKE_FOLDERS {
            snap.folders
                .insert(format!("/w/p{i}/.dlt").into(), Arc::new(folder(i, None)));
        }
        assert_eq!(snap.folders.len(), ALWAYS_AWAKE_FOLDERS);
        assert!(!snap.should_rest(first), "small enough to keep awake");
        let extra = folder(ALWAYS_AWAKE_FOLDERS, None);
        snap.folders.insert(extra.dlt_dir.clone(), Arc::new(extra));
        assert!(snap.should_rest(first), "one folder more");
        assert!(!snap.should_rest(open), "a folder with an open file");
        assert!(
            !snap.should_rest(Path::new("/w/gone/.dlt")),
            "no such folder"
        );
    }
}
