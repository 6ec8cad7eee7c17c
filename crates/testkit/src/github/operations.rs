//! What each GitHub operation does to the bare repository, and the answer GitHub would give:
//! one handler per `operationId` in [`OPERATIONS`] — the shape of the Gram stand-in's table
//! (`gram_api.rs`). [`answer`] runs the checks every operation under `/repos/{owner}/{repo}`
//! shares (the repository exists and the token sees it, may write, the repository has commits),
//! then the operation's handler.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::base64::{base64_decode, base64_encode};
use super::git_repo::{GitRepo, TreeEntry};
use super::{Access, Repo, State};
use crate::contract::{contracts_dir, Operation};

/// The API's base in the URLs answers hold (never the stand-in's own address).
const API: &str = "https://api.github.test";
/// GitHub's web pages.
const WEB: &str = "https://github.test";

/// Where an operation acts, and so what is checked before its handler runs.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// The token's user (`GET /user`): no repository involved.
    User,
    /// Creates the repository: its owner and name come from the request.
    NewRepository,
    /// Below `/repos/{owner}/{repo}`: 404 unless that is the stand-in's repository and the token
    /// sees it, 403 for a write with read-only access, and — when `needs_commits` — 409 while
    /// the repository is empty, as GitHub's git database answers.
    Repository { needs_commits: bool },
}

/// What a handler works with: the repository (locked for the whole call) and the request.
struct Call<'a> {
    state: &'a State,
    git: &'a GitRepo,
    repo: &'a mut Repo,
    access: Access,
    params: &'a BTreeMap<String, String>,
    query: &'a [(String, String)],
    body: &'a Value,
    /// `https://api.github.test/repos/<owner>/<name>`.
    repo_url: String,
}

type Handler = fn(&mut Call<'_>) -> (u16, Value);

const HAS_COMMITS: Scope = Scope::Repository {
    needs_commits: true,
};
const ANY_STATE: Scope = Scope::Repository {
    needs_commits: false,
};

/// Every operation the stand-in plays, by the contract's `operationId`.
const OPERATIONS: [(&str, Scope, Handler); 14] = [
    ("users/get-authenticated", Scope::User, authenticated_user),
    (
        "repos/create-for-authenticated-user",
        Scope::NewRepository,
        create_for_user,
    ),
    ("repos/create-in-org", Scope::NewRepository, create_in_org),
    ("repos/get", ANY_STATE, get_repository),
    ("git/get-ref", HAS_COMMITS, get_ref),
    ("git/get-commit", HAS_COMMITS, get_commit),
    ("git/get-tree", HAS_COMMITS, get_tree),
    ("git/get-blob", ANY_STATE, get_blob),
    ("git/create-blob", HAS_COMMITS, create_blob),
    ("git/create-tree", HAS_COMMITS, create_tree),
    ("git/create-commit", HAS_COMMITS, create_commit),
    ("git/update-ref", HAS_COMMITS, update_ref),
    ("git/create-ref", HAS_COMMITS, create_ref),
    (
        "repos/create-or-update-file-contents",
        ANY_STATE,
        create_or_update_file,
    ),
];

/// Does the operation against the bare repository; the answer GitHub would give. An operation
/// of the contract the stand-in does not play answers 501 (after the repository's checks).
pub(super) fn answer(
    state: &State,
    op: &Operation,
    params: &BTreeMap<String, String>,
    query: &[(String, String)],
    body: &Value,
) -> (u16, Value) {
    let found = OPERATIONS.iter().find(|(id, ..)| *id == op.id);
    let scope = found.map_or(ANY_STATE, |(_, scope, _)| *scope);
    let access = *state.access.lock().expect("lock");
    let git = &state.git;
    let _l = git.lock.lock().expect("lock");
    let mut repo = state.repo.lock().expect("lock");
    if let Scope::Repository { needs_commits } = scope {
        if params.get("owner") != Some(&repo.owner)
            || params.get("repo") != Some(&repo.name)
            || !repo.exists
            || access == Access::Invisible
        {
            return error(404, "Not Found");
        }
        if op.method != "GET" && access == Access::ReadOnly {
            return error(403, "Resource not accessible by personal access token");
        }
        if needs_commits && git.is_empty() {
            return error(409, "Git Repository is empty.");
        }
    }
    let Some(&(_, _, handler)) = found else {
        return error(501, &format!("the stand-in does not implement {}", op.id));
    };
    let repo_url = format!("{API}/repos/{}/{}", repo.owner, repo.name);
    handler(&mut Call {
        state,
        git,
        repo: &mut repo,
        access,
        params,
        query,
        body,
        repo_url,
    })
}

/// The contract's examples (`components.examples.<name>.value`): the answers start from them.
fn example(name: &str) -> Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    let doc = DOC.get_or_init(|| {
        let text = std::fs::read_to_string(contracts_dir().join("github-openapi.json"))
            .expect("read github-openapi.json");
        serde_json::from_str(&text).expect("parse github-openapi.json")
    });
    doc["components"]["examples"][name]["value"].clone()
}

/// GitHub's error body.
pub(super) fn error(status: u16, message: &str) -> (u16, Value) {
    (
        status,
        json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
    )
}

/// `GET /user`.
fn authenticated_user(c: &mut Call<'_>) -> (u16, Value) {
    let mut user = example("private-user-response-with-public-and-private-profile-information");
    user["login"] = json!(c.state.login);
    (200, user)
}

/// `POST /user/repos`: only in the token's own account.
fn create_for_user(c: &mut Call<'_>) -> (u16, Value) {
    if c.state.login != c.repo.owner {
        return error(
            422,
            "Repository creation failed: the stand-in only knows one owner.",
        );
    }
    create_repository(c)
}

/// `POST /orgs/{org}/repos`: an unknown organization answers 404.
fn create_in_org(c: &mut Call<'_>) -> (u16, Value) {
    if c.params.get("org") != Some(&c.repo.owner) {
        return error(404, "Not Found");
    }
    create_repository(c)
}

fn create_repository(c: &mut Call<'_>) -> (u16, Value) {
    if c.body["name"] != json!(c.repo.name) {
        return error(
            422,
            "Repository creation failed: the stand-in serves one repository.",
        );
    }
    if c.repo.exists {
        return error(
            422,
            "Repository creation failed: name already exists on this account",
        );
    }
    if c.access == Access::ReadOnly {
        return error(403, "Resource not accessible by personal access token");
    }
    c.repo.exists = true;
    c.repo.private = c.body["private"].as_bool().unwrap_or(false);
    (201, full_repository(c.repo, c.access))
}

fn get_repository(c: &mut Call<'_>) -> (u16, Value) {
    (200, full_repository(c.repo, c.access))
}

fn get_ref(c: &mut Call<'_>) -> (u16, Value) {
    let r = &c.params["ref"];
    let Some(branch) = r.strip_prefix("heads/") else {
        return error(404, "Not Found");
    };
    match c.git.resolve(branch) {
        Some(sha) => (200, git_ref(&c.repo_url, &format!("refs/{r}"), &sha)),
        None => error(404, "Not Found"),
    }
}

fn get_commit(c: &mut Call<'_>) -> (u16, Value) {
    let sha = &c.params["commit_sha"];
    if c.git.kind(sha).as_deref() != Some("commit") {
        return error(404, "Not Found");
    }
    (200, commit_json(c, sha))
}

/// `GET …/git/trees/{sha}[?recursive=1]`, with each blob's size.
fn get_tree(c: &mut Call<'_>) -> (u16, Value) {
    let sha = &c.params["tree_sha"];
    if c.git.kind(sha).as_deref() != Some("tree") {
        return error(404, "Not Found");
    }
    let recursive = c.query.iter().any(|(k, _)| k == "recursive");
    let mut args = vec!["ls-tree", "-l"];
    if recursive {
        args.extend(["-r", "-t"]);
    }
    args.push(sha);
    let listing = c.git.try_git(&args, None).unwrap_or_default();
    let repo_url = &c.repo_url;
    let entries: Vec<Value> = listing
        .lines()
        .filter_map(|line| {
            let (meta, path) = line.split_once('\t')?;
            let m: Vec<&str> = meta.split_whitespace().collect();
            let (mode, kind, sha) = (m.first()?, m.get(1)?, m.get(2)?);
            let mut e = json!({ "path": path, "mode": mode, "type": kind, "sha": sha, "url": format!("{repo_url}/git/{kind}s/{sha}") });
            if let Some(size) = m.get(3).and_then(|s| s.parse::<u64>().ok()) {
                e["size"] = json!(size);
            }
            Some(e)
        })
        .collect();
    (
        200,
        json!({ "sha": sha, "url": format!("{repo_url}/git/trees/{sha}"), "tree": entries, "truncated": false }),
    )
}

fn get_blob(c: &mut Call<'_>) -> (u16, Value) {
    let sha = &c.params["file_sha"];
    if c.git.kind(sha).as_deref() != Some("blob") {
        return error(404, "Not Found");
    }
    let out = Command::new("git")
        .args(["cat-file", "blob", sha])
        .env("GIT_DIR", c.git.dir())
        .output()
        .expect("git cat-file");
    let mut blob = example("blob");
    blob["content"] = json!(base64_encode(&out.stdout));
    blob["sha"] = json!(sha);
    blob["size"] = json!(out.stdout.len());
    blob["url"] = json!(format!("{}/git/blobs/{sha}", c.repo_url));
    (200, blob)
}

fn create_blob(c: &mut Call<'_>) -> (u16, Value) {
    let content = c.body["content"].as_str().unwrap_or_default();
    let bytes = match c.body["encoding"].as_str().unwrap_or("utf-8") {
        "base64" => match base64_decode(content) {
            Some(b) => b,
            None => return error(422, "content is not valid Base64"),
        },
        "utf-8" => content.as_bytes().to_vec(),
        other => return error(422, &format!("encoding {other} is not supported")),
    };
    match c.git.write_blob(&bytes) {
        Ok(sha) => (
            201,
            json!({ "sha": sha, "url": format!("{}/git/blobs/{sha}", c.repo_url) }),
        ),
        Err(e) => error(422, &e),
    }
}

/// `POST …/git/trees`: the sent entries, on top of `base_tree`'s files when one is named.
fn create_tree(c: &mut Call<'_>) -> (u16, Value) {
    // base_tree: its files, each replaced by a sent entry of the same path (or below a sent
    // folder of that path), as GitHub merges nested paths into the base.
    let mut base = Vec::new();
    if let Some(b) = c.body.get("base_tree") {
        let b = b.as_str().unwrap_or_default();
        if c.git.kind(b).as_deref() != Some("tree") {
            return error(422, "base_tree is not a valid tree");
        }
        base = c.git.entries_of(b).unwrap_or_default();
    }
    let mut entries = match sent_entries(c.git, c.body) {
        Ok(entries) => entries,
        Err(answer) => return answer,
    };
    let sent: HashSet<&str> = entries.iter().map(|e| e.path.as_str()).collect();
    let sent_parents: HashSet<&str> = entries
        .iter()
        .flat_map(|e| e.path.match_indices('/').map(|(i, _)| &e.path[..i]))
        .collect();
    base.retain(|b| {
        let replaced = sent.contains(b.path.as_str())
            || b.path
                .match_indices('/')
                .any(|(i, _)| sent.contains(&b.path[..i]));
        !replaced && !sent_parents.contains(b.path.as_str())
    });
    entries.extend(base);
    match c.git.write_tree(&entries) {
        Ok(sha) => {
            let repo_url = &c.repo_url;
            let mut listing = Vec::new();
            for e in &entries {
                let kind = e.kind();
                listing.push(json!({ "path": e.path, "mode": e.mode, "type": kind, "sha": e.sha, "url": format!("{repo_url}/git/{kind}s/{}", e.sha) }));
            }
            (
                201,
                json!({ "sha": sha, "url": format!("{repo_url}/git/trees/{sha}"), "tree": listing, "truncated": false }),
            )
        }
        Err(e) => error(422, &e),
    }
}

/// The entries of a tree request, each with its object: contents are written and ids checked
/// in one git process each (a large tree has thousands of entries).
fn sent_entries(git: &GitRepo, body: &Value) -> Result<Vec<TreeEntry>, (u16, Value)> {
    let mut entries = Vec::new();
    let mut contents: Vec<(usize, &[u8])> = Vec::new();
    let mut by_id: Vec<(usize, &str, &str)> = Vec::new();
    for e in body["tree"].as_array().into_iter().flatten() {
        let path = e["path"].as_str().unwrap_or_default().to_owned();
        let mode = e["mode"].as_str().unwrap_or_default().to_owned();
        let kind = match (e["type"].as_str(), mode.as_str()) {
            (Some("tree"), "040000") => "tree",
            (Some("blob"), "100644" | "100755") => "blob",
            _ => {
                return Err(error(
                    422,
                    &format!("tree.{path}: the stand-in takes blobs of mode 100644/100755 and trees of mode 040000"),
                ))
            }
        };
        match (
            e.get("content").and_then(Value::as_str),
            e.get("sha").and_then(Value::as_str),
        ) {
            (Some(_), Some(_)) => {
                return Err(error(422, "Use either tree.sha or content, not both"))
            }
            (Some(content), None) if kind == "blob" => {
                contents.push((entries.len(), content.as_bytes()))
            }
            (None, Some(sha)) => by_id.push((entries.len(), sha, kind)),
            _ => return Err(error(422, &format!("tree.{path}: no content and no sha"))),
        }
        entries.push(TreeEntry {
            path,
            mode,
            sha: String::new(),
        });
    }
    let bytes: Vec<&[u8]> = contents.iter().map(|(_, b)| *b).collect();
    match git.write_blobs(&bytes) {
        Ok(shas) => {
            for ((i, _), sha) in contents.iter().zip(shas) {
                entries[*i].sha = sha;
            }
        }
        Err(e) => return Err(error(422, &e)),
    }
    let ids: Vec<&str> = by_id.iter().map(|(_, sha, _)| *sha).collect();
    for ((i, sha, kind), found) in by_id.iter().zip(git.kinds(&ids)) {
        if found.as_deref() != Some(*kind) {
            return Err(error(422, &format!("tree.sha {sha} is not a valid {kind}")));
        }
        entries[*i].sha = (*sha).to_owned();
    }
    Ok(entries)
}

fn create_commit(c: &mut Call<'_>) -> (u16, Value) {
    let tree = c.body["tree"].as_str().unwrap_or_default();
    if c.git.kind(tree).as_deref() != Some("tree") {
        return error(422, "Tree SHA does not exist");
    }
    let parents: Vec<&str> = c.body["parents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if parents.len() > 1 {
        return error(422, "the stand-in makes no merge commits");
    }
    if parents
        .iter()
        .any(|p| c.git.kind(p).as_deref() != Some("commit"))
    {
        return error(422, "Parent SHA does not exist or is not a commit object");
    }
    let message = c.body["message"].as_str().unwrap_or_default();
    match c.git.commit_tree(tree, parents.first().copied(), message) {
        Ok(sha) => (201, commit_json(c, &sha)),
        Err(e) => error(422, &e),
    }
}

/// `PATCH …/git/refs/heads/{branch}`: a fast-forward, or any move with `force`.
fn update_ref(c: &mut Call<'_>) -> (u16, Value) {
    let r = &c.params["ref"];
    let Some(branch) = r.strip_prefix("heads/") else {
        return error(422, "Reference does not exist");
    };
    let Some(old) = c.git.resolve(branch) else {
        return error(422, "Reference does not exist");
    };
    let new = c.body["sha"].as_str().unwrap_or_default();
    if c.git.kind(new).as_deref() != Some("commit") {
        return error(422, "Object does not exist");
    }
    let force = c.body["force"].as_bool().unwrap_or(false);
    let ff = c
        .git
        .try_git(&["merge-base", "--is-ancestor", &old, new], None)
        .is_ok();
    if !force && !ff {
        return error(422, "Update is not a fast forward");
    }
    match c.git.try_git(
        &["update-ref", &format!("refs/heads/{branch}"), new, &old],
        None,
    ) {
        Ok(_) => (200, git_ref(&c.repo_url, &format!("refs/{r}"), new)),
        Err(e) => error(422, &e),
    }
}

fn create_ref(c: &mut Call<'_>) -> (u16, Value) {
    let r = c.body["ref"].as_str().unwrap_or_default();
    let new = c.body["sha"].as_str().unwrap_or_default();
    if !r.starts_with("refs/heads/") || c.git.kind(new).as_deref() != Some("commit") {
        return error(422, "Reference update failed");
    }
    if c.git
        .try_git(&["rev-parse", "--verify", "--quiet", r], None)
        .is_ok()
    {
        return error(422, "Reference already exists");
    }
    match c.git.try_git(&["update-ref", r, new, ""], None) {
        Ok(_) => (201, git_ref(&c.repo_url, r, new)),
        Err(e) => error(422, &e),
    }
}

/// `PUT …/contents/{path}`: one file in one commit on the branch — the only write that works
/// in an empty repository.
fn create_or_update_file(c: &mut Call<'_>) -> (u16, Value) {
    let git = c.git;
    let path = c.params["path"].clone();
    let branch = c.body["branch"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or(c.repo.default_branch.clone());
    let Some(bytes) = c.body["content"].as_str().and_then(base64_decode) else {
        return error(422, "content is not valid Base64");
    };
    let head = git.resolve(&branch);
    let mut entries = match &head {
        Some(h) => git.entries_of(h).unwrap_or_default(),
        None if git.is_empty() => Vec::new(),
        None => return error(404, "Branch not found"),
    };
    if entries.iter().any(|e| e.path == path) && c.body.get("sha").is_none() {
        return error(422, "Invalid request.\n\n\"sha\" wasn't supplied.");
    }
    entries.retain(|e| e.path != path);
    let blob = git.write_blob(&bytes).expect("blob");
    entries.push(TreeEntry {
        path: path.clone(),
        mode: "100644".into(),
        sha: blob.clone(),
    });
    let tree = git.write_tree(&entries).expect("tree");
    let message = c.body["message"].as_str().unwrap_or_default();
    let commit = git
        .commit_tree(&tree, head.as_deref(), message)
        .expect("commit");
    let old = head.clone().unwrap_or_default();
    if git
        .try_git(
            &["update-ref", &format!("refs/heads/{branch}"), &commit, &old],
            None,
        )
        .is_err()
    {
        return error(409, "is at a different commit");
    }
    let mut answer = example("file-commit-example-for-creating-a-file");
    answer["commit"] = commit_json(c, &commit);
    answer["content"]["sha"] = json!(blob);
    answer["content"]["path"] = json!(path);
    answer["content"]["name"] = json!(path.rsplit('/').next().unwrap_or(&path));
    answer["content"]["size"] = json!(bytes.len());
    (if head.is_some() { 200 } else { 201 }, answer)
}

fn full_repository(repo: &Repo, access: Access) -> Value {
    let mut r = example("full-repository");
    let full = format!("{}/{}", repo.owner, repo.name);
    // The example predates fields the schema now requires.
    r["has_discussions"] = json!(false);
    r["name"] = json!(repo.name);
    r["full_name"] = json!(full);
    r["private"] = json!(repo.private);
    r["visibility"] = json!(if repo.private { "private" } else { "public" });
    r["default_branch"] = json!(repo.default_branch);
    r["owner"]["login"] = json!(repo.owner);
    r["url"] = json!(format!("{API}/repos/{full}"));
    r["html_url"] = json!(format!("{WEB}/{full}"));
    let admin = access == Access::Admin;
    r["permissions"] =
        json!({ "admin": admin, "maintain": admin, "push": admin, "triage": admin, "pull": true });
    r
}

fn git_ref(repo_url: &str, r: &str, sha: &str) -> Value {
    json!({
        "ref": r,
        "node_id": "REF_stand_in",
        "url": format!("{repo_url}/git/{r}"),
        "object": { "sha": sha, "type": "commit", "url": format!("{repo_url}/git/commits/{sha}") },
    })
}

fn commit_json(c: &Call<'_>, sha: &str) -> Value {
    let (repo_url, owner, name) = (&c.repo_url, &c.repo.owner, &c.repo.name);
    let raw = c
        .git
        .try_git(&["cat-file", "commit", sha], None)
        .unwrap_or_default();
    let (headers, message) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut tree = String::new();
    let mut parents = Vec::new();
    for line in headers.lines() {
        if let Some(t) = line.strip_prefix("tree ") {
            tree = t.to_owned();
        } else if let Some(p) = line.strip_prefix("parent ") {
            parents.push(json!({ "sha": p, "url": format!("{repo_url}/git/commits/{p}"), "html_url": format!("{WEB}/{owner}/{name}/commit/{p}") }));
        }
    }
    let mut commit = example("git-commit");
    commit["sha"] = json!(sha);
    commit["url"] = json!(format!("{repo_url}/git/commits/{sha}"));
    commit["html_url"] = json!(format!("{WEB}/{owner}/{name}/commit/{sha}"));
    commit["tree"] = json!({ "sha": tree, "url": format!("{repo_url}/git/trees/{tree}") });
    commit["message"] = json!(message.trim_end_matches('\n'));
    commit["parents"] = json!(parents);
    // Who and when, as git recorded them (not the contract example's author).
    let who = c
        .git
        .try_git(&["show", "-s", "--format=%an%x00%ae%x00%aI", sha], None)
        .unwrap_or_default();
    if let [name, email, date] = who.trim_end().split('\0').collect::<Vec<_>>()[..] {
        let date = date.replace("+00:00", "Z");
        commit["author"] = json!({ "name": name, "email": email, "date": date });
        commit["committer"] = json!({ "name": name, "email": email, "date": date });
    }
    commit
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    #[test]
    fn every_handler_plays_one_operation_of_the_contract() {
        let contract: Vec<String> = Contract::github()
            .operations()
            .iter()
            .map(|op| op.id.clone())
            .collect();
        let mut seen = HashSet::new();
        for (id, ..) in OPERATIONS {
            assert!(
                contract.iter().any(|c| c == id),
                "{id:?} is not an operation of GitHub's contract"
            );
            assert!(seen.insert(id), "{id:?} has two handlers");
        }
    }
}
