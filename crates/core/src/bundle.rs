//! The one output type every renderer produces and every consumer (ZIP writer, directory
//! writer, preview, GitHub publisher) reads: an ordered set of (path, bytes, unix mode).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::error::Problem;

/// Unix permissions of a file in a bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum FileMode {
    /// `0644`
    Regular,
    /// `0755` — scripts that agents execute.
    Executable,
    /// `0600` — a file holding the key that nothing executes (the hook's curl config,
    /// OpenCode's data file). In a git repository it is an ordinary file (`100644`): git keeps
    /// only the executable bit (the hook script makes its config private when it first runs).
    Private,
}

impl FileMode {
    pub fn unix(self) -> u32 {
        match self {
            FileMode::Regular => 0o644,
            FileMode::Executable => 0o755,
            FileMode::Private => 0o600,
        }
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct BundleFile {
    pub path: String,
    pub contents: Vec<u8>,
    pub mode: FileMode,
}

impl std::fmt::Debug for BundleFile {
    // Contents may hold the key: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleFile")
            .field("path", &self.path)
            .field("len", &self.contents.len())
            .field("mode", &self.mode)
            .finish()
    }
}

/// Files keyed by their relative path, iterated in byte order of the path.
///
/// Every path is relative, `/`-separated, and has no empty, `.` or `..` component, so no
/// consumer can write outside the directory it extracts into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bundle {
    files: BTreeMap<String, BundleFile>,
}

impl Bundle {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file; a path that could escape the root, or one already present, is refused.
    pub fn insert(
        &mut self,
        path: impl Into<String>,
        contents: impl Into<Vec<u8>>,
        mode: FileMode,
    ) -> Result<(), Problem> {
        let path = path.into();
        check_relative_path(&path)?;
        if self.files.contains_key(&path) {
            return Err(Problem::new(crate::Field::Path, format!("Two generated files would both be written to {path:?}: rename one of the plugins.")));
        }
        // A file and a directory of the same name cannot both exist on disk.
        // The map is sorted, so files below `path/` would come right after that key; and a
        // file at any ancestor of `path` would have that ancestor's exact name.
        let as_dir = format!("{path}/");
        let has_children = self
            .files
            .range(as_dir.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&as_dir));
        let has_file_ancestor = path
            .match_indices('/')
            .any(|(i, _)| self.files.contains_key(&path[..i]));
        if has_children || has_file_ancestor {
            return Err(Problem::new(
                crate::Field::Path,
                format!("{path:?} would be both a file and a folder: rename one of the plugins."),
            ));
        }
        self.files.insert(
            path.clone(),
            BundleFile {
                path,
                contents: contents.into(),
                mode,
            },
        );
        Ok(())
    }

    /// Adds every file of `other` below `dir/`.
    pub fn insert_under(&mut self, dir: &str, other: Bundle) -> Result<(), Problem> {
        for file in other.files.into_values() {
            self.insert(format!("{dir}/{}", file.path), file.contents, file.mode)?;
        }
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&BundleFile> {
        self.files.get(path)
    }

    pub fn files(&self) -> impl ExactSizeIterator<Item = &BundleFile> {
        self.files.values()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn total_bytes(&self) -> usize {
        self.files.values().map(|f| f.contents.len()).sum()
    }
}

/// Refuses absolute paths, `..`, `.`, empty components, backslashes and control characters.
pub fn check_relative_path(path: &str) -> Result<(), Problem> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
        && !path.contains(':');
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            crate::Field::Path,
            format!("{path:?} is not a safe relative path inside the plugin."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_escape_are_refused() {
        let mut b = Bundle::new();
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a\\b",
            "C:/x",
            "a/\n",
        ] {
            assert!(b.insert(bad, "x", FileMode::Regular).is_err(), "{bad:?}");
        }
        assert!(b.is_empty());
    }

    #[test]
    fn files_iterate_sorted_and_duplicates_or_file_dir_clashes_fail() {
        let mut b = Bundle::new();
        b.insert("b/x", "1", FileMode::Regular).unwrap();
        b.insert("a", "2", FileMode::Executable).unwrap();
        assert!(b.insert("a", "3", FileMode::Regular).is_err());
        assert!(b.insert("b", "3", FileMode::Regular).is_err());
        assert!(b.insert("a/c", "3", FileMode::Regular).is_err());
        let paths: Vec<_> = b.files().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["a", "b/x"]);
        assert_eq!(b.total_bytes(), 2);
    }
}
