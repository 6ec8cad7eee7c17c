//! The real Claude Code and Codex CLIs, installed from npm at test time (pinned, into the
//! git-ignored `.cache/agents`; proprietary — never committed), each run in a throwaway home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Pinned so a new release cannot change what "works in the real agent" means under us.
pub const CLAUDE_CODE: (&str, &str) = ("@anthropic-ai/claude-code", "2.1.330");
pub const CODEX: (&str, &str) = ("@openai/codex", "0.169.0");
/// OpenCode (MIT), installed into its own prefix (`.cache/agents/opencode`) so that its install
/// never races the other agents'.
pub const OPENCODE: (&str, &str) = ("opencode-ai", "1.18.33");
/// GitHub Copilot CLI (proprietary, a native binary of ~190 MB), in its own prefix
/// (`.cache/agents/copilot`). Run offline in its bring-your-own-model mode.
pub const COPILOT: (&str, &str) = ("@github/copilot", "1.0.102");

/// Set to run the suite without the real agents (prints a warning; CI never sets it).
pub const SKIP_ENV: &str = "GRAM_ADMIN_SKIP_REAL_AGENTS";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `.cache/agents` in the repository (override with `GRAM_ADMIN_AGENT_CACHE`).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("GRAM_ADMIN_AGENT_CACHE")
        .map_or_else(|| repo_root().join(".cache/agents"), PathBuf::from)
}

/// Paths of the installed binaries.
#[derive(Debug, Clone)]
pub struct Installed {
    pub claude: PathBuf,
    pub codex: PathBuf,
}

/// Installs both agents once per test process, or returns `None` when skipped on purpose.
/// Any other failure (npm unreachable, a broken install) panics with what to do.
pub fn installed() -> Option<&'static Installed> {
    static INSTALLED: OnceLock<Option<Installed>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if skipped_on_purpose() {
                return None;
            }
            Some(install())
        })
        .as_ref()
}

fn install() -> Installed {
    let dir = cache_dir();
    let bin = dir.join("node_modules/.bin");
    let installed = Installed {
        claude: bin.join("claude"),
        codex: bin.join("codex"),
    };
    if version_matches(&installed.claude, CLAUDE_CODE.1)
        && version_matches(&installed.codex, CODEX.1)
    {
        return installed;
    }
    let started = Instant::now();
    npm_install(&dir, "agent", &[CLAUDE_CODE, CODEX]);
    for (bin, (package, version)) in [(&installed.claude, CLAUDE_CODE), (&installed.codex, CODEX)] {
        assert!(
            version_matches(bin, version),
            "{package}@{version} installed but `{} --version` does not print {version}: its install script did not run (was npm run with --ignore-scripts?)",
            bin.display()
        );
    }
    eprintln!(
        "installed the real agents in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    installed
}

/// Installs OpenCode once per test process (into `.cache/agents/opencode`), or returns `None`
/// when the real agents are skipped on purpose. Any other failure panics with what to do.
pub fn opencode() -> Option<&'static Path> {
    static INSTALLED: OnceLock<Option<PathBuf>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if skipped_on_purpose() {
                return None;
            }
            Some(install_opencode())
        })
        .as_deref()
}

fn install_opencode() -> PathBuf {
    let dir = cache_dir().join("opencode");
    let bin = dir.join("node_modules/.bin/opencode");
    if version_matches(&bin, OPENCODE.1) {
        return bin;
    }
    npm_install(&dir, "opencode", &[OPENCODE]);
    assert!(
        version_matches(&bin, OPENCODE.1),
        "{}@{} installed but `{} --version` does not print it",
        OPENCODE.0,
        OPENCODE.1,
        bin.display()
    );
    bin
}

/// The TypeScript compiler and Node's types (both from npm, pinned), for a strict check of the
/// OpenCode modules.
pub const TYPECHECK: [(&str, &str); 2] = [("typescript", "5.9.3"), ("@types/node", "20.19.43")];

/// Installs [`TYPECHECK`] once per test process into `.cache/agents/typecheck` and returns its
/// `node_modules`, or `None` when the real agents are skipped on purpose.
pub fn typecheck() -> Option<&'static Path> {
    static INSTALLED: OnceLock<Option<PathBuf>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if std::env::var_os(SKIP_ENV).is_some() {
                eprintln!("WARNING: {SKIP_ENV} is set: the npm-installed type check is SKIPPED. CI never does this.");
                return None;
            }
            Some(install_typecheck())
        })
        .as_deref()
}

fn install_typecheck() -> PathBuf {
    let dir = cache_dir().join("typecheck");
    let modules = dir.join("node_modules");
    let installed = |package: &str, version: &str| {
        std::fs::read_to_string(modules.join(package).join("package.json"))
            .ok()
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .is_some_and(|v| v["version"] == version)
    };
    if TYPECHECK.iter().all(|(p, v)| installed(p, v)) {
        return modules;
    }
    npm_install(&dir, "typecheck", &TYPECHECK);
    assert!(
        TYPECHECK.iter().all(|(p, v)| installed(p, v)),
        "npm installed {TYPECHECK:?} but the versions on disk differ"
    );
    modules
}

/// Installs Copilot CLI once per test process (into `.cache/agents/copilot`), or returns `None`
/// when the real agents are skipped on purpose. Any other failure panics with what to do.
pub fn copilot() -> Option<&'static Path> {
    static INSTALLED: OnceLock<Option<PathBuf>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            if skipped_on_purpose() {
                return None;
            }
            let dir = cache_dir().join("copilot");
            let bin = dir.join("node_modules/.bin/copilot");
            if !version_matches(&bin, COPILOT.1) {
                npm_install(&dir, "copilot", &[COPILOT]);
                assert!(
                    version_matches(&bin, COPILOT.1),
                    "{}@{} installed but `{} --version` does not print it",
                    COPILOT.0,
                    COPILOT.1,
                    bin.display()
                );
            }
            Some(bin)
        })
        .as_deref()
}

/// `npm install --prefix dir package@version…` into a cache folder with a package.json of its own
/// (which keeps npm from walking up into the repository). Panics with what to do when npm is
/// missing or the registry cannot be reached.
fn npm_install(dir: &Path, cache: &str, packages: &[(&str, &str)]) {
    std::fs::create_dir_all(dir).expect("create the npm cache folder");
    let manifest = dir.join("package.json");
    if !manifest.exists() {
        std::fs::write(
            &manifest,
            format!("{{\"name\": \"gram-admin-{cache}-cache\", \"private\": true}}\n"),
        )
        .expect("write package.json");
    }
    let specs: Vec<String> = packages.iter().map(|(p, v)| format!("{p}@{v}")).collect();
    eprintln!(
        "installing {} from npm into {} …",
        specs.join(" and "),
        dir.display()
    );
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
        ])
        .arg(dir)
        .args(&specs)
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| {
            panic!("could not run npm ({e}): install Node.js and npm (scripts/setup.sh does)")
        });
    assert!(
        status.success(),
        "npm could not install {} ({status}). The conformance suite needs the npm registry; \
         to run the other tests without it set {SKIP_ENV}=1 (never in CI).",
        specs.join(" and ")
    );
}

fn version_matches(bin: &Path, version: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .env("DISABLE_AUTOUPDATER", "1")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(version))
}

/// A throwaway home for one agent run: HOME, CLAUDE_CONFIG_DIR, CODEX_HOME and a project dir.
#[derive(Debug)]
pub struct Sandbox {
    dir: tempfile::TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("sandbox");
        for sub in ["home", "claude-config", "codex-home", "project"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("sandbox dirs");
        }
        Self { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    /// A command for `program` with only the environment an isolated agent needs.
    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path().join("home"))
            .env("CLAUDE_CONFIG_DIR", self.dir.path().join("claude-config"))
            .env("CODEX_HOME", self.dir.path().join("codex-home"))
            .env("TMPDIR", std::env::temp_dir())
            .env("LANG", "C.UTF-8")
            .env("DISABLE_AUTOUPDATER", "1")
            .env("DISABLE_TELEMETRY", "1")
            .env("DISABLE_ERROR_REPORTING", "1")
            .env("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
            .env("CLAUDE_CODE_MAX_RETRIES", "0")
            .env("NO_COLOR", "1")
            .current_dir(self.project())
            .stdin(Stdio::null());
        cmd
    }
}

/// Output and wall time of a finished command, killed at `limit`.
#[derive(Debug)]
pub struct Finished {
    pub output: Output,
    pub elapsed: Duration,
}

impl Finished {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    pub fn success(&self) -> bool {
        self.output.status.success()
    }

    pub fn describe(&self) -> String {
        format!(
            "status {}\n--- stdout\n{}\n--- stderr\n{}",
            self.output.status,
            self.stdout(),
            self.stderr()
        )
    }
}

pub fn run(mut cmd: Command, limit: Duration) -> Finished {
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(output) => Finished {
            output: output.expect("wait"),
            elapsed: started.elapsed(),
        },
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            let output = rx.recv().expect("wait after kill").expect("wait");
            panic!(
                "{cmd:?} did not finish within {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

/// `cmd`, run where `files` (absolute paths under `/etc` → contents) exist: in a private mount
/// namespace (`unshare --mount --propagation private`) with an overlay on `/etc` whose writes
/// land in `scratch`, so the machine's `/etc` is never touched. The environment is `cmd`'s
/// (cleared first, as [`Sandbox::command`] does), and so is its working directory. `None`, after
/// a warning, when not root: only root may make the namespace and the mounts.
pub fn with_etc_files(cmd: &Command, scratch: &Path, files: &[(&str, &[u8])]) -> Option<Command> {
    if !is_root() {
        eprintln!(
            "WARNING: not root: a test that places managed settings under /etc needs a private mount namespace (unshare) and is SKIPPED."
        );
        return None;
    }
    let (upper, work, staged) = (
        scratch.join("upper"),
        scratch.join("work"),
        scratch.join("staged"),
    );
    for dir in [&upper, &work, &staged] {
        std::fs::create_dir_all(dir).expect("scratch dirs");
    }
    let mut script = String::from(
        "set -e\nmount -t overlay overlay -o \"lowerdir=/etc,upperdir=$GRAM_TEST_UPPER,workdir=$GRAM_TEST_WORK\" /etc\n",
    );
    for (i, (path, bytes)) in files.iter().enumerate() {
        assert!(path.starts_with("/etc/"), "{path} is not under /etc");
        let staged_file = staged.join(i.to_string());
        std::fs::write(&staged_file, bytes).expect("stage a file");
        let dir = Path::new(path).parent().expect("a parent");
        script.push_str(&format!(
            "mkdir -p '{}'\ncp '{}' '{}'\n",
            dir.display(),
            staged_file.display(),
            path
        ));
    }
    script.push_str("unset GRAM_TEST_UPPER GRAM_TEST_WORK\nexec \"$@\"\n");
    let mut wrapped = Command::new("unshare");
    wrapped.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            wrapped.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    wrapped
        .env("GRAM_TEST_UPPER", &upper)
        .env("GRAM_TEST_WORK", &work)
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null());
    Some(wrapped)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether the real agents are skipped on purpose (`SKIP_ENV`), said loudly each time.
fn skipped_on_purpose() -> bool {
    let skipped = std::env::var_os(SKIP_ENV).is_some();
    if skipped {
        eprintln!("WARNING: {SKIP_ENV} is set: the real-agent conformance tests are SKIPPED. CI never does this.");
    }
    skipped
}
