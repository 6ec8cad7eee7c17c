//! What a publish would change, computed before anything is written: added, changed (with a
//! unified diff of text files) and removed paths. Keys are masked in every diff, old ones too.

use std::collections::BTreeMap;

use serde::Serialize;
use similar::TextDiff;

use super::git_object::{blob_id, git_mode, tree_id, ObjectId};
use crate::bundle::Bundle;
use crate::domain::MarketplaceRepo;

/// One path the publish adds, changes or removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct FileChange {
    pub path: String,
    /// Git's mode on the branch now (`100644`, `100755`), if the file is there.
    pub mode_before: Option<String>,
    /// Git's mode after the publish, if the file stays.
    pub mode_after: Option<String>,
    /// A unified diff for a changed text file, with every Gram key masked to its prefix.
    pub diff: Option<String>,
}

/// What publishing would do to the branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct PublishPlan {
    /// `owner/name`.
    pub repo: String,
    pub branch: String,
    /// `false`: the repository does not exist yet and would be created.
    pub repository_exists: bool,
    /// Whether the token may push (`None`: GitHub did not say, or the repository is new).
    pub can_push: Option<bool>,
    /// The branch's head commit, if it has one.
    pub head: Option<String>,
    /// The tree id of what would be published.
    pub tree: String,
    pub added: Vec<FileChange>,
    pub changed: Vec<FileChange>,
    pub removed: Vec<FileChange>,
    /// Files already on the branch byte for byte, with the same mode.
    pub unchanged_files: usize,
}

/// A commit on the marketplace's branch, as a status line shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct CommitInfo {
    pub sha: String,
    /// The author's name, as git recorded it.
    pub author: String,
    /// When it was authored (ISO 8601, as GitHub gives it).
    pub date: String,
    /// The first line of its message.
    pub message: String,
    /// The commit's page on GitHub.
    pub url: String,
}

impl PublishPlan {
    /// Nothing would be written.
    pub fn is_unchanged(&self) -> bool {
        self.head.is_some()
            && self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
    }

    fn empty(repo: &MarketplaceRepo, branch: &str, bundle: &Bundle, exists: bool) -> Self {
        Self {
            repo: repo.to_string(),
            branch: branch.to_owned(),
            repository_exists: exists,
            can_push: None,
            head: None,
            tree: tree_id(bundle).to_string(),
            added: Vec::new(),
            changed: Vec::new(),
            removed: Vec::new(),
            unchanged_files: 0,
        }
    }

    /// A repository, or branch, with nothing on it: every file is new.
    pub(crate) fn everything_new(
        repo: &MarketplaceRepo,
        branch: &str,
        bundle: &Bundle,
        exists: bool,
    ) -> Self {
        let mut plan = Self::empty(repo, branch, bundle, exists);
        plan.added = bundle
            .files()
            .map(|f| FileChange {
                path: f.path.clone(),
                mode_before: None,
                mode_after: Some(git_mode(f.mode).to_owned()),
                diff: None,
            })
            .collect();
        plan
    }

    pub(crate) fn unchanged(
        repo: &MarketplaceRepo,
        branch: &str,
        head: ObjectId,
        bundle: &Bundle,
    ) -> Self {
        let mut plan = Self::empty(repo, branch, bundle, true);
        plan.head = Some(head.to_string());
        plan.unchanged_files = bundle.len();
        plan
    }

    /// Fills in the diffs of changed files from their published text.
    pub(crate) fn with_diffs(mut self, bundle: &Bundle, old: &[(String, Vec<u8>)]) -> Self {
        for change in &mut self.changed {
            let Some((_, before)) = old.iter().find(|(p, _)| *p == change.path) else {
                continue;
            };
            let (Ok(before), Some(Ok(after))) = (
                std::str::from_utf8(before),
                bundle
                    .get(&change.path)
                    .map(|f| std::str::from_utf8(&f.contents)),
            ) else {
                continue;
            };
            let (before, after) = (mask_keys(before), mask_keys(after));
            let diff = TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{}", change.path), &format!("b/{}", change.path))
                .to_string();
            change.diff = Some(diff);
        }
        self
    }
}

/// Compares the bundle with the published listing; `fetch` gets the changed text files whose
/// published text a diff needs.
pub(crate) fn compare(
    repo: &MarketplaceRepo,
    branch: &str,
    head: ObjectId,
    bundle: &Bundle,
    listing: &[(String, String, ObjectId)],
    fetch: &mut Vec<(String, ObjectId)>,
) -> PublishPlan {
    let mut plan = PublishPlan::empty(repo, branch, bundle, true);
    plan.head = Some(head.to_string());
    let published: BTreeMap<&str, (&str, ObjectId)> = listing
        .iter()
        .map(|(p, m, id)| (p.as_str(), (m.as_str(), *id)))
        .collect();
    for file in bundle.files() {
        let mode = git_mode(file.mode);
        match published.get(file.path.as_str()) {
            None => plan.added.push(FileChange {
                path: file.path.clone(),
                mode_before: None,
                mode_after: Some(mode.to_owned()),
                diff: None,
            }),
            Some((old_mode, old_id)) => {
                let id = blob_id(&file.contents);
                if id == *old_id && *old_mode == mode {
                    plan.unchanged_files += 1;
                    continue;
                }
                if id != *old_id && std::str::from_utf8(&file.contents).is_ok() {
                    fetch.push((file.path.clone(), *old_id));
                }
                plan.changed.push(FileChange {
                    path: file.path.clone(),
                    mode_before: Some((*old_mode).to_owned()),
                    mode_after: Some(mode.to_owned()),
                    diff: None,
                });
            }
        }
    }
    for (path, (mode, _)) in &published {
        if bundle.get(path).is_none() {
            plan.removed.push(FileChange {
                path: (*path).to_owned(),
                mode_before: Some((*mode).to_owned()),
                mode_after: None,
                diff: None,
            });
        }
    }
    plan
}

/// Replaces every Gram key (`gram_<env>_<64 hex>`) with the prefix Gram shows
/// (`gram_<env>_` + 5 hex) and `…`.
pub fn mask_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("gram_") {
        out.push_str(&rest[..i]);
        let candidate = &rest[i..];
        match key_len(candidate) {
            Some((env_end, len)) => {
                out.push_str(&candidate[..env_end + 5]);
                out.push('…');
                rest = &candidate[len..];
            }
            None => {
                out.push_str("gram_");
                rest = &candidate[5..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// For text starting with `gram_`: (index just past `gram_<env>_`, the key's length).
fn key_len(s: &str) -> Option<(usize, usize)> {
    let after = &s[5..];
    let env = after.bytes().take_while(u8::is_ascii_lowercase).count();
    if env == 0 || after.as_bytes().get(env) != Some(&b'_') {
        return None;
    }
    let hex_start = 5 + env + 1;
    let hex = s[hex_start..]
        .bytes()
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    (hex >= 64).then_some((hex_start, hex_start + hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_masked_to_their_prefix() {
        let key = format!("gram_live_{}", "ab12".repeat(16));
        let text = format!("header = \"Gram-Key: {key}\"\nnot gram_x and gram_live_12\n");
        let masked = mask_keys(&text);
        assert_eq!(
            masked,
            "header = \"Gram-Key: gram_live_ab12a…\"\nnot gram_x and gram_live_12\n"
        );
        assert!(!masked.contains(&key));
    }
}
