//! A git server on 127.0.0.1 that speaks git's **smart** HTTP protocol, by running the real
//! `git http-backend` as a CGI program for every request (`GIT_PROJECT_ROOT`,
//! `GIT_HTTP_EXPORT_ALL`). Agents that clone marketplaces shallowly (Copilot CLI clones with
//! `--depth 1`) need the smart protocol; a static (dumb) file server fails them.
//!
//! [`GitHttpServer::publish`] turns a directory of files into a repository under the root (one
//! commit on `main`), served at `<url>/<name>.git`. Every request is recorded.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use crate::server::Server;

/// One request the server answered: method, path and query, and the CGI status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitRequest {
    pub method: String,
    pub url: String,
    pub status: u16,
}

/// Smart-HTTP git on a loopback port, serving every repository under its root.
/// Fields drop in order: the server stops before its root is removed.
#[derive(Debug)]
pub struct GitHttpServer {
    server: Server,
    requests: Arc<Mutex<Vec<GitRequest>>>,
    root: tempfile::TempDir,
}

impl GitHttpServer {
    /// Starts the server with an empty root. Panics when `git http-backend` is missing (a
    /// machine without git cannot run these tests).
    pub fn start() -> Self {
        let root = tempfile::tempdir().expect("tmp");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let server = {
            let (dir, requests) = (root.path().to_owned(), requests.clone());
            Server::start(move |request| serve(&dir, request, &requests))
        };
        Self {
            root,
            server,
            requests,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The clone URL of repository `name`: `<url>/<name>.git`.
    pub fn repo_url(&self, name: &str) -> String {
        format!("{}/{name}.git", self.url())
    }

    /// Where the bare repositories live.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Commits every file under `files` (modes kept) as the whole content of repository `name`
    /// (created bare if new) on `main`, and returns its clone URL.
    pub fn publish(&self, name: &str, files: &Path) -> String {
        let bare = self.root.path().join(format!("{name}.git"));
        if !bare.exists() {
            git(
                self.root.path(),
                &["init", "-q", "--bare", "-b", "main", &format!("{name}.git")],
            );
            // Served read-only; no hooks, no auto-gc in the middle of a test.
            git(&bare, &["config", "gc.auto", "0"]);
        }
        let work = tempfile::tempdir().expect("tmp");
        let w = work.path();
        git(w, &["init", "-q", "-b", "main"]);
        copy_tree(files, w);
        git(w, &["add", "-A"]);
        git(
            w,
            &[
                "-c",
                "user.name=gram-admin test",
                "-c",
                "user.email=test@gram-admin.invalid",
                "commit",
                "-q",
                "-m",
                "publish",
            ],
        );
        git(
            w,
            &["push", "-q", "--force", &bare.to_string_lossy(), "main"],
        );
        self.repo_url(name)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<GitRequest> {
        self.requests.lock().expect("lock").clone()
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .expect("run git (install git)");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).expect("copy");
        }
    }
}

/// Runs `git http-backend` for one request and relays its CGI answer.
fn serve(root: &Path, mut request: tiny_http::Request, log: &Mutex<Vec<GitRequest>>) {
    let url = request.url().to_owned();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let method = request.method().as_str().to_owned();
    let header = |name: &str| {
        request
            .headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_owned())
    };
    let (content_type, encoding, protocol) = (
        header("Content-Type"),
        header("Content-Encoding"),
        header("Git-Protocol"),
    );
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    let mut cmd = Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", percent_decode(path))
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(v) = content_type {
        cmd.env("CONTENT_TYPE", v);
    }
    if let Some(v) = encoding {
        cmd.env("HTTP_CONTENT_ENCODING", v);
    }
    if let Some(v) = protocol {
        cmd.env("GIT_PROTOCOL", v);
    }
    let (status, headers, answer) = match cmd.spawn() {
        Err(e) => (
            500,
            Vec::new(),
            format!("git http-backend: {e}").into_bytes(),
        ),
        Ok(mut child) => {
            let mut stdin = child.stdin.take().expect("stdin");
            let writer = std::thread::spawn(move || {
                let _ = stdin.write_all(&body);
            });
            let out = child.wait_with_output().expect("git http-backend");
            let _ = writer.join();
            parse_cgi(&out.stdout)
        }
    };
    log.lock().expect("lock").push(GitRequest {
        method,
        url: url.clone(),
        status,
    });
    let mut response = tiny_http::Response::from_data(answer).with_status_code(status);
    for (name, value) in headers {
        if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}

/// A CGI answer: headers (with `Status:`), a blank line, the body.
fn parse_cgi(out: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            out.windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        });
    let Some((end, body)) = split else {
        return (
            502,
            Vec::new(),
            b"git http-backend gave no CGI headers".to_vec(),
        );
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        if name.eq_ignore_ascii_case("Status") {
            status = value
                .split(' ')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(500);
        } else {
            headers.push((name.to_owned(), value));
        }
    }
    (status, headers, out[body..].to_vec())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shallow_clone_over_smart_http_gets_the_published_files() {
        let server = GitHttpServer::start();
        let files = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(files.path().join("hooks")).unwrap();
        std::fs::write(files.path().join("marketplace.json"), "{}\n").unwrap();
        std::fs::write(files.path().join("hooks/x.sh"), "echo x\n").unwrap();
        let url = server.publish("mkt", files.path());
        let clone = tempfile::tempdir().expect("tmp");
        let dest = clone.path().join("c");
        let out = Command::new("git")
            .args(["clone", "-q", "--depth", "1", &url])
            .arg(&dest)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git clone");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            std::fs::read_to_string(dest.join("hooks/x.sh")).unwrap(),
            "echo x\n"
        );
        let requests = server.requests();
        assert!(
            requests.iter().any(|r| r.method == "POST"
                && r.url.ends_with("/git-upload-pack")
                && r.status == 200),
            "a smart-protocol fetch: {requests:?}"
        );
        // A repository that does not exist is a 404, not an empty clone.
        let out = Command::new("git")
            .args(["ls-remote", &server.repo_url("missing")])
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .expect("git ls-remote");
        assert!(!out.status.success());
    }
}
