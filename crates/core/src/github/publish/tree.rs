//! The bundle's tree on GitHub: small UTF-8 files inline, large or binary ones uploaded as
//! blobs, each request within [`MAX_TREE_REQUEST_BYTES`], and — for a bundle past that budget —
//! whatever the branch already holds referenced by id. Also the branch's files read back for a
//! plan.

use std::collections::{HashMap, HashSet};

use base64::Engine as _;
use serde_json::{json, Value};

use super::{parse_sha, refused, unexpected, Method, Publisher, Resend};
use crate::bundle::{Bundle, BundleFile};
use crate::domain::MarketplaceRepo;
use crate::github::git_object::{blob_id, folder_ids, git_mode, ObjectId};
use crate::github::{GithubError, Step};

/// Files larger than this, or not UTF-8, are uploaded as blobs; the rest go inline in the tree.
pub const MAX_INLINE_BYTES: usize = 64 * 1024;
/// A tree request's body stays well under the ~2 MB where GitHub starts failing: a bundle past
/// this budget references what the branch already holds by id, and what is still too much is
/// split over several tree requests ([`Publisher::publish`]).
pub const MAX_TREE_REQUEST_BYTES: usize = 768 * 1024;
/// What one entry of an uploaded blob (by its sha) adds to a tree request, at most.
const TREE_REF_COST: usize = 400;
/// What a tree request's body holds besides its entries: `{"tree":[`…`]}` and, for every
/// request but the first, `"base_tree":"<40 hex>"` (67 bytes; rounded up).
const TREE_REQUEST_FRAME: usize = 128;
/// What the entries of one tree request may add up to.
const TREE_ENTRIES_BUDGET: usize = MAX_TREE_REQUEST_BYTES - TREE_REQUEST_FRAME;

impl Publisher {
    /// Every entry of a tree and its subtrees, in one recursive read; `None` when GitHub cut the
    /// listing short (`truncated`, over 100,000 entries).
    async fn list_tree(
        &self,
        repo: &MarketplaceRepo,
        tree: ObjectId,
    ) -> Result<Option<Vec<Value>>, GithubError> {
        let step = Step::ReadTree;
        let mut reply = self
            .get(
                step,
                &Self::repo_path(repo, &format!("/git/trees/{tree}?recursive=1")),
            )
            .await?;
        if reply.status != 200 {
            return Err(refused(step, &reply));
        }
        if reply.body["truncated"].as_bool() == Some(true) {
            return Ok(None);
        }
        Ok(Some(match reply.body["tree"].take() {
            Value::Array(entries) => entries,
            _ => Vec::new(),
        }))
    }

    /// Every blob of a tree: (path, mode, id). `truncated` listings are refused.
    pub(super) async fn read_tree(
        &self,
        repo: &MarketplaceRepo,
        tree: ObjectId,
    ) -> Result<Vec<(String, String, ObjectId)>, GithubError> {
        let step = Step::ReadTree;
        let Some(entries) = self.list_tree(repo, tree).await? else {
            return Err(unexpected(
                step,
                "the repository has more files than GitHub lists at once (over 100,000)",
            ));
        };
        let mut out = Vec::new();
        for entry in entries.iter().filter(|e| e["type"] == "blob") {
            let path = entry["path"].as_str().unwrap_or_default().to_owned();
            let mode = entry["mode"].as_str().unwrap_or_default().to_owned();
            out.push((path, mode, parse_sha(step, entry["sha"].as_str())?));
        }
        Ok(out)
    }

    pub(super) async fn read_blob(
        &self,
        repo: &MarketplaceRepo,
        sha: &ObjectId,
    ) -> Result<Vec<u8>, GithubError> {
        let step = Step::ReadFile;
        let reply = self
            .get(step, &Self::repo_path(repo, &format!("/git/blobs/{sha}")))
            .await?;
        if reply.status != 200 {
            return Err(refused(step, &reply));
        }
        let content: String = reply
            .str("/content")
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(content)
            .map_err(|_| unexpected(step, "a file that is not base64"))
    }

    /// The root tree of the whole bundle, in as few requests as the per-request budget allows.
    /// When everything fits, one request carries every file. Otherwise the branch's files are
    /// listed once (`head_tree`) and whatever GitHub already holds is referenced by id — whole
    /// folders when unchanged, single files otherwise — so only changed files travel; when even
    /// that does not fit, the tree is built in several requests, each one adding to the tree
    /// the previous one made (`base_tree` is only ever a tree of this publish, never the
    /// branch's: what is not in the bundle disappears). Small UTF-8 files go inline, large or
    /// binary ones are uploaded as blobs.
    pub(super) async fn create_tree(
        &self,
        repo: &MarketplaceRepo,
        bundle: &Bundle,
        expected: ObjectId,
        head_tree: Option<ObjectId>,
    ) -> Result<(), GithubError> {
        let mut parts = tree_parts(bundle, &Held::default());
        if parts.iter().map(TreePart::cost).sum::<usize>() > TREE_ENTRIES_BUDGET {
            if let Some(tree) = head_tree {
                let held = self.read_held(repo, tree).await?;
                parts = tree_parts(bundle, &held);
            }
        }
        let mut requests: Vec<Vec<&TreePart<'_>>> = vec![Vec::new()];
        let mut used = 0usize;
        for part in &parts {
            let c = part.cost();
            if used + c > TREE_ENTRIES_BUDGET && used > 0 {
                requests.push(Vec::new());
                used = 0;
            }
            used += c;
            requests.last_mut().expect("one request").push(part);
        }
        let mut base: Option<ObjectId> = None;
        for request in &requests {
            let mut entries = Vec::with_capacity(request.len());
            for part in request {
                entries.push(match part {
                    TreePart::Inline(entry) | TreePart::Ref(entry) => (*entry).clone(),
                    TreePart::Upload(file) => {
                        let sha = self.upload_blob(repo, &file.contents).await?;
                        json!({ "path": file.path, "mode": git_mode(file.mode), "type": "blob", "sha": sha.to_string() })
                    }
                });
            }
            let mut body = json!({ "tree": entries });
            if let Some(base) = base {
                body["base_tree"] = Value::String(base.to_string());
            }
            let step = Step::CreateTree;
            let reply = self
                .send(
                    step,
                    Method::Post,
                    &Self::repo_path(repo, "/git/trees"),
                    &body,
                    Resend::Safe,
                )
                .await?;
            if reply.status != 201 {
                return Err(refused(step, &reply));
            }
            base = Some(parse_sha(step, reply.str("/sha"))?);
        }
        let made = base.expect("at least one request");
        if made != expected {
            return Err(unexpected(
                Step::CreateTree,
                &format!("GitHub made tree {made}, but these files make {expected}"),
            ));
        }
        Ok(())
    }

    /// Every blob and folder of a tree on the branch, by path (one recursive read). A listing
    /// GitHub cuts short is not used: everything is then sent.
    async fn read_held(&self, repo: &MarketplaceRepo, tree: ObjectId) -> Result<Held, GithubError> {
        let mut held = Held::default();
        for entry in self.list_tree(repo, tree).await?.unwrap_or_default() {
            let (Some(path), Ok(sha)) = (
                entry["path"].as_str(),
                parse_sha(Step::ReadTree, entry["sha"].as_str()),
            ) else {
                continue;
            };
            match entry["type"].as_str() {
                Some("tree") => {
                    held.trees.insert(path.to_owned(), sha);
                }
                Some("blob") => {
                    held.blobs.insert(sha);
                }
                _ => {}
            }
        }
        Ok(held)
    }

    async fn upload_blob(
        &self,
        repo: &MarketplaceRepo,
        contents: &[u8],
    ) -> Result<ObjectId, GithubError> {
        let step = Step::UploadBlob;
        let body = json!({
            "content": base64::engine::general_purpose::STANDARD.encode(contents),
            "encoding": "base64",
        });
        let reply = self
            .send(
                step,
                Method::Post,
                &Self::repo_path(repo, "/git/blobs"),
                &body,
                Resend::Safe,
            )
            .await?;
        if reply.status != 201 {
            return Err(refused(step, &reply));
        }
        let sha = parse_sha(step, reply.str("/sha"))?;
        let expected = blob_id(contents);
        if sha != expected {
            return Err(unexpected(
                step,
                &format!("GitHub stored blob {sha}, expected {expected}"),
            ));
        }
        Ok(sha)
    }
}

/// What the branch already holds: folders by path, blobs by id.
#[derive(Debug, Default)]
struct Held {
    trees: HashMap<String, ObjectId>,
    blobs: HashSet<ObjectId>,
}

/// One entry of a tree request.
#[derive(Debug)]
enum TreePart<'a> {
    /// A small UTF-8 file, its content inline.
    Inline(Value),
    /// A folder or file GitHub already holds, by id.
    Ref(Value),
    /// A large or binary file, uploaded as a blob first.
    Upload(&'a BundleFile),
}

impl TreePart<'_> {
    /// What the entry adds to a request's body.
    fn cost(&self) -> usize {
        match self {
            TreePart::Inline(v) | TreePart::Ref(v) => {
                serde_json::to_string(v).map_or(MAX_TREE_REQUEST_BYTES, |s| s.len() + 1)
            }
            TreePart::Upload(_) => TREE_REF_COST,
        }
    }
}

/// The entries of a tree request for `bundle`: folders and files `held` by the branch by id
/// (the shallowest unchanged folder covers everything below it), the rest as content.
fn tree_parts<'a>(bundle: &'a Bundle, held: &Held) -> Vec<TreePart<'a>> {
    let folders = if held.trees.is_empty() {
        Default::default()
    } else {
        folder_ids(bundle)
    };
    let mut parts = Vec::new();
    let mut covered: Option<String> = None;
    for file in bundle.files() {
        if covered
            .as_ref()
            .is_some_and(|c| file.path.starts_with(c.as_str()))
        {
            continue;
        }
        let same = file
            .path
            .match_indices('/')
            .map(|(i, _)| &file.path[..i])
            .find(|folder| {
                held.trees
                    .get(*folder)
                    .is_some_and(|id| folders.get(*folder) == Some(id))
            });
        if let Some(folder) = same {
            parts.push(TreePart::Ref(json!({
                "path": folder,
                "mode": "040000",
                "type": "tree",
                "sha": held.trees[folder].to_string(),
            })));
            covered = Some(format!("{folder}/"));
            continue;
        }
        let id = blob_id(&file.contents);
        let mut entry = json!({ "path": file.path, "mode": git_mode(file.mode), "type": "blob" });
        if held.blobs.contains(&id) {
            entry["sha"] = Value::String(id.to_string());
            parts.push(TreePart::Ref(entry));
            continue;
        }
        match std::str::from_utf8(&file.contents) {
            Ok(text) if text.len() <= MAX_INLINE_BYTES => {
                entry["content"] = Value::String(text.to_owned());
                parts.push(TreePart::Inline(entry));
            }
            _ => parts.push(TreePart::Upload(file)),
        }
    }
    parts
}
