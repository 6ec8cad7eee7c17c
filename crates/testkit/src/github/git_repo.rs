//! The bare git repository behind the GitHub stand-in, driven through git plumbing
//! (`hash-object -w`, `mktree`, `commit-tree`, `update-ref`), so a test can check every result
//! with the real `git`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// The bare repository behind the stand-in.
#[derive(Debug, Clone)]
pub struct GitRepo {
    pub(super) dir: PathBuf,
    /// Held for each operation, so a request sees the repository as one state.
    pub(super) lock: Arc<Mutex<()>>,
}

impl GitRepo {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs git in the bare repository; panics on failure (a test bug).
    pub fn git(&self, args: &[&str]) -> String {
        git_in(&self.dir, args, None).unwrap_or_else(|e| panic!("git {args:?}: {e}"))
    }

    pub(super) fn try_git(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String, String> {
        git_in(&self.dir, args, stdin)
    }

    /// The branch's commit, if the branch exists.
    pub fn head(&self, branch: &str) -> Option<String> {
        let _l = self.lock.lock().expect("lock");
        self.resolve(branch)
    }

    pub(super) fn resolve(&self, branch: &str) -> Option<String> {
        self.try_git(
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("refs/heads/{branch}^{{commit}}"),
            ],
            None,
        )
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
    }

    pub(super) fn is_empty(&self) -> bool {
        self.try_git(&["for-each-ref", "--count=1", "refs/heads"], None)
            .map(|s| s.trim().is_empty())
            .unwrap_or(true)
    }

    /// Commits `files` (path, bytes, executable) as the whole content of `branch`, on top of its
    /// head if any — as someone else pushing. Returns the new commit.
    pub fn commit_files(
        &self,
        branch: &str,
        files: &[(&str, &[u8], bool)],
        message: &str,
    ) -> String {
        let _l = self.lock.lock().expect("lock");
        let bytes: Vec<&[u8]> = files.iter().map(|(_, b, _)| *b).collect();
        let shas = self.write_blobs(&bytes).expect("blobs");
        let entries: Vec<TreeEntry> = files
            .iter()
            .zip(shas)
            .map(|((path, _, exec), sha)| TreeEntry {
                path: (*path).to_owned(),
                mode: if *exec { "100755" } else { "100644" }.to_owned(),
                sha,
            })
            .collect();
        let tree = self.write_tree(&entries).expect("tree");
        let parent = self.resolve(branch);
        let commit = self
            .commit_tree(&tree, parent.as_deref(), message)
            .expect("commit");
        self.git(&["update-ref", &format!("refs/heads/{branch}"), &commit]);
        if self
            .try_git(&["symbolic-ref", "HEAD"], None)
            .map(|h| !h.contains(branch))
            .unwrap_or(true)
            && parent.is_none()
        {
            self.git(&["symbolic-ref", "HEAD", &format!("refs/heads/{branch}")]);
        }
        commit
    }

    /// Adds one file on top of the branch's head, keeping everything else (someone else's push).
    pub fn push_file(&self, branch: &str, path: &str, contents: &[u8]) -> String {
        let _l = self.lock.lock().expect("lock");
        let head = self.resolve(branch).expect("the branch exists");
        let mut entries = self.entries_of(&head).expect("listing");
        entries.retain(|e| e.path != path);
        entries.push(TreeEntry {
            path: path.to_owned(),
            mode: "100644".into(),
            sha: self.write_blob(contents).expect("blob"),
        });
        let tree = self.write_tree(&entries).expect("tree");
        let commit = self
            .commit_tree(&tree, Some(&head), "Someone else's change")
            .expect("commit");
        self.git(&[
            "update-ref",
            &format!("refs/heads/{branch}"),
            &commit,
            &head,
        ]);
        commit
    }

    pub(super) fn write_blob(&self, bytes: &[u8]) -> Result<String, String> {
        self.try_git(&["hash-object", "-w", "--stdin"], Some(bytes))
            .map(|s| s.trim().to_owned())
    }

    /// Writes many blobs with one git process; their ids, in order.
    pub(super) fn write_blobs(&self, contents: &[&[u8]]) -> Result<Vec<String>, String> {
        if contents.is_empty() {
            return Ok(Vec::new());
        }
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut paths = String::new();
        for (i, bytes) in contents.iter().enumerate() {
            let path = tmp.path().join(i.to_string());
            std::fs::write(&path, bytes).map_err(|e| e.to_string())?;
            paths.push_str(&format!("{}\n", path.display()));
        }
        let out = self.try_git(
            &["hash-object", "-w", "--no-filters", "--stdin-paths"],
            Some(paths.as_bytes()),
        )?;
        Ok(out.lines().map(str::to_owned).collect())
    }

    /// The kind of each object (`blob`, `tree`, …; `None` when missing), with one git process.
    pub(super) fn kinds(&self, shas: &[&str]) -> Vec<Option<String>> {
        if shas.is_empty() {
            return Vec::new();
        }
        let input: String = shas.iter().map(|s| format!("{s}\n")).collect();
        let out = self
            .try_git(
                &["cat-file", "--batch-check=%(objecttype)"],
                Some(input.as_bytes()),
            )
            .unwrap_or_default();
        let mut kinds: Vec<Option<String>> = out
            .lines()
            .map(|l| (!l.ends_with(" missing") && !l.contains(' ')).then(|| l.to_owned()))
            .collect();
        kinds.resize(shas.len(), None);
        kinds
    }

    /// The blobs of a commit or tree, recursively.
    pub(super) fn entries_of(&self, treeish: &str) -> Result<Vec<TreeEntry>, String> {
        let out = self.try_git(&["ls-tree", "-r", "--full-tree", treeish], None)?;
        Ok(out
            .lines()
            .filter_map(|line| {
                let (meta, path) = line.split_once('\t')?;
                let mut m = meta.split(' ');
                let (mode, _kind, sha) = (m.next()?, m.next()?, m.next()?);
                Some(TreeEntry {
                    path: path.to_owned(),
                    mode: mode.to_owned(),
                    sha: sha.to_owned(),
                })
            })
            .collect())
    }

    /// Builds nested trees bottom-up with `git mktree`.
    pub(super) fn write_tree(&self, entries: &[TreeEntry]) -> Result<String, String> {
        #[derive(Default)]
        struct Dir {
            blobs: BTreeMap<String, (String, String)>,
            dirs: BTreeMap<String, Dir>,
        }
        let mut root = Dir::default();
        for e in entries {
            let mut dir = &mut root;
            let parts: Vec<&str> = e.path.split('/').collect();
            if parts
                .iter()
                .any(|p| p.is_empty() || *p == "." || *p == "..")
            {
                return Err(format!("bad path {:?}", e.path));
            }
            for part in &parts[..parts.len() - 1] {
                dir = dir.dirs.entry((*part).to_owned()).or_default();
            }
            dir.blobs.insert(
                parts[parts.len() - 1].to_owned(),
                (e.mode.clone(), e.sha.clone()),
            );
        }
        // One `git mktree --batch` for every folder, bottom-up (it answers each tree's id as
        // soon as the tree's listing ends with an empty line).
        struct Mktree {
            child: std::process::Child,
            out: std::io::BufReader<std::process::ChildStdout>,
        }
        fn write(m: &mut Mktree, dir: &Dir) -> Result<String, String> {
            let mut listing = String::new();
            for (name, sub) in &dir.dirs {
                if dir.blobs.contains_key(name) {
                    return Err(format!("{name} is both a file and a folder"));
                }
                listing.push_str(&format!("040000 tree {}\t{name}\n", write(m, sub)?));
            }
            for (name, (mode, sha)) in &dir.blobs {
                let kind = if mode == "040000" { "tree" } else { "blob" };
                listing.push_str(&format!("{mode} {kind} {sha}\t{name}\n"));
            }
            listing.push('\n');
            let stdin = m.child.stdin.as_mut().expect("stdin");
            stdin
                .write_all(listing.as_bytes())
                .and_then(|()| stdin.flush())
                .map_err(|e| format!("git mktree: {e}"))?;
            let mut line = String::new();
            std::io::BufRead::read_line(&mut m.out, &mut line).map_err(|e| e.to_string())?;
            let sha = line.trim().to_owned();
            if sha.len() == 40 {
                Ok(sha)
            } else {
                Err("git mktree refused a tree".into())
            }
        }
        let mut child = Command::new("git")
            .args(["mktree", "--batch"])
            .current_dir(&self.dir)
            .env("GIT_DIR", &self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("run git mktree: {e}"))?;
        let out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut m = Mktree { child, out };
        let result = write(&mut m, &root);
        drop(m.child.stdin.take());
        let status = m.child.wait_with_output().map_err(|e| e.to_string())?;
        match result {
            Err(e) if !status.stderr.is_empty() => Err(format!(
                "{e}: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            )),
            other => other,
        }
    }

    pub(super) fn commit_tree(
        &self,
        tree: &str,
        parent: Option<&str>,
        message: &str,
    ) -> Result<String, String> {
        let mut args = vec!["commit-tree", tree];
        if let Some(p) = parent {
            args.extend(["-p", p]);
        }
        args.extend(["-m", message]);
        self.try_git(&args, None).map(|s| s.trim().to_owned())
    }

    pub(super) fn kind(&self, sha: &str) -> Option<String> {
        self.try_git(&["cat-file", "-t", sha], None)
            .ok()
            .map(|s| s.trim().to_owned())
    }
}

/// A file (`100644`, `100755`) or, in a tree request, a folder by id (`040000`).
#[derive(Debug, Clone)]
pub(super) struct TreeEntry {
    pub(super) path: String,
    pub(super) mode: String,
    pub(super) sha: String,
}

impl TreeEntry {
    pub(super) fn kind(&self) -> &'static str {
        if self.mode == "040000" {
            "tree"
        } else {
            "blob"
        }
    }
}

pub(super) fn git_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<String, String> {
    let mut cmd = Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env("GIT_DIR", dir)
        .env("GIT_AUTHOR_NAME", "Monalisa Octocat")
        .env("GIT_AUTHOR_EMAIL", "octocat@github.test")
        .env("GIT_COMMITTER_NAME", "GitHub")
        .env("GIT_COMMITTER_EMAIL", "noreply@github.test")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("run git: {e}"))?;
    // Stdin is written from another thread while this one reads the output: git answers as it
    // reads (`hash-object --stdin-paths` prints an id per path), so writing all of a large input
    // first would fill its stdout pipe and leave both sides waiting for each other.
    let writer = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("stdin");
        let bytes = bytes.to_vec();
        std::thread::spawn(move || pipe.write_all(&bytes))
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if let Some(writer) = writer {
        writer
            .join()
            .map_err(|_| "the thread writing git's input panicked".to_owned())?
            .map_err(|e| e.to_string())?;
    }
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_of_blobs_go_in_through_one_git_without_a_pipe_deadlock() {
        let dir = tempfile::tempdir().expect("tmp");
        git_in(dir.path(), &["init", "--bare", "--quiet", "."], None).expect("git init");
        let repo = GitRepo {
            dir: dir.path().to_owned(),
            lock: Arc::default(),
        };
        let blobs: Vec<Vec<u8>> = (0..5000)
            .map(|i| format!("blob {i}\n").into_bytes())
            .collect();
        // git prints an id per path as it reads them: more ids than a pipe holds (64 KiB, ~1,600
        // ids) once blocked a writer that did not read meanwhile. Fail, do not hang.
        let (done, finished) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
            let _ = done.send(repo.write_blobs(&refs));
        });
        let ids = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("write_blobs finished (no deadlock)")
            .expect("blobs written");
        assert_eq!(ids.len(), 5000);
        assert!(ids.iter().all(|id| id.len() == 40), "{:?}", &ids[..3]);
    }
}
