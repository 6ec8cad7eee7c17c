//! Git's object ids, computed locally: the SHA-1 of a blob and of the tree a [`Bundle`] makes.
//!
//! The publisher compares the tree id of what it would publish with the tree of the branch head:
//! equal ids mean the repository already holds exactly these bytes and modes, so nothing is
//! written. The formats are git's own (`git hash-object`, `git mktree`); the tests check them
//! against the real `git`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use sha1::{Digest, Sha1};

use crate::bundle::{Bundle, FileMode};

/// A git object id (SHA-1), shown as 40 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId([u8; 20]);

impl ObjectId {
    pub fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    pub fn to_hex(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ObjectId({self})")
    }
}

/// The text is not 40 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a git object id (40 hex digits)")]
pub struct BadObjectId(pub String);

impl FromStr for ObjectId {
    type Err = BadObjectId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadObjectId(s.chars().take(64).collect());
        if s.len() != 40 {
            return Err(bad());
        }
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

/// Git's mode of a file in a tree: `100644` or `100755` (what GitHub's tree API takes).
pub fn git_mode(mode: FileMode) -> &'static str {
    match mode {
        FileMode::Regular | FileMode::Private => "100644",
        FileMode::Executable => "100755",
    }
}

fn hash_object(kind: &str, body: &[u8]) -> ObjectId {
    let mut h = Sha1::new();
    h.update(format!("{kind} {}\0", body.len()).as_bytes());
    h.update(body);
    ObjectId(h.finalize().into())
}

/// `git hash-object` of these bytes.
pub fn blob_id(contents: &[u8]) -> ObjectId {
    hash_object("blob", contents)
}

/// The id of the root tree git would record for `bundle` (what `git add -A && git write-tree`
/// gives in a directory holding exactly these files and modes).
pub fn tree_id(bundle: &Bundle) -> ObjectId {
    Dir::of(bundle).id()
}

/// The tree id of every folder of `bundle` at any depth (`a`, `a/hooks`, …; not the root), so
/// a publish can reference a folder GitHub already holds instead of sending its files.
pub fn folder_ids(bundle: &Bundle) -> BTreeMap<String, ObjectId> {
    fn walk(dir: &Dir, prefix: &str, out: &mut BTreeMap<String, ObjectId>) -> ObjectId {
        let mut subtrees = Vec::new();
        for (name, sub) in &dir.dirs {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let id = walk(sub, &path, out);
            out.insert(path, id);
            subtrees.push((name.as_str(), id));
        }
        dir.id_with(&subtrees)
    }
    let mut out = BTreeMap::new();
    walk(&Dir::of(bundle), "", &mut out);
    out
}

#[derive(Default)]
struct Dir {
    files: BTreeMap<String, (&'static str, ObjectId)>,
    dirs: BTreeMap<String, Dir>,
}

impl Dir {
    fn of(bundle: &Bundle) -> Self {
        let mut root = Dir::default();
        for file in bundle.files() {
            let mut dir = &mut root;
            let mut parts = file.path.split('/').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    dir.files.insert(
                        part.to_owned(),
                        (git_mode(file.mode), blob_id(&file.contents)),
                    );
                } else {
                    dir = dir.dirs.entry(part.to_owned()).or_default();
                }
            }
        }
        root
    }

    fn id(&self) -> ObjectId {
        let subtrees: Vec<(&str, ObjectId)> = self
            .dirs
            .iter()
            .map(|(n, d)| (n.as_str(), d.id()))
            .collect();
        self.id_with(&subtrees)
    }

    /// The id, given the ids of the subfolders (computed once by [`folder_ids`]).
    fn id_with(&self, subtrees: &[(&str, ObjectId)]) -> ObjectId {
        // Git sorts entries by name, comparing a tree's name as if it ended in '/'.
        let mut entries: Vec<(Vec<u8>, &str, &str, ObjectId)> = Vec::new();
        for (name, (mode, id)) in &self.files {
            entries.push((name.as_bytes().to_vec(), name, mode, *id));
        }
        for (name, id) in subtrees {
            let mut key = name.as_bytes().to_vec();
            key.push(b'/');
            entries.push((key, name, "40000", *id));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut body = Vec::new();
        for (_, name, mode, id) in entries {
            body.extend_from_slice(mode.as_bytes());
            body.push(b' ');
            body.extend_from_slice(name.as_bytes());
            body.push(0);
            body.extend_from_slice(id.as_bytes());
        }
        hash_object("tree", &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_ids() {
        // `git hash-object /dev/null` and `git mktree </dev/null`.
        assert_eq!(
            blob_id(b"").to_string(),
            "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            tree_id(&Bundle::new()).to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        assert_eq!(
            blob_id(b"hello\n").to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn folder_ids_are_the_trees_of_the_folders() {
        let mut b = Bundle::new();
        b.insert("README.md", "hi\n", FileMode::Regular).unwrap();
        b.insert("a/x.json", "{}", FileMode::Regular).unwrap();
        b.insert("a/hooks/run.sh", "#!/bin/sh\n", FileMode::Executable)
            .unwrap();
        b.insert("a-b/y", "y", FileMode::Regular).unwrap();
        let ids = folder_ids(&b);
        let names: Vec<&str> = ids.keys().map(String::as_str).collect();
        assert_eq!(names, ["a", "a-b", "a/hooks"]);
        let mut a = Bundle::new();
        a.insert("x.json", "{}", FileMode::Regular).unwrap();
        a.insert("hooks/run.sh", "#!/bin/sh\n", FileMode::Executable)
            .unwrap();
        assert_eq!(ids["a"], tree_id(&a));
        let mut hooks = Bundle::new();
        hooks
            .insert("run.sh", "#!/bin/sh\n", FileMode::Executable)
            .unwrap();
        assert_eq!(ids["a/hooks"], tree_id(&hooks));
    }

    #[test]
    fn ids_parse_and_print() {
        let id: ObjectId = "ce013625030ba8dba906f756967f9e9ca394464a".parse().unwrap();
        assert_eq!(id, blob_id(b"hello\n"));
        assert!("ce01".parse::<ObjectId>().is_err());
        assert!("zz013625030ba8dba906f756967f9e9ca394464a"
            .parse::<ObjectId>()
            .is_err());
    }
}
