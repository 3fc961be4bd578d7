//! What git thinks of the files of a `.dlt` folder: ignored (and by which rule), tracked in the
//! index, committed in HEAD.
//!
//! Everything is answered by gix (its exclude stack and index), never by a hand-written matcher:
//! git's precedence rules (nested `.gitignore`, negation, excluded parent directories,
//! `.git/info/exclude`, `core.excludesFile`, `core.ignorecase`) are subtle and gix follows them.
//! The result is captured once per folder at load time, together with the ignore inputs, so that
//! features stay pure and can even ask "would this `.gitignore` edit take effect?" without I/O.

use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use gix::bstr::{BString, ByteSlice};

use super::listings::{is_strict_ancestor, ListedDirs};

mod stack;
use stack::{MemoryObjects, PassStack};

/// Workspace-relative globs of the files whose change makes git state stale, for the client's
/// file watcher; [`FolderGit::watched_paths`] adds the exact paths outside the workspace (a
/// linked worktree's index, the excludes file).
pub const GIT_WATCH_GLOBS: &[&str] = &[
    "**/.gitignore",
    "**/.git/index",
    "**/.git/info/exclude",
    "**/.git/HEAD",
    "**/.git/packed-refs",
    "**/.git/refs/heads/**",
    "**/.git/config",
];

/// Why git state could not be read; logged, never shown as a finding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("the repository of {0} has no work tree")]
    Bare(PathBuf),
    #[error("{0} is not inside the repository's work tree")]
    OutsideWorkTree(PathBuf),
    #[error("git: {0}")]
    Gix(String),
    #[error("cannot read {path}: {message}")]
    Io { path: PathBuf, message: String },
}

fn gix_err(e: impl std::fmt::Display) -> GitError {
    GitError::Gix(e.to_string())
}

/// The ignore rule that decided about a path, as `git check-ignore -v` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IgnoreMatch {
    /// The file the pattern comes from (`.gitignore`, `info/exclude`, the excludes file).
    pub source: Option<PathBuf>,
    /// One-based line of the pattern in `source`.
    pub line: usize,
    /// The pattern as git would print it, with `!` for a negation.
    pub pattern: String,
    /// A `!pattern`: the path is re-included, not ignored.
    pub negated: bool,
}

impl IgnoreMatch {
    /// Whether this rule makes the path ignored (a negation re-includes it).
    pub fn ignores(&self) -> bool {
        !self.negated
    }
}

/// Git's view of one file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileGitStatus {
    /// Path relative to the work tree, with `/` separators.
    pub rel_path: String,
    /// The last matching ignore rule, if any (it may be a negation). Shared by every file the
    /// rule decides about in a pass: a monorepo's root `.gitignore` rule matches thousands.
    pub ignore: Option<Arc<IgnoreMatch>>,
    /// The file is in the index: git tracks it even if a pattern ignores it.
    pub tracked: bool,
    /// The file is in HEAD's tree: its content is already in the history.
    pub in_head: bool,
}

impl FileGitStatus {
    /// Ignore rules exclude it (tracked files stay tracked regardless).
    pub fn is_ignored(&self) -> bool {
        self.ignore.as_ref().is_some_and(|m| m.ignores())
    }

    /// `git add -A && git commit` would put this file's content in the history.
    pub fn would_commit(&self) -> bool {
        self.tracked || !self.is_ignored()
    }
}

/// A `.gitignore` that takes part in deciding about the `.dlt` folder's files; read once per
/// pass and shared by every folder below it (a monorepo's root `.gitignore` by all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitignoreFile {
    /// Absolute path (the file may not exist yet).
    pub path: PathBuf,
    /// Its directory relative to the work tree (`""` for the root), with `/` separators.
    pub rel_dir: String,
    /// Content read at load time; `None` when the file does not exist.
    pub text: Option<String>,
    /// Modification time and size, taken before the text was read.
    stamp: Option<(SystemTime, u64)>,
    /// `text` is the file's bytes, or git reads no file there; not for a file that could not be
    /// read or is not UTF-8.
    exact: bool,
}

/// What every folder of one repository shares, read once per pass of the [`GitCache`].
#[derive(Debug)]
struct RepoInputs {
    /// The repository's work tree root.
    work_dir: PathBuf,
    /// `core.ignorecase`.
    ignore_case: bool,
    /// `info/exclude` and the excludes file, parsed.
    globals: gix::ignore::Search,
    /// The repository's own inputs whose change makes git state stale (not the `.gitignore`s:
    /// index, HEAD, config, excludes…), with their state when read.
    watched: Vec<(PathBuf, Option<(SystemTime, u64)>)>,
}

/// Git state of one `.dlt` folder, captured at load time.
#[derive(Debug, Clone)]
pub struct FolderGit {
    /// What the folder shares with every other folder of its repository.
    repo: Arc<RepoInputs>,
    /// The `.dlt` folder relative to the work tree, with `/` separators.
    pub dlt_rel: String,
    /// The ignore rule of each file of the folder that existed at load time, by name: a list,
    /// not a map (a folder has a handful of files). The rest of a [`FileGitStatus`] is built
    /// when asked for: a relative path per file took a third of a megabyte in a monorepo.
    ignores: Vec<(Box<str>, Option<Arc<IgnoreMatch>>)>,
    /// Names of the folder's entries in the index.
    tracked: Names,
    /// Names of the folder's entries in HEAD's tree.
    committed: Names,
    /// `.gitignore` files of every directory from the work tree root down to the `.dlt` folder.
    pub gitignores: Vec<Arc<GitignoreFile>>,
}

/// A set of file names, sorted: a folder has a handful, and a `BTreeSet` took a node of eleven
/// for each of the two sets of every folder of a monorepo (issue 7).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Names(Box<[Box<str>]>);

impl Names {
    fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| (**n).cmp(name)).is_ok()
    }
}

impl FromIterator<String> for Names {
    fn from_iter<I: IntoIterator<Item = String>>(names: I) -> Names {
        let mut names: Vec<Box<str>> = names.into_iter().map(String::into_boxed_str).collect();
        names.sort_unstable();
        names.dedup();
        Names(names.into_boxed_slice())
    }
}

/// What [`FolderGit::load_with`] reads once per repository and reuses for every `.dlt` folder
/// in it: opening the repository, its index, HEAD and the global excludes. In a monorepo of
/// 1,000 projects these reads, repeated per folder, were most of the indexing time (issue 7).
///
/// The cache lives as long as the server, and works in passes ([`GitCache::begin_pass`]): a
/// repository is checked once per pass (a `stat` of its index, HEAD, config, excludes…) and read
/// again when any of them changed; `.gitignore` files are read once per pass. Start a pass for
/// each indexing run, each folder opened or refreshed, so that a pass never spans a change on
/// disk the server was told about.
#[derive(Default)]
pub struct GitCache {
    /// Directory → the nearest directory at or above it holding a `.git` entry.
    git_roots: AncestorChain<Option<PathBuf>>,
    /// That `.git` holder → the pass in which it was last checked, and the repository
    /// discovered below it.
    repos: HashMap<PathBuf, (u64, Result<Option<RepoState>, GitError>)>,
    /// Current pass.
    pass: u64,
    reads: FileReads,
}

/// One repository as found by `gix::discover`, with what every folder in it needs.
struct RepoState {
    repo: gix::Repository,
    inputs: Arc<RepoInputs>,
    canonical_work_dir: PathBuf,
    index: gix::worktree::Index,
    head_tree: Option<gix::ObjectId>,
    /// gix's exclude stack over the work tree, built once per pass: it keeps the `.gitignore`
    /// files of the current path and reads only what differs between two paths.
    stack: Option<PassStack>,
}

/// Files read during one pass, by path.
#[derive(Default)]
struct FileReads {
    /// By [`FileReads::gitignore_key`]: looked up for every directory above every folder, so
    /// without building a path or hashing one a component at a time (3.6 % of the instructions
    /// of indexing the monorepo went to those lookups; callgrind, issue 7). Per repository: a
    /// nested repository reads a shared `.gitignore` again, with its own `rel_dir`.
    gitignores: rustc_hash::FxHashMap<Box<[u8]>, Arc<GitignoreFile>>,
    /// The key being looked up, kept for its allocation.
    key: Vec<u8>,
    /// Directories with their symlinks resolved, for [`FileReads::canonical`].
    canonical: AncestorChain<PathBuf>,
    /// The ignore rules that matched, for [`FileReads::shared`].
    matches: HashSet<Arc<IgnoreMatch>>,
}

impl FileReads {
    /// The one copy of `m` this pass hands out.
    fn shared(&mut self, m: IgnoreMatch) -> Arc<IgnoreMatch> {
        if let Some(known) = self.matches.get(&m) {
            return known.clone();
        }
        let shared = Arc::new(m);
        self.matches.insert(shared.clone());
        shared
    }

    /// The `.gitignore` of `rel_dir` (work-tree relative) in `work_dir`, read once per pass; git
    /// reads it only when it is a regular file, never a symlink. A directory `listed` without
    /// one is not asked.
    fn gitignore(
        &mut self,
        work_dir: &Path,
        rel_dir: &str,
        listed: Option<&ListedDirs>,
    ) -> Arc<GitignoreFile> {
        let mut key = std::mem::take(&mut self.key);
        Self::gitignore_key(&mut key, work_dir, rel_dir);
        let known = self.gitignores.get(key.as_slice()).cloned();
        let file = known.unwrap_or_else(|| {
            let file = Self::read_gitignore(work_dir, rel_dir, listed);
            self.gitignores.insert(key.as_slice().into(), file.clone());
            file
        });
        self.key = key;
        file
    }

    /// `work_dir` and `rel_dir` as one key: a NUL, which no path holds, between them.
    fn gitignore_key(key: &mut Vec<u8>, work_dir: &Path, rel_dir: &str) {
        key.clear();
        key.extend_from_slice(work_dir.as_os_str().as_encoded_bytes());
        key.push(0);
        key.extend_from_slice(rel_dir.as_bytes());
    }

    /// Reads the `.gitignore` of `rel_dir` for [`FileReads::gitignore`].
    fn read_gitignore(
        work_dir: &Path,
        rel_dir: &str,
        listed: Option<&ListedDirs>,
    ) -> Arc<GitignoreFile> {
        let dir = work_dir.join(rel_dir);
        let path = dir.join(".gitignore");
        let absent = listed
            .and_then(|l| l.entries(&dir))
            .is_some_and(|e| !e.gitignore);
        // One `lstat` tells both whether git reads the file and, but for a symlink, its stamp:
        // most directories have no `.gitignore`, and a monorepo asks for two per folder.
        let lstat = match absent {
            true => Err(std::io::ErrorKind::NotFound.into()),
            false => std::fs::symlink_metadata(&path),
        };
        let regular = lstat.as_ref().is_ok_and(|m| m.file_type().is_file());
        // Taken before reading: a change while reading shows as a change later.
        let stamp = match &lstat {
            Ok(m) if regular => m.modified().ok().map(|t| (t, m.len())),
            Ok(_) => stamp(&path),
            Err(_) => None,
        };
        let bytes = regular.then(|| std::fs::read(&path).ok());
        let (text, exact) = match bytes {
            None => (None, true),
            Some(None) => (None, false),
            Some(Some(b)) => match String::from_utf8(b) {
                Ok(text) => (Some(text), true),
                Err(e) => (
                    Some(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                    false,
                ),
            },
        };
        Arc::new(GitignoreFile {
            path,
            rel_dir: rel_dir.to_string(),
            text,
            stamp,
            exact,
        })
    }

    /// `dir` with its symlinks resolved, like `fs::canonicalize`, from the canonical parent
    /// when this pass knows it: one `lstat` of the last component instead of one `readlink`
    /// per component of the path (seven per folder of a monorepo), none for a directory the
    /// walk that made `listed` went into.
    fn canonical(&mut self, dir: &Path, listed: Option<&ListedDirs>) -> std::io::Result<PathBuf> {
        if let Some(known) = self.canonical.get(dir) {
            return Ok(known.clone());
        }
        let entered = listed.is_some_and(|l| l.was_entered(dir));
        let plain = dir.is_absolute()
            && dir
                .components()
                .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        let resolved = match (dir.parent(), dir.file_name()) {
            (Some(parent), Some(name)) if plain && parent.parent().is_some() => {
                let parent = self.canonical(parent, listed)?;
                if !entered && std::fs::symlink_metadata(dir)?.file_type().is_symlink() {
                    dir.canonicalize()?
                } else {
                    super::paths::join(&parent, name)
                }
            }
            _ => dir.canonicalize()?,
        };
        self.canonical.insert(dir.to_path_buf(), resolved.clone());
        Ok(resolved)
    }
}

/// What a pass learnt about the directories from the root down to the one it asked about last.
/// A pass asks about folders in the order of the walk, so the next folder's parents are on the
/// chain; a map of every directory asked about kept two paths per project of a monorepo until
/// the pass ended, 0.7 MB at the peak of its indexing (issue 7).
#[derive(Debug)]
struct AncestorChain<V> {
    /// Each entry's directory is an ancestor of the next one's.
    chain: Vec<(PathBuf, V)>,
}

impl<V> Default for AncestorChain<V> {
    fn default() -> Self {
        AncestorChain { chain: Vec::new() }
    }
}

impl<V> AncestorChain<V> {
    /// Paths are told apart by their bytes, not component by component: a pass asks about
    /// paths spelt the same way (the walk's), and comparing components took a twentieth of a
    /// monorepo's indexing (issue 7). A path spelt another way only misses the chain.
    fn get(&self, dir: &Path) -> Option<&V> {
        let dir = dir.as_os_str().as_encoded_bytes();
        self.chain
            .iter()
            .rev()
            .find(|(d, _)| d.as_os_str().as_encoded_bytes() == dir)
            .map(|(_, v)| v)
    }

    /// Remembers `value` for `dir`, forgetting every directory that is not an ancestor of it.
    fn insert(&mut self, dir: PathBuf, value: V) {
        let bytes = dir.as_os_str().as_encoded_bytes();
        let keep = self
            .chain
            .iter()
            .take_while(|(d, _)| is_strict_ancestor(d.as_os_str().as_encoded_bytes(), bytes))
            .count();
        self.chain.truncate(keep);
        self.chain.push((dir, value));
    }

    fn clear(&mut self) {
        self.chain = Vec::new();
    }
}

impl GitCache {
    /// Starts a pass: what follows sees the disk as it is now (repositories are re-checked when
    /// next used, `.gitignore` files re-read).
    pub fn begin_pass(&mut self) {
        self.pass += 1;
        self.reads = FileReads::default();
        // A `.git` may have appeared or gone since: where repositories are is looked up again.
        self.git_roots.clear();
    }

    /// Ends a pass over many folders: what was read for it only (each `.gitignore`, each
    /// repository's exclude stack) is let go; the repositories stay.
    pub fn end_pass(&mut self) {
        self.reads = FileReads::default();
        // Where the repositories are is looked up again by the next pass anyway.
        self.git_roots.clear();
        for (_, found) in self.repos.values_mut() {
            if let Ok(Some(repo)) = found {
                repo.stack = None;
            }
        }
    }

    /// Forgets everything, for when repositories may have appeared or gone (`git init`).
    pub fn forget(&mut self) {
        let pass = self.pass;
        *self = GitCache::default();
        self.pass = pass + 1;
    }

    /// Opens the repository of `dir` ahead of its first folder (a warm-up); errors are left for
    /// the folders to report.
    pub fn warm(&mut self, dir: &Path) {
        let _ = self.repo_of(dir, None);
    }

    /// The repository `dir` belongs to, and the pass's file reads.
    fn repo_of(
        &mut self,
        dir: &Path,
        listed: Option<&ListedDirs>,
    ) -> Result<Option<(&mut RepoState, &mut FileReads)>, GitError> {
        // Without a `.git` entry at or above `dir` there is no work tree to discover.
        let Some(root) = self.git_root_of(dir, listed) else {
            return Ok(None);
        };
        let pass = self.pass;
        let stale = match self.repos.get_mut(&root) {
            None => true,
            Some((checked, _)) if *checked == pass => false,
            Some((checked, Ok(Some(repo)))) => {
                let changed = repo.inputs.watched.iter().any(|(p, s)| stamp(p) != *s);
                if !changed {
                    *checked = pass;
                    repo.stack = None; // `.gitignore` files are read again in a new pass
                }
                changed
            }
            // "No repository" or a failure: asked again once per pass.
            Some(_) => true,
        };
        if stale {
            self.repos
                .insert(root.clone(), (pass, RepoState::discover(dir)));
        }
        // Every directory below the same `.git` holder discovers the same repository.
        match &mut self.repos.get_mut(&root).expect("inserted above").1 {
            Ok(Some(repo)) => Ok(Some((repo, &mut self.reads))),
            Ok(None) => Ok(None),
            Err(GitError::Bare(_)) => Err(GitError::Bare(dir.to_path_buf())),
            Err(e) => Err(e.clone()),
        }
    }

    /// The nearest directory at or above `dir` that holds a `.git` file or directory, from the
    /// listings in `listed` where they tell.
    fn git_root_of(&mut self, dir: &Path, listed: Option<&ListedDirs>) -> Option<PathBuf> {
        let mut visited = Vec::new();
        let mut found = None;
        for d in dir.ancestors() {
            if let Some(known) = self.git_roots.get(d) {
                found = known.clone();
                break;
            }
            visited.push(d.to_path_buf());
            let dot_git = match listed.and_then(|l| l.entries(d)) {
                Some(entries) => entries.dot_git,
                None => std::fs::symlink_metadata(d.join(".git")).is_ok(),
            };
            if dot_git {
                found = Some(d.to_path_buf());
                break;
            }
        }
        // From the topmost down: each keeps the ones above it on the chain.
        for d in visited.into_iter().rev() {
            self.git_roots.insert(d, found.clone());
        }
        found
    }
}

impl RepoState {
    fn discover(dir: &Path) -> Result<Option<RepoState>, GitError> {
        let Ok(mut repo) = gix::discover(dir) else {
            return Ok(None);
        };
        // HEAD's trees are looked up once per folder.
        repo.object_cache_size_if_unset(4 << 20);
        let work_dir = repo
            .workdir()
            .ok_or_else(|| GitError::Bare(dir.to_path_buf()))?
            .to_path_buf();
        let canonical_work_dir = work_dir.canonicalize().map_err(|e| GitError::Io {
            path: work_dir.clone(),
            message: e.to_string(),
        })?;

        // Stamped before reading, so that a change while reading shows as a change later.
        let excludes_file = excludes_file(&repo);
        let mut watched = vec![repo.common_dir().join("info").join("exclude")];
        watched.extend(excludes_file.clone());
        watched.push(repo.index_path());
        watched.push(repo.git_dir().join("HEAD"));
        watched.push(repo.common_dir().join("packed-refs"));
        watched.push(repo.common_dir().join("config"));
        if let Ok(Some(head_ref)) = repo.head_name() {
            if let Ok(rel) = head_ref.as_bstr().to_str() {
                watched.push(repo.common_dir().join(rel));
            }
        }
        let watched = watched
            .into_iter()
            .map(|p| {
                let s = stamp(&p);
                (p, s)
            })
            .collect();

        let ignore_case = repo
            .config_snapshot()
            .boolean("core.ignorecase")
            .unwrap_or(false);
        let index = repo.index_or_empty().map_err(gix_err)?;
        let head_tree = repo.head_tree_id().ok().map(|id| id.detach());
        let mut buf = Vec::new();
        let globals = gix::ignore::Search::from_git_dir(
            repo.common_dir(),
            excludes_file,
            &mut buf,
            gix::ignore::search::Ignore::default(),
        )
        .map_err(|e| GitError::Io {
            path: repo.common_dir().to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Some(RepoState {
            repo,
            inputs: Arc::new(RepoInputs {
                work_dir,
                ignore_case,
                globals,
                watched,
            }),
            canonical_work_dir,
            index,
            head_tree,
            stack: None,
        }))
    }

    /// The decision about `rel_path` (a file) by git's exclude stack; for a folder found by the
    /// walk of `listed`, a stack that takes the `.gitignore` files from the pass, not the disk.
    fn ignore_match(
        &mut self,
        rel_path: &str,
        reads: &mut FileReads,
        listed: Option<&ListedDirs>,
    ) -> Result<Option<Arc<IgnoreMatch>>, GitError> {
        if !self.stack.as_ref().is_some_and(|s| s.serves(listed)) {
            let from_listing = listed.and_then(|l| self.listed_stack(reads, l));
            self.stack = Some(match from_listing {
                Some(stack) => stack,
                None => self.disk_stack()?,
            });
        }
        let stack = self.stack.as_mut().expect("set above");
        let decided = stack.decide(rel_path, &self.inputs, &self.repo.objects)?;
        Ok(decided.map(|m| reads.shared(m)))
    }

    /// Names of the entries of HEAD's tree in the `.dlt` folder; empty for an unborn HEAD.
    fn head_names(&self, dlt_rel: &str) -> Names {
        let names = || -> Option<Names> {
            let tree = self.repo.find_tree(self.head_tree?).ok()?;
            let entry = tree.lookup_entry_by_path(dlt_rel).ok()??;
            let tree = entry.object().ok()?.try_into_tree().ok()?;
            Some(
                tree.iter()
                    .filter_map(|e| e.ok())
                    .map(|e| e.filename().to_str_lossy().into_owned())
                    .collect(),
            )
        };
        names().unwrap_or_default()
    }
}

impl FolderGit {
    /// Reads git's view of `dlt_dir` and the given file names; `Ok(None)` outside any repository.
    pub fn load(dlt_dir: &Path, names: &[&str]) -> Result<Option<FolderGit>, GitError> {
        Self::load_with(dlt_dir, names, &mut GitCache::default())
    }

    /// Like [`FolderGit::load`], reusing what `cache` already read of the repository.
    pub fn load_with(
        dlt_dir: &Path,
        names: &[&str],
        cache: &mut GitCache,
    ) -> Result<Option<FolderGit>, GitError> {
        Self::load_listed(dlt_dir, names, cache, None)
    }

    /// Like [`FolderGit::load_with`] for a folder found by the walk that made `listed`: what its
    /// listings say about the directories on the way is not asked of the disk again.
    pub fn load_listed(
        dlt_dir: &Path,
        names: &[&str],
        cache: &mut GitCache,
        listed: Option<&ListedDirs>,
    ) -> Result<Option<FolderGit>, GitError> {
        let Some((repo, reads)) = cache.repo_of(dlt_dir, listed)? else {
            return Ok(None);
        };
        let canonical = reads.canonical(dlt_dir, listed).map_err(|e| GitError::Io {
            path: dlt_dir.to_path_buf(),
            message: e.to_string(),
        })?;
        let dlt_rel = relative_to(&canonical, &repo.canonical_work_dir)?;

        let mut prefix = BString::from(dlt_rel.as_str());
        prefix.push(b'/');
        let index = &repo.index;
        let tracked: Names = index
            .prefixed_entries(prefix.as_bstr())
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let rest = e.path(index).strip_prefix(prefix.as_slice())?;
                (!rest.contains(&b'/')).then(|| rest.to_str_lossy().into_owned())
            })
            .collect();
        let committed = repo.head_names(&dlt_rel);

        // The listings stand in for the disk where the folder's path is spelt as git spells it
        // (no symlink on the way).
        let listed = listed.filter(|_| canonical == dlt_dir);
        let mut ignores = Vec::with_capacity(names.len());
        for name in names {
            let ignore = repo.ignore_match(&join_rel(&dlt_rel, name), reads, listed)?;
            ignores.push((Box::from(*name), ignore));
        }

        let mut gitignores = Vec::new();
        let mut rel_dir = String::new();
        let mut components = dlt_rel.split('/').filter(|c| !c.is_empty());
        loop {
            gitignores.push(reads.gitignore(&repo.inputs.work_dir, &rel_dir, listed));
            match components.next() {
                Some(c) => rel_dir = join_rel(&rel_dir, c),
                None => break,
            }
        }

        Ok(Some(FolderGit {
            repo: repo.inputs.clone(),
            dlt_rel,
            ignores,
            tracked,
            committed,
            gitignores,
        }))
    }

    /// Git's view of a file of the folder; files created after loading are evaluated from the
    /// captured ignore inputs.
    pub fn status(&self, name: &str) -> FileGitStatus {
        let ignore = match self.ignores.iter().find(|(n, _)| **n == *name) {
            Some((_, loaded)) => loaded.clone(),
            None => self.ignore_match_with(name, None).map(Arc::new),
        };
        FileGitStatus {
            rel_path: join_rel(&self.dlt_rel, name),
            ignore,
            tracked: self.tracked.contains(name),
            in_head: self.committed.contains(name),
        }
    }

    /// The rule that would decide about `name` if the `.gitignore` at `edit.0` had the content
    /// `edit.1` (or as things are, without an edit). Pure: uses only the captured inputs, through
    /// gix's own exclude stack, so the answer has git's precedence rules.
    pub fn ignore_match_with(
        &self,
        name: &str,
        edit: Option<(&Path, &str)>,
    ) -> Option<IgnoreMatch> {
        self.ignore_match_at(&join_rel(&self.dlt_rel, name), false, edit)
    }

    /// The project directory (the `.dlt` folder's parent) relative to the work tree.
    pub fn project_rel(&self) -> &str {
        self.dlt_rel.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
    }

    /// Like [`FolderGit::ignore_match_with`] for any work-tree-relative path (`/` separators),
    /// a directory when `is_dir` (so `dir/` patterns apply).
    pub fn ignore_match_at(
        &self,
        rel_path: &str,
        is_dir: bool,
        edit: Option<(&Path, &str)>,
    ) -> Option<IgnoreMatch> {
        let mut blobs = MemoryObjects::default();
        let mut mappings: Vec<(BString, gix::ObjectId)> = Vec::new();
        for g in &self.gitignores {
            let text = match edit {
                Some((path, text)) if path == g.path => Some(text),
                _ => g.text.as_deref(),
            };
            if let Some(text) = text {
                mappings.push(blobs.serve_gitignore(&g.rel_dir, text.as_bytes()));
            }
        }
        let mut stack = stack::memory_stack(&self.repo, mappings);
        let mode = if is_dir {
            gix::index::entry::Mode::DIR
        } else {
            gix::index::entry::Mode::FILE
        };
        let platform = stack.at_entry(rel_path, Some(mode), &blobs).ok()?;
        let m = platform.matching_exclude_pattern()?;
        Some(stack::absolute_source(to_match(&m), &self.repo.work_dir))
    }

    /// The repository's work tree root.
    pub fn work_dir(&self) -> &Path {
        &self.repo.work_dir
    }

    /// Files whose change makes this state stale: for file watching.
    pub fn watched_paths(&self) -> impl Iterator<Item = &Path> {
        self.stamped().map(|(p, _)| p)
    }

    /// Whether any input (a `.gitignore`, `info/exclude`, the excludes file, the index, HEAD,
    /// the config) changed on disk since loading; a few `stat` calls, cheap enough to ask often.
    pub fn is_stale(&self) -> bool {
        self.stamped().any(|(p, s)| stamp(p) != s)
    }

    /// Every input with its state when read: the `.gitignore`s, then the repository's own.
    fn stamped(&self) -> impl Iterator<Item = (&Path, Option<(SystemTime, u64)>)> {
        let gitignores = self.gitignores.iter().map(|g| (g.path.as_path(), g.stamp));
        gitignores.chain(self.repo.watched.iter().map(|(p, s)| (p.as_path(), *s)))
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The excludes file git would read: `core.excludesFile`, else `$XDG_CONFIG_HOME/git/ignore`.
fn excludes_file(repo: &gix::Repository) -> Option<PathBuf> {
    match repo.config_snapshot().trusted_path("core.excludesFile") {
        Ok(Some(p)) => Some(p),
        _ => gix::path::env::xdg_config("ignore", &mut |name| std::env::var_os(name)),
    }
}

fn to_match(m: &gix::ignore::search::Match<'_>) -> IgnoreMatch {
    let negated = m.pattern.is_negative();
    IgnoreMatch {
        source: m.source.map(Path::to_path_buf),
        line: m.sequence_number,
        pattern: m.pattern.to_string(),
        negated,
    }
}

/// `dir/name`, or `name` when `dir` is the root.
fn join_rel(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        return name.to_string();
    }
    // Not `format!`: its formatting machinery cost ten times the copy (issue 7).
    let mut out = String::with_capacity(dir.len() + 1 + name.len());
    out.push_str(dir);
    out.push('/');
    out.push_str(name);
    out
}

/// `path` relative to `base`, both canonical, with `/` separators (canonical, so symlinked
/// temp dirs such as macOS `/var` → `/private/var` still compare equal).
fn relative_to(path: &Path, base: &Path) -> Result<String, GitError> {
    let rel = path
        .strip_prefix(base)
        .map_err(|_| GitError::OutsideWorkTree(path.to_path_buf()))?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{git, git_fixture, write_fixture};

    /// Git's own answer for `rel`: `(source, line, pattern)` from `git check-ignore -v`, ignoring
    /// the index as our ignore question does; sources made absolute.
    fn git_check_ignore(dir: &Path, rel: &str) -> Option<(PathBuf, usize, String)> {
        // Exit status 1 only means "not ignored"; the `-n` line says the same.
        let out = std::process::Command::new("git")
            .args(["check-ignore", "-v", "-n", "--no-index", rel])
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        let out = String::from_utf8(out.stdout).unwrap();
        let (rule, _) = out.trim_end().split_once('\t')?;
        if rule == "::" {
            return None;
        }
        // `source:line:pattern`; the pattern itself may contain colons.
        let mut parts = rule.splitn(3, ':');
        let (src, line, pattern) = (parts.next()?, parts.next()?, parts.next()?);
        Some((
            dir.join(src).canonicalize().ok()?,
            line.parse().ok()?,
            pattern.to_string(),
        ))
    }

    /// Loads the folder's git state, checks every file against the git binary (ignore rule,
    /// index, HEAD) and against the pure in-memory evaluation, and renders it.
    fn render(dir: &Path, dlt_rel: &str) -> String {
        let dlt = dir.join(dlt_rel);
        let names: Vec<String> = crate::model::discovery::DirScan::read(&dlt)
            .toml_files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let g = FolderGit::load(&dlt, &refs).unwrap().expect("a repository");
        let mut out = String::new();
        for name in &names {
            let s = g.status(name);
            let want = git_check_ignore(dir, &s.rel_path);
            let got = s.ignore.as_ref().map(|m| {
                (
                    m.source.as_ref().unwrap().canonicalize().unwrap(),
                    m.line,
                    m.pattern.clone(),
                )
            });
            assert_eq!(
                got, want,
                "ignore rule of {name} differs from git check-ignore"
            );
            let simulated = g.ignore_match_with(name, None).map(|m| {
                (
                    m.source.as_ref().unwrap().canonicalize().unwrap(),
                    m.line,
                    m.pattern.clone(),
                )
            });
            assert_eq!(
                simulated, got,
                "in-memory evaluation of {name} differs from the live stack"
            );
            assert_eq!(
                s.tracked,
                !git(dir, &["ls-files", "--", &s.rel_path]).is_empty(),
                "{name} tracked"
            );
            let head = std::process::Command::new("git")
                .args(["ls-tree", "--name-only", "HEAD", "--", &s.rel_path])
                .current_dir(dir)
                .output()
                .unwrap();
            assert_eq!(s.in_head, !head.stdout.is_empty(), "{name} in HEAD");
            let rule = match &s.ignore {
                Some(m) => {
                    let src = m.source.as_ref().unwrap().canonicalize().unwrap();
                    let src = src
                        .strip_prefix(dir.canonicalize().unwrap())
                        .unwrap_or(&src)
                        .display()
                        .to_string();
                    format!(
                        "{} by {src}:{}:{}",
                        if m.ignores() {
                            "ignored"
                        } else {
                            "re-included"
                        },
                        m.line,
                        m.pattern
                    )
                }
                None => "not ignored".into(),
            };
            out += &format!(
                "{name}: {rule}{}{}{}\n",
                if s.tracked { ", tracked" } else { "" },
                if s.in_head { ", in HEAD" } else { "" },
                if s.would_commit() {
                    ", would commit"
                } else {
                    ""
                },
            );
        }
        out
    }

    /// The chain holds the ancestors of the last directory only: siblings find their common
    /// parents, and a thousand folders leave no more than the depth of one.
    #[test]
    fn a_pass_remembers_the_ancestors_of_the_last_folder_only() {
        let mut chain = AncestorChain::default();
        for p in 0..1000 {
            let project = PathBuf::from(format!("/w/mono/p{p:04}"));
            if p > 0 {
                assert_eq!(
                    chain.get(Path::new("/w/mono")),
                    Some(&1),
                    "the common parent"
                );
                assert_eq!(chain.get(&project), None, "a new project");
            } else {
                chain.insert(PathBuf::from("/w"), 0);
                chain.insert(PathBuf::from("/w/mono"), 1);
            }
            chain.insert(project.clone(), 2);
            chain.insert(project.join(".dlt"), 3);
            assert_eq!(chain.get(&project.join(".dlt")), Some(&3));
        }
        assert_eq!(chain.chain.len(), 4);
        // A directory asked about again replaces itself and what was below it.
        chain.insert(PathBuf::from("/w/mono"), 5);
        assert_eq!(chain.get(Path::new("/w/mono")), Some(&5));
        assert_eq!(chain.get(Path::new("/w/mono/p0999")), None);
        assert_eq!(chain.chain.len(), 2);
        // Unrelated roots start a chain of their own.
        chain.insert(PathBuf::from("/v"), 6);
        assert_eq!(chain.get(Path::new("/w")), None);
        assert_eq!(chain.get(Path::new("/v")), Some(&6));
    }

    #[cfg(unix)]
    #[test]
    fn an_ancestor_is_a_whole_leading_part_of_the_path() {
        let above = |d: &str, p: &str| is_strict_ancestor(d.as_bytes(), p.as_bytes());
        assert!(above("/", "/w"));
        assert!(above("/w", "/w/mono"));
        assert!(above("/w/", "/w/mono"));
        assert!(!above("/w/mono", "/w/mono"), "not strictly");
        assert!(!above("/w/mono", "/w/mono2"), "a sibling sharing a prefix");
        assert!(!above("/w/mono/p1", "/w/mono"));
        let mut chain = AncestorChain::default();
        chain.insert(PathBuf::from("/w/mono"), 1);
        chain.insert(PathBuf::from("/w/mono2"), 2);
        assert_eq!(
            chain.get(Path::new("/w/mono")),
            None,
            "a sibling replaced it"
        );
        assert_eq!(chain.chain.len(), 1);
    }

    /// Resolving a folder from its cached parent gives exactly what `fs::canonicalize` gives,
    /// through symlinked directories too.
    #[cfg(unix)]
    #[test]
    fn canonical_folders_match_the_file_system() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path();
        std::fs::create_dir_all(base.join("real/p1/.dlt")).unwrap();
        std::fs::create_dir_all(base.join("real/p2/.dlt")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        std::os::unix::fs::symlink(base.join("real/p2"), base.join("real/p3")).unwrap();
        let mut reads = FileReads::default();
        for dir in [
            "real/p1/.dlt",
            "real/p2/.dlt",
            "link/p1/.dlt",
            "real/p3/.dlt",
            "link/p3/.dlt",
        ] {
            let dir = base.join(dir);
            assert_eq!(
                reads.canonical(&dir, None).unwrap(),
                dir.canonicalize().unwrap(),
                "{dir:?}"
            );
        }
        assert!(reads.canonical(&base.join("missing/.dlt"), None).is_err());
    }

    #[test]
    fn nested_gitignore_with_negation_matches_git() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n*.secrets.toml\n\
             //- proj/.dlt/.gitignore\n# keep the prod template\n!prod.secrets.toml\n\
             //- proj/.dlt/secrets.toml\n//- proj/.dlt/prod.secrets.toml\n//- proj/.dlt/dev.secrets.toml\n\
             //- proj/.dlt/config.toml\n",
        );
        expect_test::expect![[r#"
            config.toml: not ignored, would commit
            dev.secrets.toml: ignored by .gitignore:2:*.secrets.toml
            prod.secrets.toml: re-included by proj/.dlt/.gitignore:2:!prod.secrets.toml, would commit
            secrets.toml: ignored by .gitignore:1:secrets.toml
        "#]]
        .assert_eq(&render(&dir, "proj/.dlt"));
    }

    #[test]
    fn an_excluded_parent_directory_cannot_be_undone_by_a_negation_below_it() {
        let dir = git_fixture(
            "//- .gitignore\n/proj/.dlt/\n//- proj/.dlt/.gitignore\n!secrets.toml\n//- proj/.dlt/secrets.toml\n",
        );
        expect_test::expect![[r#"
            secrets.toml: ignored by .gitignore:1:/proj/.dlt/
        "#]]
        .assert_eq(&render(&dir, "proj/.dlt"));
    }

    #[test]
    fn a_force_added_file_is_tracked_although_a_pattern_ignores_it() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n//- .dlt/secrets.toml\npassword = \"x\"\n//- .dlt/config.toml\n",
        );
        git(&dir, &["add", "-f", ".dlt/secrets.toml"]);
        expect_test::expect![[r#"
            config.toml: not ignored, would commit
            secrets.toml: ignored by .gitignore:1:secrets.toml, tracked, would commit
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
        git(&dir, &["commit", "-q", "-m", "oops"]);
        expect_test::expect![[r#"
            config.toml: not ignored, would commit
            secrets.toml: ignored by .gitignore:1:secrets.toml, tracked, in HEAD, would commit
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
        git(&dir, &["rm", "-q", "--cached", ".dlt/secrets.toml"]);
        expect_test::expect![[r#"
            config.toml: not ignored, would commit
            secrets.toml: ignored by .gitignore:1:secrets.toml, in HEAD
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
    }

    #[test]
    fn core_excludes_file_and_info_exclude_count_below_gitignore() {
        let dir = git_fixture("//- excludes\n*.secrets.toml\nsecrets.toml\n//- .dlt/secrets.toml\n//- .dlt/prod.secrets.toml\n//- .dlt/dev.secrets.toml\n//- .gitignore\n!dev.secrets.toml\n");
        git(
            &dir,
            &[
                "config",
                "core.excludesFile",
                dir.join("excludes").to_str().unwrap(),
            ],
        );
        std::fs::write(
            dir.join(".git/info/exclude"),
            "# local\nprod.secrets.toml\n",
        )
        .unwrap();
        expect_test::expect![[r#"
            dev.secrets.toml: re-included by .gitignore:1:!dev.secrets.toml, would commit
            prod.secrets.toml: ignored by .git/info/exclude:2:prod.secrets.toml
            secrets.toml: ignored by excludes:2:secrets.toml
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
    }

    #[test]
    fn core_ignorecase_folds_pattern_case() {
        let dir = git_fixture("//- .gitignore\nSECRETS.TOML\n//- .dlt/secrets.toml\n");
        expect_test::expect![[r#"
            secrets.toml: not ignored, would commit
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
        git(&dir, &["config", "core.ignorecase", "true"]);
        expect_test::expect![[r#"
            secrets.toml: ignored by .gitignore:1:SECRETS.TOML
        "#]]
        .assert_eq(&render(&dir, ".dlt"));
    }

    /// Everything a folder's git state says, for comparing two loads.
    fn summary(g: &FolderGit) -> String {
        format!(
            "{} {:?} {:?} {:?} {:?}",
            g.dlt_rel,
            g.ignores,
            g.tracked,
            g.committed,
            g.gitignores
                .iter()
                .map(|i| (&i.rel_dir, &i.text))
                .collect::<Vec<_>>()
        )
    }

    #[test]
    fn one_cache_over_many_folders_answers_like_a_fresh_load_of_each() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n//- a/.dlt/.gitignore\n!secrets.toml\n\
             //- a/.dlt/secrets.toml\n//- a/.dlt/config.toml\n//- b/deep/.dlt/secrets.toml\n\
             //- b/.gitignore\n*.toml\n//- b/deep/.dlt/config.toml\n//- c/.dlt/secrets.toml\n\
             //- nested/.dlt/secrets.toml\n",
        );
        git(&dir, &["add", "-f", "a/.dlt/config.toml"]);
        git(&dir, &["commit", "-q", "-m", "c"]);
        // A repository of its own inside the first one.
        git(&dir.join("nested"), &["init", "-q", "-b", "main"]);
        let outside = write_fixture("//- .dlt/secrets.toml\n");
        let folders = [
            dir.join("a/.dlt"),
            dir.join("b/deep/.dlt"),
            dir.join("nested/.dlt"),
            outside.join(".dlt"),
            dir.join("c/.dlt"),
            dir.join("a/.dlt"),
        ];
        let names = ["config.toml", "secrets.toml"];
        let mut cache = GitCache::default();
        cache.begin_pass();
        for folder in &folders {
            let fresh = FolderGit::load(folder, &names).unwrap();
            let cached = FolderGit::load_with(folder, &names, &mut cache).unwrap();
            assert_eq!(
                fresh.as_ref().map(summary),
                cached.as_ref().map(summary),
                "{}",
                folder.display()
            );
        }
        assert!(
            FolderGit::load_with(&outside.join(".dlt"), &names, &mut cache)
                .unwrap()
                .is_none()
        );
    }

    /// A pass given the walk's listings answers like a fresh load of each folder it found (its
    /// exclude stack reading the `.gitignore` files the pass read, a sparse checkout's from the
    /// index, the disk where the walk's path has a symlink on it), and takes the listings at
    /// their word: a `.gitignore` created after the walk is not read (the file watcher reports
    /// it, and a new pass without listings reads it).
    #[cfg(unix)]
    #[test]
    fn a_pass_with_the_walks_listings_answers_like_a_fresh_load() {
        use crate::model::discovery::{walk, DirScan, WalkLimits};
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n//- a/.dlt/.gitignore\n!secrets.toml\n\
             //- a/.dlt/secrets.toml\n//- a/.dlt/config.toml\n//- b/deep/.dlt/secrets.toml\n\
             //- b/.gitignore\n*.toml\n//- b/deep/.dlt/config.toml\n//- c/.dlt/secrets.toml\n\
             //- nested/.dlt/secrets.toml\n//- d/.gitignore\nx\n\
             //- e/.gitignore\n!secrets.toml\n//- e/.dlt/secrets.toml\n//- f/.dlt/secrets.toml\n",
        );
        std::fs::write(dir.join("f/.gitignore"), b"!secrets.toml\n\xff\n").unwrap();
        git(&dir, &["add", "-f", "a/.dlt/config.toml", "e/.gitignore"]);
        git(&dir, &["commit", "-q", "-m", "c"]);
        // A sparse checkout left e/.gitignore out: git reads it from the index.
        git(&dir, &["update-index", "--skip-worktree", "e/.gitignore"]);
        std::fs::remove_file(dir.join("e/.gitignore")).unwrap();
        git(&dir.join("nested"), &["init", "-q", "-b", "main"]);
        let elsewhere = tempfile::tempdir().unwrap();
        let link = elsewhere.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let names = ["config.toml", "secrets.toml"];
        let walk_and_record = |top: &Path| {
            let walked = walk(&[top.to_path_buf()], WalkLimits::default());
            let mut listed = walked.listed;
            for found in &walked.found {
                listed.record(&found.dir, DirScan::read(&found.dir).git);
            }
            (walked.found, listed)
        };
        for top in [&dir, &link] {
            let (found, listed) = walk_and_record(top);
            assert_eq!(found.len(), 6);
            let mut cache = GitCache::default();
            cache.begin_pass();
            for found in &found {
                let fresh = FolderGit::load(&found.dir, &names).unwrap();
                let listed_load =
                    FolderGit::load_listed(&found.dir, &names, &mut cache, Some(&listed)).unwrap();
                assert_eq!(
                    fresh.as_ref().map(summary),
                    listed_load.as_ref().map(summary),
                    "{}",
                    found.dir.display()
                );
            }
        }
        let e = FolderGit::load(&dir.join("e/.dlt"), &names)
            .unwrap()
            .unwrap();
        assert!(
            !e.status("secrets.toml").is_ignored(),
            "the index's e/.gitignore"
        );

        let (_, listed) = walk_and_record(&dir);
        let c = dir.join("c/.dlt");
        std::fs::write(dir.join("c/.gitignore"), "!secrets.toml\n").unwrap();
        let fresh = FolderGit::load(&c, &names).unwrap().unwrap();
        assert_eq!(fresh.gitignores[1].text.as_deref(), Some("!secrets.toml\n"));
        assert!(!fresh.status("secrets.toml").is_ignored());
        let mut cache = GitCache::default();
        cache.begin_pass();
        let listed_load = FolderGit::load_listed(&c, &names, &mut cache, Some(&listed));
        let listed_load = listed_load.unwrap().unwrap();
        assert_eq!(listed_load.gitignores[1].text, None);
        assert!(listed_load.status("secrets.toml").is_ignored());
    }

    #[test]
    fn folders_of_one_pass_share_what_they_read_of_their_repository() {
        let dir = git_fixture(
            "//- .gitignore\nsecrets.toml\n//- a/.dlt/secrets.toml\n//- b/.dlt/secrets.toml\n",
        );
        let names = ["secrets.toml"];
        let mut cache = GitCache::default();
        cache.begin_pass();
        let load = |cache: &mut GitCache, p: &str| {
            FolderGit::load_with(&dir.join(p), &names, cache)
                .unwrap()
                .unwrap()
        };
        let (a, b) = (load(&mut cache, "a/.dlt"), load(&mut cache, "b/.dlt"));
        // A monorepo's thousand folders hold one copy of the root `.gitignore` and of the
        // repository's excludes, not a thousand.
        assert!(Arc::ptr_eq(&a.repo, &b.repo));
        assert!(Arc::ptr_eq(&a.gitignores[0], &b.gitignores[0]));
        assert_eq!(a.gitignores[0].text.as_deref(), Some("secrets.toml\n"));
        assert!(
            !Arc::ptr_eq(&a.gitignores[1], &b.gitignores[1]),
            "a/ and b/ differ"
        );
        assert!(a.status("secrets.toml").is_ignored() && b.status("secrets.toml").is_ignored());
        // And one copy of the rule that ignores every folder's secrets.
        let rule = |g: &FolderGit| g.status("secrets.toml").ignore.unwrap();
        assert!(Arc::ptr_eq(&rule(&a), &rule(&b)));
        assert_eq!(
            (rule(&a).line, rule(&a).pattern.as_str()),
            (1, "secrets.toml")
        );
        // A new pass reads the `.gitignore` again.
        cache.begin_pass();
        let again = load(&mut cache, "a/.dlt");
        assert!(!Arc::ptr_eq(&a.gitignores[0], &again.gitignores[0]));
    }

    #[test]
    fn a_new_pass_sees_what_changed_on_disk_and_a_pass_reads_each_input_once() {
        let dir = git_fixture("//- .dlt/secrets.toml\n");
        let dlt = dir.join(".dlt");
        let names = ["secrets.toml"];
        let mut cache = GitCache::default();
        let status = |cache: &mut GitCache| {
            FolderGit::load_with(&dlt, &names, cache)
                .unwrap()
                .unwrap()
                .status("secrets.toml")
        };
        cache.begin_pass();
        assert!(!status(&mut cache).is_ignored());
        std::fs::write(dir.join(".gitignore"), "secrets.toml\n").unwrap();
        // Within a pass the `.gitignore` read first is kept (and its stamp says it changed).
        assert!(!status(&mut cache).is_ignored());
        cache.begin_pass();
        assert!(status(&mut cache).is_ignored());
        // The index and HEAD: a repository is checked again in each new pass.
        git(&dir, &["add", "-f", ".dlt/secrets.toml"]);
        cache.begin_pass();
        assert!(status(&mut cache).tracked);
        git(&dir, &["commit", "-q", "-m", "c"]);
        cache.begin_pass();
        assert!(status(&mut cache).in_head);
        // A repository created where there was none is found once the cache is told.
        let plain = write_fixture("//- .dlt/secrets.toml\n");
        assert!(
            FolderGit::load_with(&plain.join(".dlt"), &names, &mut cache)
                .unwrap()
                .is_none()
        );
        git(&plain, &["init", "-q", "-b", "main"]);
        cache.forget();
        assert!(
            FolderGit::load_with(&plain.join(".dlt"), &names, &mut cache)
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn no_repository_means_no_git_state() {
        let dir = write_fixture("//- .dlt/secrets.toml\n");
        assert!(FolderGit::load(&dir.join(".dlt"), &["secrets.toml"])
            .unwrap()
            .is_none());
    }

    #[test]
    fn simulates_gitignore_edits_and_notices_changes_on_disk() {
        let dir = git_fixture("//- .dlt/.gitignore\n!secrets.toml\n//- .dlt/secrets.toml\n");
        let g = FolderGit::load(&dir.join(".dlt"), &["secrets.toml"])
            .unwrap()
            .unwrap();
        assert!(!g.is_stale());
        let root = dir.join(".gitignore");
        // The root file loses against the nested negation; appending to the nested one wins.
        assert!(!g
            .ignore_match_with("secrets.toml", Some((&root, "secrets.toml\n")))
            .unwrap()
            .ignores());
        let nested = dir.join(".dlt/.gitignore");
        let m = g
            .ignore_match_with(
                "secrets.toml",
                Some((&nested, "!secrets.toml\nsecrets.toml\n")),
            )
            .unwrap();
        assert!(m.ignores());
        assert_eq!(m.line, 2);
        // A file created after loading is evaluated from the captured inputs.
        assert!(g.status("prod.secrets.toml").ignore.is_none());
        std::fs::write(&root, "secrets.toml\n").unwrap();
        assert!(g.is_stale());
        git(&dir, &["add", "-f", ".dlt/secrets.toml"]);
        let g = FolderGit::load(&dir.join(".dlt"), &["secrets.toml"])
            .unwrap()
            .unwrap();
        assert!(g.status("secrets.toml").tracked);
    }
}
