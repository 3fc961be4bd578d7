//! The TOML files of one `.dlt` folder.

use std::sync::Arc;

use super::source::SourceFile;

/// A folder's files by name, kept sorted in a vector: a folder has a handful, and a
/// `BTreeMap<String, _>` took a node of eleven entries and a copy of every name per folder, a
/// third of a megabyte in a monorepo of a thousand projects (issue 7).
#[derive(Debug, Clone, Default)]
pub struct Files(Vec<Arc<SourceFile>>);

impl Files {
    fn find(&self, name: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|f| f.name.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&Arc<SourceFile>> {
        self.find(name).ok().map(|i| &self.0[i])
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// Puts `file` under its name; the file it replaces, if any.
    pub fn insert(&mut self, file: Arc<SourceFile>) -> Option<Arc<SourceFile>> {
        match self.find(&file.name) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i], file)),
            Err(i) => {
                self.0.insert(i, file);
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Arc<SourceFile>> {
        self.find(name).ok().map(|i| self.0.remove(i))
    }

    /// The names, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.0.iter().map(|f| f.name.as_str())
    }

    /// The files, in the order of their names.
    pub fn values(&self) -> std::slice::Iter<'_, Arc<SourceFile>> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::ops::Index<&str> for Files {
    type Output = Arc<SourceFile>;

    /// The file named `name`; panics when there is none, as a map does.
    fn index(&self, name: &str) -> &Arc<SourceFile> {
        self.get(name)
            .unwrap_or_else(|| panic!("no file named {name}"))
    }
}

impl FromIterator<Arc<SourceFile>> for Files {
    /// One file per name: of two with the same name, the later one.
    fn from_iter<I: IntoIterator<Item = Arc<SourceFile>>>(files: I) -> Files {
        let mut all = Files::default();
        for f in files {
            all.insert(f);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(name: &str, text: &str) -> Arc<SourceFile> {
        let path = Path::new("/w/.dlt").join(name);
        Arc::new(SourceFile::from_text(&path, Arc::from(text), None))
    }

    #[test]
    fn files_stay_sorted_by_name_and_one_per_name() {
        let mut files = Files::default();
        assert!(files.is_empty());
        for name in [
            "secrets.toml",
            "config.toml",
            "prod.config.toml",
            "dev.secrets.toml",
        ] {
            assert!(files.insert(file(name, "")).is_none());
        }
        let names: Vec<&str> = files.keys().collect();
        assert_eq!(
            names,
            [
                "config.toml",
                "dev.secrets.toml",
                "prod.config.toml",
                "secrets.toml"
            ]
        );
        let old = files
            .insert(file("config.toml", "a = 1\n"))
            .expect("replaced");
        assert_eq!(&*old.text, "");
        assert_eq!(&*files.get("config.toml").unwrap().text, "a = 1\n");
        assert_eq!(files.len(), 4);
        assert!(files.contains_key("secrets.toml") && !files.contains_key("nope.toml"));
        assert_eq!(
            files.remove("dev.secrets.toml").unwrap().name,
            "dev.secrets.toml"
        );
        assert!(files.remove("dev.secrets.toml").is_none());
        let order: Vec<&str> = files.values().map(|f| f.name.as_str()).collect();
        assert_eq!(order, ["config.toml", "prod.config.toml", "secrets.toml"]);
        assert_eq!(files["secrets.toml"].name, "secrets.toml");
        let again: Files = [file("b.toml", "1"), file("a.toml", ""), file("b.toml", "2")]
            .into_iter()
            .collect();
        assert_eq!(again.keys().collect::<Vec<_>>(), ["a.toml", "b.toml"]);
        assert_eq!(&*again["b.toml"].text, "2", "the later of two");
    }
}
