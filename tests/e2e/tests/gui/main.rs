//! The real app in real WebKit (WebKitWebDriver through tauri-driver): type into the form,
//! preview, read the DOM. Needs a display (scripts/test.sh provides Xvfb), `tauri-driver`
//! (scripts/setup.sh --test installs it) and the debug app binary (scripts/test.sh builds it).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
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

fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("debug/gram-admin-app")
}

/// `None` (with a warning) when there is no display outside CI; in CI a missing part fails.
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

fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tauri-driver is not installed: run scripts/setup.sh --test (make test does)");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "tauri-driver did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver { child, port }
}

async fn connect(driver: &Driver, app: &std::path::Path) -> Client {
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
    let input = client
        .find(Locator::Css(&format!("input[name='{name}']")))
        .await
        .expect(name);
    input.clear().await.expect("clear");
    input.send_keys(value).await.expect("type");
}

async fn wait_for_text(client: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
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

async fn click(client: &Client, css: &str) {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn attr(client: &Client, css: &str, name: &str) -> Option<String> {
    let element = client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    element
        .attr(name)
        .await
        .unwrap_or_else(|e| panic!("{css} {name}: {e}"))
}

async fn click_export(client: &Client) {
    click(client, "button#export").await;
}

/// Waits for the GTK save dialog, sends `keys`, types `path` (if any) and presses Return.
fn dialog_keys(keys: &[&str], path: Option<&str>) {
    let title = "Export the observability plugin";
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

#[tokio::test(flavor = "multi_thread")]
async fn the_app_previews_the_plugin_hooks_json_first_and_shows_problems_by_their_field() {
    let Some(app) = prerequisites() else { return };
    let driver = start_driver();
    let client = connect(&driver, &app).await;

    fill(&client, "org_name", "Acme Corp").await;
    fill(&client, "project_slug", "default").await;
    click(&client, "button#preview").await;

    wait_for_text(&client, "#file-list", "hooks/hooks.json").await;
    let mut paths = Vec::new();
    for el in client
        .find_all(Locator::Css("#file-list .path"))
        .await
        .expect("paths")
    {
        paths.push(el.text().await.expect("text"));
    }
    assert_eq!(
        paths,
        [
            "hooks/hooks.json",
            ".claude-plugin/plugin.json",
            "hooks/gram-hook.curlrc",
            "hooks/gram-hook.sh"
        ],
        "hooks.json first"
    );
    let hooks = wait_for_text(&client, "#file-text", "SessionStart").await;
    assert!(hooks.contains("CLAUDE_PLUGIN_ROOT"), "{hooks}");

    // The key never reaches the DOM unmasked.
    let html = client.source().await.expect("page source");
    assert!(
        !html.contains(&"0".repeat(64)),
        "the full key is in the DOM"
    );
    click(&client, "#file-list li:nth-child(3) button").await;
    let config = wait_for_text(&client, "#file-text", "Gram-Key").await;
    assert!(config.contains("gram_local_00000…"), "{config}");

    // WebKit paints after the DOM changes: give it a moment before the screenshot (for humans).
    tokio::time::sleep(Duration::from_millis(600)).await;
    if let Ok(png) = client.screenshot().await {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/e2e");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("preview.png"), png);
    }

    // Export through the real GTK save dialog: cancel first (nothing written, no error),
    // then type a path and save.
    let dir = std::env::temp_dir().join(format!("gram-admin-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let target = dir.join("acme-export.zip");
    click_export(&client).await;
    dialog_keys(&["Escape"], None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        std::fs::read_dir(&dir).expect("dir").next().is_none(),
        "a cancelled dialog wrote something"
    );
    let banner_hidden = attr(&client, "#banner", "hidden").await;
    assert!(
        banner_hidden.is_some(),
        "a cancelled dialog is not an error"
    );

    click_export(&client).await;
    dialog_keys(&["ctrl+a"], Some(target.to_str().expect("utf-8")));
    let banner = wait_for_text(&client, "#banner", "Saved").await;
    assert!(banner.contains("acme-export.zip"), "{banner}");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&target)
            .expect("the ZIP was written")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let _ = std::fs::remove_dir_all(&dir);

    // Bad input: the problem appears next to its field, and Export stays off.
    fill(&client, "org_name", "!!!").await;
    click(&client, "button#preview").await;
    let problem = wait_for_text(
        &client,
        ".problem[data-for='org']",
        "no ASCII letters or digits",
    )
    .await;
    assert!(problem.contains("!!!"), "{problem}");
    let export_disabled = attr(&client, "button#export", "disabled").await;
    assert!(
        export_disabled.is_some(),
        "Export must be off while the input is invalid"
    );

    client.close().await.expect("close");
}
