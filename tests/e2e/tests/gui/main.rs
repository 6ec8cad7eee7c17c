//! The real app in real WebKit (WebKitWebDriver through tauri-driver), against the Gram and
//! GitHub stand-ins: preview, reveal and re-mask the key, export (the real GTK dialog, and the
//! debug-only save-path injection), sign in, download with a minted key, revoke it, publish
//! with a plan, republish with nothing to publish; and the error paths: Gram ending the session
//! mid-way (the app asks to sign in again), a GitHub token that cannot push (the fix explained).
//! Every screen is saved as a screenshot in target/e2e/. Needs a display and a keychain
//! (scripts/test.sh provides Xvfb, D-Bus and a throwaway keyring), `tauri-driver`
//! (scripts/setup.sh --test) and the debug app binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use gram_admin_testkit::gram_api::{GramApi, ACME_EMAIL, ACME_SESSION};
use gram_admin_testkit::{Access, Fault, GithubStandIn};
use serde_json::json;

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    )
}

fn app_binary() -> PathBuf {
    target_dir().join("debug/gram-admin-app")
}

/// `None` (with a warning) when there is no display outside CI; in CI a missing part fails.
/// One app on the display at a time: the GTK dialog is driven with xdotool, which types into
/// whichever window has the focus, and two WebKit windows on one 2-core machine starve each
/// other's WebDriver calls.
async fn one_app_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    ONE_APP.lock().await
}

fn prerequisites() -> Option<PathBuf> {
    let in_ci = std::env::var_os("CI").is_some();
    if std::env::var_os("DISPLAY").is_none() {
        assert!(
            !in_ci,
            "no DISPLAY: run the tests through scripts/test.sh (make test), which starts Xvfb"
        );
        eprintln!("WARNING: no DISPLAY, the GUI test is skipped: run it through scripts/test.sh (make test)");
        return None;
    }
    let app = app_binary();
    assert!(
        app.is_file(),
        "{} is missing: build it first with `cargo build -p gram-admin-app` (scripts/test.sh does)",
        app.display()
    );
    Some(app)
}

/// What the app sees: a throwaway HOME and config folder, its own keychain namespace, and the
/// test's environment variables (the app inherits tauri-driver's environment).
struct Machine {
    _home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Machine {
    fn new() -> Self {
        let home = tempfile::tempdir().expect("home");
        let env = vec![
            ("HOME".into(), home.path().display().to_string()),
            (
                "XDG_CONFIG_HOME".into(),
                home.path().join(".config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME".into(),
                home.path().join(".local/share").display().to_string(),
            ),
            (
                "GRAM_ADMIN_KEYCHAIN_SERVICE".into(),
                format!("gram-admin-e2e-{}-{}", std::process::id(), free_port()),
            ),
        ];
        Self { _home: home, env }
    }

    fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    fn start_driver(&self) -> Driver {
        let port = free_port();
        let native = loop {
            let p = free_port();
            if p != port {
                break p;
            }
        };
        let mut command = Command::new("tauri-driver");
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // The keyring daemon of scripts/test.sh lives in the real HOME's runtime dir; the
            // D-Bus session address is inherited, so the throwaway HOME does not hide it.
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command
            .spawn()
            .expect("tauri-driver is not installed: run scripts/setup.sh --test (make test does)");
        // Both must listen: tauri-driver answers on `port` before the WebKitWebDriver it starts
        // listens on `native`, and a session asked for meanwhile breaks off half-way.
        let deadline = Instant::now() + Duration::from_secs(10);
        for (who, p) in [("tauri-driver", port), ("WebKitWebDriver", native)] {
            while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(Instant::now() < deadline, "{who} did not listen on {p}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Driver { child, port }
    }
}

async fn connect(driver: &Driver, app: &Path) -> Client {
    // Two rustls providers are linked (fantoccini's and the stand-ins'): choose one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert("tauri:options".into(), json!({ "application": app }));
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("start the app through tauri-driver")
}

async fn fill(client: &Client, name: &str, value: &str) {
    let input = wait_for(client, &format!("input[name='{name}']")).await;
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = client.find(Locator::Css(css)).await {
            return el;
        }
        assert!(Instant::now() < deadline, "{css} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_for_text(client: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = match client.find(Locator::Css(css)).await {
            Ok(el) => el.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never showed {needle:?}; it shows {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(client: &Client, css: &str) -> String {
    wait_for(client, css)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

async fn click(client: &Client, css: &str) {
    wait_for(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn click_text(client: &Client, text: &str) {
    let xpath = format!("//button[normalize-space(.)='{text}']");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(el) = client.find(Locator::XPath(&xpath)).await {
            el.click()
                .await
                .unwrap_or_else(|e| panic!("click {text}: {e}"));
            return;
        }
        assert!(Instant::now() < deadline, "no button {text:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Closes every toast (they sit over the lower right corner of the window).
async fn dismiss_toasts(client: &Client) {
    for button in client
        .find_all(Locator::Css(
            "[data-testid='toast'] button[aria-label='Dismiss']",
        ))
        .await
        .unwrap_or_default()
    {
        let _ = button.click().await;
    }
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    wait_for(client, css)
        .await
        .attr(name)
        .await
        .unwrap_or_else(|e| panic!("{css} {name}: {e}"))
}

async fn go(client: &Client, screen: &str) {
    click(client, &format!("nav [data-screen='{screen}']")).await;
    wait_for(client, &format!("main[data-screen='{screen}']")).await;
}

/// Saves what the app's window shows as target/e2e/<name>.png, taken from the X server as the
/// user sees it (after WebKit has painted the DOM's change). Not WebDriver's screenshot: it waits
/// for a compositor frame, and the app paints without WebKit's GPU compositor, so it never comes.
async fn screenshot(name: &str) {
    tokio::time::sleep(Duration::from_millis(600)).await;
    let found = Command::new("xdotool")
        .args(["search", "--onlyvisible", "--name", "^gram-admin$"])
        .output()
        .expect("xdotool (scripts/setup.sh installs it)");
    let window = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !window.is_empty(),
        "no gram-admin window to take {name} from"
    );
    let dir = target_dir().join("e2e");
    std::fs::create_dir_all(&dir).expect("target/e2e");
    let status = Command::new("import")
        .args(["-window", &window])
        .arg(dir.join(format!("{name}.png")))
        .status()
        .expect("import (ImageMagick; scripts/setup.sh installs it)");
    assert!(status.success(), "import could not save {name}.png");
}

/// Waits for the GTK save dialog, sends `keys`, types `path` (if any) and presses Return.
fn dialog_keys(keys: &[&str], path: Option<&str>) {
    let title = "Save the observability plugin";
    let found = Command::new("xdotool")
        .args(["search", "--sync", "--onlyvisible", "--name", title])
        .output()
        .expect("xdotool (scripts/setup.sh installs it)");
    let window = String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(!window.is_empty(), "the save dialog did not open");
    std::thread::sleep(Duration::from_millis(500));
    let xdo = |args: &[&str]| {
        let status = Command::new("xdotool")
            .args(args)
            .status()
            .expect("xdotool");
        assert!(status.success(), "xdotool {args:?}");
    };
    // No window manager under Xvfb: focus the dialog directly, then type through XTEST.
    xdo(&["windowfocus", "--sync", &window]);
    for key in keys {
        xdo(&["key", key]);
    }
    if let Some(path) = path {
        xdo(&["type", "--delay", "5", path]);
        std::thread::sleep(Duration::from_millis(200));
        xdo(&["key", "Return"]);
    }
}

/// The hooks key a downloaded plugin carries: its curl config's `Gram-Key` header.
fn key_in_zip(zip: &Path) -> String {
    let file = std::fs::File::open(zip).unwrap_or_else(|e| panic!("{}: {e}", zip.display()));
    let mut archive = zip::ZipArchive::new(file).expect("a ZIP");
    let mut config = String::new();
    std::io::Read::read_to_string(
        &mut archive
            .by_name("hooks/gram-hook.curlrc")
            .expect("hooks/gram-hook.curlrc in the ZIP"),
        &mut config,
    )
    .expect("utf-8");
    config
        .lines()
        .find_map(|line| line.strip_prefix("header = \"Gram-Key: "))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no Gram-Key header in {config}"))
        .to_owned()
}

fn mode(path: &Path) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions(),
    ) & 0o777
}

/// A theme for the screenshots' names: GTK_THEME=Adwaita:dark makes WebKitGTK report
/// `prefers-color-scheme: dark`.
fn theme_suffix() -> &'static str {
    match std::env::var("GTK_THEME") {
        Ok(t) if t.ends_with(":dark") => "dark",
        _ => "light",
    }
}

/// Whether the page's source (its DOM, serialised) holds `secret` anywhere.
async fn page_holds(client: &Client, secret: &str) -> bool {
    client.source().await.expect("source").contains(secret)
}

/// The Observability plugin screen, loaded for Acme with hooks/hooks.json selected.
async fn open_plugin(client: &Client) {
    go(client, "plugin").await;
    wait_for_text(client, "[data-testid='org-name']", "Acme Corp").await;
    wait_for_text(client, "[data-testid='file-title']", "hooks/hooks.json").await;
}

/// Signs in to Gram with a pasted session (Connections); the page never keeps it.
async fn sign_in_with_session(client: &Client, api: &GramApi) {
    go(client, "connections").await;
    click_text(client, "Paste a session instead").await;
    fill(client, "gram_server", api.url()).await;
    fill(client, "gram_session", ACME_SESSION).await;
    click_text(client, "Sign in with this session").await;
    wait_for_text(client, "[data-testid='gram-email']", ACME_EMAIL).await;
    assert!(!page_holds(client, ACME_SESSION).await);
}

/// Connects GitHub with the stand-in's token (Connections); the page never keeps it.
async fn connect_github_token(client: &Client, github: &GithubStandIn) {
    go(client, "connections").await;
    click_text(client, "Use a token instead").await;
    fill(client, "github_token", &github.token()).await;
    click_text(client, "Use this token").await;
    wait_for_text(client, "[data-testid='github-login']", "acme").await;
    assert!(!page_holds(client, &github.token()).await);
}

/// A README someone else committed on main; returns that commit.
fn someones_readme(github: &GithubStandIn) -> String {
    github.git().commit_files(
        "main",
        &[("README.md", b"# Acme's plugins\n", false)],
        "Someone's README",
    )
}

/// Signed in to both, the Marketplace screen showing acme/agent-plugins, no toast in the way.
async fn open_marketplace(client: &Client, api: &GramApi, github: &GithubStandIn) {
    sign_in_with_session(client, api).await;
    connect_github_token(client, github).await;
    go(client, "marketplace").await;
    wait_for_text(client, "[data-testid='org-plugins']", "Payments").await;
    fill(client, "repository", "acme/agent-plugins").await;
    wait_for(client, "button[data-path='README.md']").await;
    dismiss_toasts(client).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_out_the_app_previews_reveals_and_exports_through_the_gtk_dialog() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let machine = Machine::new();
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    // The first run starts on the plugin screen.
    wait_for(&client, "main[data-screen='plugin']").await;
    fill(&client, "org_name", "Acme Corp").await;
    fill(&client, "project_slug", "default").await;

    let title = wait_for_text(&client, "[data-testid='file-title']", "hooks/hooks.json").await;
    assert!(title.contains("0644"), "{title}");
    let hooks = wait_for_text(&client, "[data-testid='file-text']", "SessionStart").await;
    assert!(hooks.contains("CLAUDE_PLUGIN_ROOT"), "{hooks}");
    assert_eq!(
        attr(
            &client,
            "[data-testid='file-tree'] button[aria-current='true']",
            "data-path"
        )
        .await
        .as_deref(),
        Some("hooks/hooks.json"),
        "hooks.json is selected first"
    );

    // The key: masked, revealed on request, masked again.
    let full = "0".repeat(64);
    click(&client, "button[data-path='hooks/gram-hook.curlrc']").await;
    let config = wait_for_text(&client, "[data-testid='file-text']", "Gram-Key").await;
    assert!(config.contains("gram_local_00000…"), "{config}");
    assert!(!page_holds(&client, &full).await);
    screenshot(&format!("plugin-{theme}")).await;
    click(&client, "[data-testid='reveal']").await;
    wait_for_text(&client, "[data-testid='file-text']", &full).await;
    assert_eq!(
        attr(&client, "[data-testid='reveal']", "aria-pressed")
            .await
            .as_deref(),
        Some("true")
    );
    click(&client, "[data-testid='reveal']").await;
    wait_for_text(&client, "[data-testid='file-text']", "gram_local_00000…").await;
    assert!(!page_holds(&client, &full).await, "masked again");

    // Switch agent: Cursor's files, hooks.json selected again.
    click(&client, "[data-platform='cursor']").await;
    wait_for(&client, "button[data-path='.cursor-plugin/plugin.json']").await;
    wait_for_text(&client, "[data-testid='file-title']", "hooks/hooks.json").await;
    click(&client, "[data-platform='claude']").await;
    wait_for(&client, "button[data-path='.claude-plugin/plugin.json']").await;

    // Export through the real GTK save dialog: cancel first (nothing written, no error),
    // then type a path and save.
    let dir = tempfile::tempdir().expect("tmp");
    let target = dir.path().join("acme-export.zip");
    click(&client, "[data-testid='download']").await;
    dialog_keys(&["Escape"], None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        std::fs::read_dir(dir.path()).expect("dir").next().is_none(),
        "a cancelled dialog wrote something"
    );
    assert!(
        client
            .find_all(Locator::Css("[data-testid='toast']"))
            .await
            .expect("toasts")
            .is_empty(),
        "a cancelled dialog is not an error"
    );
    click(&client, "[data-testid='download']").await;
    dialog_keys(&["ctrl+a"], Some(target.to_str().expect("utf-8")));
    let toast = wait_for_text(&client, "[data-testid='toast']", "Saved").await;
    assert!(toast.contains("acme-export.zip"), "{toast}");
    assert!(
        toast.contains("gram_local_00000…"),
        "the key prefix: {toast}"
    );
    assert_eq!(mode(&target), 0o600);

    // Bad input: the problem appears next to its field, and Download stays off.
    fill(&client, "org_name", "!!!").await;
    let problem = wait_for_text(&client, ".problem[data-for='org']", "!!!").await;
    assert!(problem.contains("no ASCII letters or digits"), "{problem}");
    assert!(attr(&client, "[data-testid='download']", "disabled")
        .await
        .is_some());
    fill(&client, "org_name", "Acme Corp").await;

    // Every other screen has a designed signed-out state.
    for screen in ["connections", "marketplace", "keys", "check", "settings"] {
        go(&client, screen).await;
        screenshot(&format!("{screen}-signed-out-{theme}")).await;
    }
    go(&client, "connections").await;
    wait_for_text(&client, "[data-testid='gram-state']", "Not signed in").await;
    wait_for_text(&client, "[data-testid='github-state']", "Not connected").await;

    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_in_the_app_downloads_with_a_minted_key_revokes_it_and_publishes() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (_gram, api) = GramApi::acme();
    let github = GithubStandIn::start();
    let out = tempfile::tempdir().expect("tmp");
    let zip = out.path().join("acme-claude.zip");
    let machine = Machine::new()
        .with("GRAM_ADMIN_TEST_SAVE_PATH", zip.display().to_string())
        .with("GRAM_ADMIN_GITHUB_API", github.api_url());
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    sign_in_with_session(&client, &api).await;
    connect_github_token(&client, &github).await;
    screenshot(&format!("connections-{theme}")).await;

    // Download: a hooks key is minted into the ZIP; the toast names its prefix.
    open_plugin(&client).await;
    click(&client, "[data-testid='download']").await;
    let toast = wait_for_text(&client, "[data-testid='toast']", "Saved").await;
    let live = api.live_keys();
    assert_eq!(live.len(), 1, "one key minted");
    assert!(toast.contains(&live[0].key_prefix), "{toast}");
    assert_eq!(mode(&zip), 0o600);

    // Keys: the minted key is listed; revoke it (confirmed).
    go(&client, "keys").await;
    wait_for_text(&client, "[data-testid='keys-table']", &live[0].name).await;
    screenshot(&format!("keys-{theme}")).await;
    click_text(&client, "Revoke…").await;
    click(&client, "[data-testid='confirm-revoke']").await;
    wait_for_text(&client, "main[data-screen='keys']", "No keys minted yet").await;
    assert!(api.live_keys().is_empty(), "revoked in Gram");

    // Marketplace: the org's plugins, then publish with a plan, then nothing to publish.
    go(&client, "marketplace").await;
    wait_for_text(&client, "[data-testid='org-plugins']", "Payments").await;
    fill(&client, "repository", "acme/agent-plugins").await;
    wait_for(&client, "button[data-path='README.md']").await;
    screenshot(&format!("marketplace-{theme}")).await;
    dismiss_toasts(&client).await;
    click(&client, "[data-testid='review-publish']").await;
    let plan = wait_for_text(&client, "[data-testid='publish-plan']", "added").await;
    assert!(plan.contains("README.md"), "{plan}");
    screenshot(&format!("publish-plan-{theme}")).await;
    dismiss_toasts(&client).await;
    click(&client, "[data-testid='confirm-publish']").await;
    wait_for_text(&client, "[data-testid='publish-flow']", "Published").await;
    assert!(github.head("main").is_some(), "a commit on main");
    screenshot(&format!("published-{theme}")).await;
    click_text(&client, "Back to the repository").await;
    click(&client, "[data-testid='review-publish']").await;
    wait_for_text(
        &client,
        "[data-testid='publish-flow']",
        "Nothing to publish",
    )
    .await;

    // The rollout files for the repository (Claude Code's tab first).
    go(&client, "settings").await;
    wait_for_text(&client, "[data-testid='file-text']", "acme/agent-plugins").await;
    screenshot(&format!("settings-{theme}")).await;

    client.close().await.expect("close");
    drop(machine);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_in_window_keeps_the_session_gram_sets() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (_gram, api) = GramApi::acme();
    let machine = Machine::new();
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;

    go(&client, "connections").await;
    fill(&client, "gram_server", api.url()).await;
    let main = client.window().await.expect("main window");
    click_text(&client, "Sign in to Gram").await;

    // Gram's page (here: the stand-in's identity provider) opens in a window of its own.
    let deadline = Instant::now() + Duration::from_secs(15);
    let sign_in = loop {
        let windows = client.windows().await.expect("windows");
        if let Some(other) = windows.into_iter().find(|w| *w != main) {
            break other;
        }
        assert!(Instant::now() < deadline, "no sign-in window opened");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    client.switch_to_window(sign_in).await.expect("switch");
    let link = wait_for(&client, "a").await;
    link.click()
        .await
        .expect("continue at the identity provider");
    client.switch_to_window(main).await.expect("back");
    wait_for_text(&client, "[data-testid='gram-email']", ACME_EMAIL).await;
    assert!(!page_holds(&client, ACME_SESSION).await);

    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn gram_ending_the_session_makes_the_app_ask_to_sign_in_again_and_mints_nothing() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (_gram, api) = GramApi::acme();
    let out = tempfile::tempdir().expect("tmp");
    let zip = out.path().join("acme-claude.zip");
    let machine = Machine::new().with("GRAM_ADMIN_TEST_SAVE_PATH", zip.display().to_string());
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    sign_in_with_session(&client, &api).await;
    open_plugin(&client).await;

    // Mid-session, Gram stops accepting the session (expired, signed out elsewhere): every
    // call with it answers 401. Download then asks to sign in again, and mints nothing.
    api.end_session(ACME_SESSION);
    click(&client, "[data-testid='download']").await;
    wait_for_text(&client, "[data-testid='toast']", "The plugin was not saved").await;
    let url = api.url();
    assert_eq!(
        text_of(&client, "[data-testid='toast'] .toast-detail").await,
        format!("Gram at {url} says you are not signed in any more: sign in again to continue.")
    );
    assert_eq!(
        client
            .find(Locator::Css("[data-testid='toast'] button.link"))
            .await
            .expect("the toast's action")
            .text()
            .await
            .expect("text"),
        "Sign in to Gram"
    );
    assert!(api.keys().is_empty(), "no key minted: {:?}", api.keys());
    assert!(!zip.exists(), "nothing written");
    screenshot(&format!("gram-session-ended-{theme}")).await;

    // The toast's action leads to Connections, signed out, with the server kept.
    click(&client, "[data-testid='toast'] button.link").await;
    wait_for(&client, "main[data-screen='connections']").await;
    wait_for_text(&client, "[data-testid='gram-state']", "Not signed in").await;
    assert_eq!(
        attr(&client, "input[name='gram_server']", "value")
            .await
            .as_deref()
            .map(|s| s.trim_end_matches('/')),
        Some(api.url().trim_end_matches('/'))
    );
    assert!(client
        .find_all(Locator::Css("[data-testid='toast']"))
        .await
        .expect("toasts")
        .is_empty());

    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_github_token_is_explained_and_the_branch_does_not_move() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (_gram, api) = GramApi::acme();
    let github = GithubStandIn::start();
    let before = someones_readme(&github);
    github.set_access(Access::ReadOnly);
    let machine = Machine::new().with("GRAM_ADMIN_GITHUB_API", github.api_url());
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    open_marketplace(&client, &api, &github).await;

    // The token can read but not push: the plan says which permission to grant, and Publish
    // stays off.
    click(&client, "[data-testid='review-publish']").await;
    let banner = wait_for_text(
        &client,
        "[data-testid='publish-plan'] .banner.error",
        "cannot push",
    )
    .await;
    assert_eq!(
        banner,
        "Your token can read acme/agent-plugins but cannot push to it: grant it Contents: Read and write."
    );
    assert!(attr(&client, "[data-testid='confirm-publish']", "disabled")
        .await
        .is_some());
    screenshot(&format!("publish-read-only-{theme}")).await;

    // Write access taken away between the review and Publish: the core's sentence names the
    // fix, nothing is written, and the key minted for the publish is revoked again.
    click_text(&client, "Back to the repository").await;
    github.set_access(Access::Admin);
    click(&client, "[data-testid='review-publish']").await;
    wait_for_text(&client, "[data-testid='publish-plan']", "added").await;
    github.set_access(Access::ReadOnly);
    click(&client, "[data-testid='confirm-publish']").await;
    let error = wait_for_text(&client, "[data-testid='publish-error']", "cannot push").await;
    assert_eq!(
        error,
        "Your token can read acme/agent-plugins but cannot push to it. Grant it write access: a \
         fine-grained token needs the permission Contents: Read and write on acme/agent-plugins; \
         a classic token needs the `repo` scope (or `public_repo` for a public repository); and \
         your account needs write access to the repository."
    );
    screenshot(&format!("publish-no-push-{theme}")).await;

    assert_eq!(github.head("main"), Some(before), "the branch did not move");
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert!(api.live_keys().is_empty(), "{:?}", api.live_keys());
    assert!(github.take_violations().is_empty());

    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_hook_shows_gram_accepting_a_live_key_and_refusing_it_once_revoked() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (gram, api) = GramApi::acme();
    let out = tempfile::tempdir().expect("tmp");
    let zip = out.path().join("acme-claude.zip");
    let machine = Machine::new().with("GRAM_ADMIN_TEST_SAVE_PATH", zip.display().to_string());
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    // A teammate's plugin: downloaded with a freshly minted key.
    sign_in_with_session(&client, &api).await;
    open_plugin(&client).await;
    click(&client, "[data-testid='download']").await;
    wait_for_text(&client, "[data-testid='toast']", "Saved").await;
    dismiss_toasts(&client).await;
    let key = key_in_zip(&zip);
    assert!(api.live_key(&key).is_some(), "the ZIP carries a live key");
    gram.clear();

    // Check it: one labelled event, through the plugin's curl config, accepted.
    go(&client, "check").await;
    fill(&client, "hooks_key", &key).await;
    click(&client, "[data-testid='send-check']").await;
    wait_for_text(&client, "[data-testid='check-verdict']", "Accepted").await;
    assert_eq!(
        text_of(&client, "[data-testid='check-status']").await,
        "HTTP 200"
    );
    let latency = wait_for_text(&client, "[data-testid='check-latency']", " ms").await;
    assert!(
        latency.trim_end_matches(" ms").parse::<u64>().is_ok(),
        "{latency}"
    );
    let requests: Vec<_> = gram
        .requests()
        .into_iter()
        .filter(|r| r.operation.starts_with("hooks#"))
        .collect();
    assert_eq!(requests.len(), 1, "one event per check: {requests:?}");
    assert_eq!(requests[0].operation, "hooks#claude");
    assert_eq!(requests[0].header("Gram-Key"), Some(key.as_str()));
    assert!(
        !page_holds(&client, &key).await,
        "the page forgets the key once it is sent"
    );
    screenshot(&format!("check-hook-ok-{theme}")).await;

    // Revoked in Keys, the same key is refused, and the app says what that means.
    go(&client, "keys").await;
    click_text(&client, "Revoke…").await;
    click(&client, "[data-testid='confirm-revoke']").await;
    wait_for_text(&client, "main[data-screen='keys']", "No keys minted yet").await;
    go(&client, "check").await;
    fill(&client, "hooks_key", &key).await;
    click(&client, "[data-testid='send-check']").await;
    wait_for_text(&client, "[data-testid='check-verdict']", "Key refused").await;
    assert_eq!(
        text_of(&client, "[data-testid='check-status']").await,
        "HTTP 401"
    );
    let explanation = wait_for_text(&client, "[data-testid='check-explanation']", "revoked").await;
    assert!(
        explanation.contains("Export or publish the plugin again"),
        "{explanation}"
    );
    assert!(!explanation.contains(&key), "{explanation}");
    screenshot(&format!("check-hook-401-{theme}")).await;

    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publish_github_holds_back_can_be_cancelled_and_nothing_is_published() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let (_gram, api) = GramApi::acme();
    let github = GithubStandIn::start();
    let before = someones_readme(&github);
    let machine = Machine::new().with("GRAM_ADMIN_GITHUB_API", github.api_url());
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let theme = theme_suffix();

    open_marketplace(&client, &api, &github).await;
    click(&client, "[data-testid='review-publish']").await;
    wait_for_text(&client, "[data-testid='publish-plan']", "added").await;

    // GitHub's rate limit holds the publish back for 30 s: the wait is shown, and Cancel stops it.
    github.fault("git/get-commit", Fault::RateLimited { retry_after: 30 });
    click(&client, "[data-testid='confirm-publish']").await;
    wait_for_text(
        &client,
        "[data-testid='publish-flow']",
        "GitHub asked to wait 30 s",
    )
    .await;
    screenshot(&format!("publish-waiting-{theme}")).await;
    click(&client, "[data-testid='cancel-publish']").await;
    let said = wait_for_text(&client, "[data-testid='publish-cancelled']", "cancelled").await;
    assert_eq!(
        said,
        "Publishing to acme/agent-plugins was cancelled before its branch moved: nothing was published."
    );
    assert!(
        client
            .find_all(Locator::Css("[data-testid='toast']"))
            .await
            .expect("toasts")
            .is_empty(),
        "a cancel is not an error"
    );
    screenshot(&format!("publish-cancelled-{theme}")).await;

    assert_eq!(github.head("main"), Some(before), "the branch did not move");
    assert!(github.writes().is_empty(), "{:?}", github.writes());
    assert_eq!(api.keys().len(), 1, "a key was minted for the publish");
    assert!(api.live_keys().is_empty(), "and revoked: {:?}", api.keys());
    assert!(github.take_violations().is_empty());

    client.close().await.expect("close");
}

/// Issue 21: behind the company's proxy and CA. Gram is reachable only through the proxy (as
/// `gram.test`) with a certificate the company's CA signed. In the app: trust the CA file
/// (Connections → Company network), sign in, download the plugin — it carries the CA — and
/// check the hook, which says which CA and proxy it used.
#[tokio::test(flavor = "multi_thread")]
async fn behind_a_company_proxy_and_ca_the_app_signs_in_downloads_and_checks_the_hook() {
    let _one = one_app_at_a_time().await;
    let Some(app) = prerequisites() else { return };
    let ca = gram_admin_testkit::TestCa::new("Acme Inspecting Proxy CA");
    let (gram, api) = GramApi::acme();
    let front = gram_admin_testkit::TlsFront::new(&ca, api.url());
    let proxy = gram_admin_testkit::ConnectProxy::start();
    let out = tempfile::tempdir().expect("tmp");
    let pem = ca.write_pem(out.path(), "acme-ca.pem");
    let zip = out.path().join("acme-claude.zip");
    let machine = Machine::new()
        .with("GRAM_ADMIN_TEST_SAVE_PATH", zip.display().to_string())
        .with("HTTPS_PROXY", proxy.url())
        .with("NO_PROXY", "127.0.0.1,localhost");
    let driver = machine.start_driver();
    let client = connect(&driver, &app).await;
    let server = front.url_as("gram.test");

    go(&client, "connections").await;
    fill(&client, "ca_file", &pem.display().to_string()).await;
    click_text(&client, "Trust this CA").await;
    wait_for_text(
        &client,
        "[data-testid='network-trust']",
        &format!("and {}", pem.display()),
    )
    .await;
    dismiss_toasts(&client).await;
    click_text(&client, "Paste a session instead").await;
    fill(&client, "gram_server", &server).await;
    fill(&client, "gram_session", ACME_SESSION).await;
    click_text(&client, "Sign in with this session").await;
    wait_for_text(&client, "[data-testid='gram-email']", ACME_EMAIL).await;
    screenshot(&format!("connections-company-network-{}", theme_suffix())).await;

    open_plugin(&client).await;
    click(&client, "[data-testid='download']").await;
    wait_for_text(&client, "[data-testid='toast']", "Saved").await;
    dismiss_toasts(&client).await;
    let key = key_in_zip(&zip);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip).expect("zip")).expect("zip");
    assert!(
        archive.by_name("hooks/gram-ca.pem").is_ok(),
        "the ZIP carries the CA"
    );

    go(&client, "check").await;
    fill(&client, "hooks_key", &key).await;
    click(&client, "[data-testid='send-check']").await;
    wait_for_text(&client, "[data-testid='check-verdict']", "Accepted").await;
    wait_for_text(&client, "[data-testid='check-trust']", "hooks/gram-ca.pem").await;
    wait_for_text(
        &client,
        "[data-testid='check-proxy']",
        &format!("{} (from HTTPS_PROXY)", proxy.url()),
    )
    .await;
    let tunnel = format!("CONNECT gram.test:{} HTTP/1.1", front.port());
    let log = proxy.requests();
    assert!(
        !log.is_empty() && log.iter().all(|r| r == &tunnel),
        "{log:?}"
    );
    assert!(
        gram.requests()
            .iter()
            .any(|r| r.operation == "hooks#claude"),
        "the check's event arrived"
    );
    client.close().await.expect("close");
}
