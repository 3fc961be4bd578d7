//! gix's exclude stack for a pass, reading the `.gitignore` files from the disk or from what the
//! pass read already.
//!
//! A stack reading the disk opens the `.gitignore` of each directory it enters, although the
//! pass has read (or, from the walk's listings, knows the absence of) every one of them: two
//! failed `open`s per folder of a monorepo, ~4 µs each here (issue 7). For the folders of a walk
//! the stack is built from those texts instead, gix's own `IdMapping` source, so that git's rules
//! still decide.

use std::collections::BTreeMap;
use std::path::Path;

use gix::bstr::BString;
use gix::worktree::stack::state::ignore::Source;

use super::{gix_err, join_rel, FileReads, GitError, IgnoreMatch, RepoInputs, RepoState};
use crate::model::listings::ListedDirs;

/// The exclude stack of one pass over a repository.
pub(super) struct PassStack {
    stack: gix::worktree::Stack,
    /// The listing whose folders it serves, reading nothing from the disk; `None` for a stack
    /// that reads the disk, which serves any folder.
    listing: Option<u64>,
    /// The `.gitignore` texts it reads instead of the disk.
    blobs: MemoryObjects,
}

impl PassStack {
    /// Whether this stack may decide about a folder found by the walk of `listing` (`None`: a
    /// folder found otherwise).
    pub(super) fn serves(&self, listing: Option<&ListedDirs>) -> bool {
        self.listing.is_none() || self.listing == listing.map(ListedDirs::id)
    }

    /// The pattern that decides about `rel_path`, a file (work-tree relative); its source made
    /// absolute.
    pub(super) fn decide(
        &mut self,
        rel_path: &str,
        inputs: &RepoInputs,
        odb: &dyn gix::objs::Find,
    ) -> Result<Option<IgnoreMatch>, GitError> {
        let objects = Blobs {
            memory: &self.blobs,
            odb,
        };
        let platform = self
            .stack
            .at_entry(rel_path, Some(gix::index::entry::Mode::FILE), &objects)
            .map_err(gix_err)?;
        Ok(platform
            .matching_exclude_pattern()
            .map(|m| absolute_source(super::to_match(&m), &inputs.work_dir)))
    }
}

impl RepoState {
    /// The stack that reads every `.gitignore` from the disk, as git does.
    pub(super) fn disk_stack(&self) -> Result<PassStack, GitError> {
        let stack = self
            .repo
            .excludes(&self.index, None, Source::WorktreeThenIdMappingIfNotSkipped)
            .map_err(gix_err)?
            .detach();
        Ok(PassStack {
            stack,
            listing: None,
            blobs: MemoryObjects::default(),
        })
    }

    /// A stack for the folders found by the walk of `listed`, from the `.gitignore` files of
    /// the directories they lie in (read once for the pass through `reads`, the ones the walk
    /// saw without one not at all); `None` when that cannot stand for the disk: the work tree's
    /// path is not spelt as the walk spelt it, or a `.gitignore` cannot be read.
    pub(super) fn listed_stack(
        &self,
        reads: &mut FileReads,
        listed: &ListedDirs,
    ) -> Option<PassStack> {
        let work_dir = &self.inputs.work_dir;
        if *work_dir != self.canonical_work_dir {
            return None;
        }
        // Below the walk's tops, the listings tell; between the work tree's root and a top,
        // nothing was listed.
        let mut rel_dirs = std::collections::BTreeSet::new();
        for top in listed.tops() {
            for dir in top.ancestors().skip(1) {
                let Ok(rel) = dir.strip_prefix(work_dir) else {
                    break;
                };
                rel_dirs.insert(slash_separated(rel)?);
            }
        }
        for dir in listed.dirs_with_gitignore() {
            if let Ok(rel) = dir.strip_prefix(work_dir) {
                rel_dirs.insert(slash_separated(rel)?);
            }
        }
        let mut blobs = MemoryObjects::default();
        let mut mappings = Vec::new();
        for rel_dir in &rel_dirs {
            let file = reads.gitignore(work_dir, rel_dir, Some(listed));
            let read_again;
            let bytes = match (&file.text, file.exact) {
                (Some(text), true) => text.as_bytes(),
                (None, true) => continue,
                // Not UTF-8: git takes its bytes. Unreadable: the disk's stack fails as git does.
                (_, false) => {
                    read_again = std::fs::read(&file.path).ok()?;
                    &read_again
                }
            };
            mappings.push(blobs.serve_gitignore(rel_dir, bytes));
        }
        // Where no `.gitignore` is on the disk, git reads a sparse checkout's from the index.
        let index_only = gix::worktree::stack::State::IgnoreStack(ignore_state(
            gix::ignore::Search::default(),
            Source::WorktreeThenIdMappingIfNotSkipped,
        ))
        .id_mappings_from_index(
            &self.index,
            self.index.path_backing(),
            case(&self.inputs),
        );
        for (path, id) in index_only {
            if !mappings.iter().any(|(p, _)| *p == path) {
                mappings.push((path, id));
            }
        }
        Some(PassStack {
            stack: memory_stack(&self.inputs, mappings),
            listing: Some(listed.id()),
            blobs,
        })
    }
}

/// A stack over the work tree of `inputs` whose `.gitignore` files are the blobs `mappings`
/// point to (work-tree relative paths), never the disk.
pub(super) fn memory_stack(
    inputs: &RepoInputs,
    mut mappings: Vec<(BString, gix::ObjectId)>,
) -> gix::worktree::Stack {
    mappings.sort();
    gix::worktree::Stack::new(
        &inputs.work_dir,
        gix::worktree::stack::State::IgnoreStack(ignore_state(
            inputs.globals.clone(),
            Source::IdMapping,
        )),
        case(inputs),
        Vec::new(),
        mappings,
    )
}

fn ignore_state(
    globals: gix::ignore::Search,
    source: Source,
) -> gix::worktree::stack::state::Ignore {
    gix::worktree::stack::state::Ignore::new(
        Default::default(),
        globals,
        None,
        source,
        gix::ignore::search::Ignore::default(),
    )
}

fn case(inputs: &RepoInputs) -> gix::glob::pattern::Case {
    if inputs.ignore_case {
        gix::glob::pattern::Case::Fold
    } else {
        gix::glob::pattern::Case::Sensitive
    }
}

/// `m` with a work-tree relative source (a `.gitignore` served from memory or the index) made
/// absolute, as a stack reading the disk reports it.
pub(super) fn absolute_source(mut m: IgnoreMatch, work_dir: &Path) -> IgnoreMatch {
    if let Some(src) = &m.source {
        if src.is_relative() {
            m.source = Some(crate::model::paths::join(work_dir, src));
        }
    }
    m
}

/// `rel` with `/` between its components; `None` when it is not UTF-8.
fn slash_separated(rel: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// An id for the `i`th text served from memory; it names no real object.
fn fake_id(i: usize) -> gix::ObjectId {
    let mut bytes = [0u8; 20];
    bytes[12..20].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    gix::ObjectId::from_bytes_or_panic(&bytes)
}

/// `.gitignore` contents served to gix's stack as if they were blobs.
#[derive(Default)]
pub(super) struct MemoryObjects(BTreeMap<gix::ObjectId, Vec<u8>>);

impl MemoryObjects {
    /// Serves `text` as the `.gitignore` of `rel_dir` (work-tree relative): the mapping to give
    /// [`memory_stack`].
    pub(super) fn serve_gitignore(
        &mut self,
        rel_dir: &str,
        text: &[u8],
    ) -> (BString, gix::ObjectId) {
        let id = fake_id(self.0.len());
        self.0.insert(id, text.to_vec());
        (BString::from(join_rel(rel_dir, ".gitignore")), id)
    }
}

impl gix::objs::Find for MemoryObjects {
    fn try_find<'a>(
        &self,
        id: &gix::oid,
        buffer: &'a mut Vec<u8>,
    ) -> Result<Option<gix::objs::Data<'a>>, gix::error::Error> {
        let Some(data) = self.0.get(id) else {
            return Ok(None);
        };
        buffer.clear();
        buffer.extend_from_slice(data);
        Ok(Some(gix::objs::Data {
            kind: gix::object::Kind::Blob,
            object_hash: gix::hash::Kind::Sha1,
            data: buffer,
        }))
    }
}

/// Blobs from memory first, then from the repository (a `.gitignore` only in the index).
struct Blobs<'a> {
    memory: &'a MemoryObjects,
    odb: &'a dyn gix::objs::Find,
}

impl gix::objs::Find for Blobs<'_> {
    fn try_find<'a>(
        &self,
        id: &gix::oid,
        buffer: &'a mut Vec<u8>,
    ) -> Result<Option<gix::objs::Data<'a>>, gix::error::Error> {
        if self.memory.0.contains_key(id) {
            return self.memory.try_find(id, buffer);
        }
        self.odb.try_find(id, buffer)
    }
}
