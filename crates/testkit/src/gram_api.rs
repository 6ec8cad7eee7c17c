//! A stateful Gram behind a [`GramStandIn`]: sessions, organizations, projects, API keys (random
//! plaintexts, stored only as SHA-256), plugins and toolsets, and hook endpoints that accept only
//! live hooks keys. It installs standing answers ([`GramStandIn::answer_operation_with`]), so
//! the stand-in still checks every request and answer against the contract, and a test can still
//! put a one-shot fault in front with [`GramStandIn::expect`] (the call then never reaches this
//! state). [`GramApi::fail_after_effect`] plays the other kind of fault: Gram does the work,
//! then the answer is lost or garbled.
//!
//! Tests read the final key table with [`GramApi::keys`].

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::gram::{Answer, GramStandIn, HookRequest};
use crate::server::Server;

/// The admin's dashboard session in [`GramApi::acme`] (an opaque token, nothing key-shaped).
pub const ACME_SESSION: &str = "test-session-acme-admin";
/// The admin's email.
pub const ACME_EMAIL: &str = "admin@acme.test";

/// One row of Gram's key table. The plaintext is never kept: only its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub organization_id: String,
    pub created_by_user_id: String,
    pub name: String,
    pub key_prefix: String,
    pub scopes: Vec<String>,
    /// Lowercase hex SHA-256 of the plaintext.
    pub sha256: String,
    pub created_at: String,
    pub revoked: bool,
    /// When the key was last used (RFC 3339), as `keys.list` shows it; set by a test
    /// ([`GramApi::key_used_at`]).
    pub last_accessed_at: Option<String>,
}

impl KeyRow {
    pub fn is_live(&self) -> bool {
        !self.revoked
    }

    fn to_json(&self) -> Value {
        let mut row = json!({
            "id": self.id,
            "organization_id": self.organization_id,
            "created_by_user_id": self.created_by_user_id,
            "name": self.name,
            "key_prefix": self.key_prefix,
            "scopes": self.scopes,
            "created_at": self.created_at,
            "updated_at": self.created_at,
        });
        if let Some(at) = &self.last_accessed_at {
            row["last_accessed_at"] = json!(at);
        }
        row
    }
}

#[derive(Debug, Clone)]
struct User {
    id: String,
    email: String,
    orgs: Vec<String>,
    active_org: String,
}

#[derive(Debug, Clone)]
pub struct ProjectRow {
    pub id: String,
    pub name: String,
    pub slug: String,
}

#[derive(Debug, Clone)]
struct OrgRow {
    id: String,
    name: String,
    slug: String,
    projects: Vec<ProjectRow>,
}

/// A toolset as Gram stores it (the parts gram-admin reads).
#[derive(Debug, Clone)]
pub struct ToolsetRow {
    pub id: String,
    pub project_slug: String,
    pub name: String,
    pub mcp_slug: String,
    pub public: bool,
    /// `(env var, header)` pairs of an external MCP server's declared headers.
    pub external_headers: Vec<(String, String)>,
    /// Env var names of the toolset's own credentials (a security variable in a header).
    pub security_env: Vec<String>,
}

/// A plugin: a name, a slug, and its servers (toolset id, display name).
#[derive(Debug, Clone)]
pub struct PluginRow {
    pub id: String,
    pub project_slug: String,
    pub name: String,
    pub slug: String,
    pub servers: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct World {
    users: HashMap<String, User>,
    sessions: HashMap<String, String>,
    orgs: Vec<OrgRow>,
    keys: Vec<KeyRow>,
    toolsets: Vec<ToolsetRow>,
    plugins: Vec<PluginRow>,
    after_effect: HashMap<String, VecDeque<AfterEffect>>,
    seq: u64,
    /// The identity provider's base URL (`http://127.0.0.1:<port>`).
    idp: String,
    /// One-time codes the identity provider issued → the user they sign in.
    codes: HashMap<String, String>,
    /// Sessions auth.callback issued, in order.
    issued: Vec<String>,
}

/// What happens to an answer after Gram did the work.
#[derive(Debug, Clone)]
pub enum AfterEffect {
    /// The answer arrives this much later (past the client's timeout: the answer is lost).
    Delay(Duration),
    /// Another answer is sent instead (e.g. [`Answer::Raw`] with broken JSON).
    Replace(Answer),
}

/// The stateful Gram. Cloning shares the state.
#[derive(Debug, Clone)]
pub struct GramApi {
    world: Arc<Mutex<World>>,
    server: String,
    idp: Arc<IdentityProvider>,
}

impl GramApi {
    /// Starts a stand-in playing Acme's Gram: one admin (session [`ACME_SESSION`]) in
    /// "Acme Corp" with project `default`, plugins Payments and Docs search, no keys yet.
    pub fn acme() -> (GramStandIn, GramApi) {
        let gram = GramStandIn::start();
        let world = Arc::new(Mutex::new(World::default()));
        let idp = Arc::new(IdentityProvider::start(world.clone(), gram.url()));
        let api = GramApi {
            world,
            server: gram.url(),
            idp,
        };
        {
            let mut w = api.world.lock().expect("lock");
            w.idp = api.idp.url.clone();
            w.orgs.push(OrgRow {
                id: "org-acme".into(),
                name: "Acme Corp".into(),
                slug: "acme-corp".into(),
                projects: vec![ProjectRow {
                    id: "proj-default".into(),
                    name: "Default".into(),
                    slug: "default".into(),
                }],
            });
            w.users.insert(
                "user-admin".into(),
                User {
                    id: "user-admin".into(),
                    email: ACME_EMAIL.into(),
                    orgs: vec!["org-acme".into()],
                    active_org: "org-acme".into(),
                },
            );
            w.sessions.insert(ACME_SESSION.into(), "user-admin".into());
            for (i, (name, mcp_slug, public, external, security)) in [
                ("Ledger", "acme-ledger", false, vec![], vec![]),
                (
                    "Stripe",
                    "acme-stripe",
                    true,
                    vec![("STRIPE_API_KEY".to_owned(), "X-Stripe-Key".to_owned())],
                    vec![],
                ),
                (
                    "Handbook",
                    "acme-handbook",
                    true,
                    vec![],
                    vec!["HANDBOOK_TOKEN".to_owned()],
                ),
            ]
            .into_iter()
            .enumerate()
            {
                w.toolsets.push(ToolsetRow {
                    id: uuid(0x7000 + i as u64),
                    project_slug: "default".into(),
                    name: name.into(),
                    mcp_slug: mcp_slug.into(),
                    public,
                    external_headers: external,
                    security_env: security,
                });
            }
            let t = |i: u64| uuid(0x7000 + i);
            w.plugins.push(PluginRow {
                id: uuid(0x9001),
                project_slug: "default".into(),
                name: "Payments".into(),
                slug: "payments".into(),
                servers: vec![(t(0), "Ledger".into()), (t(1), "Stripe".into())],
            });
            w.plugins.push(PluginRow {
                id: uuid(0x9002),
                project_slug: "default".into(),
                name: "Docs search".into(),
                slug: "docs".into(),
                servers: vec![(t(2), "Handbook".into())],
            });
        }
        api.install(&gram);
        (gram, api)
    }

    /// Installs the standing answers of every operation this Gram plays on `gram`.
    pub fn install(&self, gram: &GramStandIn) {
        let ops: [(&str, Handler); 12] = [
            ("authLogin", World::auth_login),
            ("authCallback", World::auth_callback),
            ("sessionInfo", World::auth_info),
            ("logout", World::logout),
            ("createAPIKey", World::create_key),
            ("listAPIKeys", World::list_keys),
            ("revokeAPIKey", World::revoke_key),
            ("listProjects", World::list_projects),
            ("listPlugins", World::list_plugins),
            ("getPlugin", World::get_plugin),
            ("listToolsets", World::list_toolsets),
            ("validateAPIKey", World::verify_key),
        ];
        for (op, handler) in ops {
            let api = self.clone();
            gram.answer_operation_with(op, move |r| api.answer(op, r, handler));
        }
        let api = self.clone();
        gram.answer_with(move |r| {
            let w = api.world.lock().expect("lock");
            match r.header("Gram-Key").and_then(|k| w.live_key(k)) {
                Some(_) => Answer::ok(),
                None => Answer::error(401, "unauthorized", "invalid or revoked API key"),
            }
        });
    }

    fn answer(&self, op: &str, r: &HookRequest, handler: Handler) -> Answer {
        let mut w = self.world.lock().expect("lock");
        let answer = handler(&mut w, r, &self.server);
        match w.after_effect.get_mut(op).and_then(VecDeque::pop_front) {
            None => answer,
            Some(AfterEffect::Delay(d)) => Answer::After(d, Box::new(answer)),
            Some(AfterEffect::Replace(other)) => other,
        }
    }

    /// The stand-in's base URL.
    pub fn url(&self) -> &str {
        &self.server
    }

    /// The next call to `operation` changes the state as usual, then its answer is delayed or
    /// replaced: Gram acted, the client never learns it.
    pub fn fail_after_effect(&self, operation: &str, effect: AfterEffect) {
        self.world
            .lock()
            .expect("lock")
            .after_effect
            .entry(operation.to_owned())
            .or_default()
            .push_back(effect);
    }

    /// `<server>/rpc/auth.login`: where the app's sign-in window starts. It redirects to the
    /// identity provider's page ([`Self::idp_url`]`/authorize`), whose "Continue" link leads to
    /// auth.callback, which sets the `gram_session` cookie (and `Gram-Session` header) and
    /// redirects to a "signed in" page; "Cancel" leads to an auth.callback Gram refuses (401).
    pub fn login_url(&self) -> String {
        format!("{}/rpc/auth.login", self.server)
    }

    /// The identity provider's base URL.
    pub fn idp_url(&self) -> &str {
        &self.idp.url
    }

    /// The sessions auth.callback issued, oldest first (each works with auth.info).
    pub fn issued_sessions(&self) -> Vec<String> {
        self.world.lock().expect("lock").issued.clone()
    }

    /// Whether `session` is a session Gram currently accepts.
    pub fn session_is_live(&self, session: &str) -> bool {
        self.world
            .lock()
            .expect("lock")
            .sessions
            .contains_key(session)
    }

    /// Gram's whole key table, revoked keys included, oldest first.
    pub fn keys(&self) -> Vec<KeyRow> {
        self.world.lock().expect("lock").keys.clone()
    }

    pub fn live_keys(&self) -> Vec<KeyRow> {
        self.keys().into_iter().filter(KeyRow::is_live).collect()
    }

    /// The live key whose plaintext is `plaintext`, if any.
    pub fn live_key(&self, plaintext: &str) -> Option<KeyRow> {
        self.world
            .lock()
            .expect("lock")
            .live_key(plaintext)
            .cloned()
    }

    /// Records that the key whose prefix is `prefix` was used at `when` (RFC 3339), as Gram does
    /// when a hook request carries it.
    pub fn key_used_at(&self, prefix: &str, when: &str) {
        let mut w = self.world.lock().expect("lock");
        let key = w
            .keys
            .iter_mut()
            .find(|k| k.key_prefix == prefix)
            .unwrap_or_else(|| panic!("no key {prefix}"));
        key.last_accessed_at = Some(when.to_owned());
    }

    /// Ends a session (signed out elsewhere, expired): every later call with it answers 401.
    pub fn end_session(&self, session: &str) {
        self.world.lock().expect("lock").sessions.remove(session);
    }

    /// Adds a project to Acme.
    pub fn add_project(&self, slug: &str, name: &str) {
        let mut w = self.world.lock().expect("lock");
        let n = w.next();
        w.orgs[0].projects.push(ProjectRow {
            id: format!("proj-{n}"),
            name: name.into(),
            slug: slug.into(),
        });
    }

    /// Mints a hooks-scoped key in Acme as gram-admin would (named `name`): the row and the
    /// plaintext, for a test that plays a rotation without the admin's side.
    pub fn mint_hooks_key(&self, name: &str) -> (KeyRow, String) {
        let mut w = self.world.lock().expect("lock");
        w.mint("org-acme", "user-admin", name, vec!["hooks".into()])
    }

    /// Revokes key `id` as `keys.revoke` does: every hook request carrying it is refused (401).
    pub fn revoke(&self, id: &str) {
        let mut w = self.world.lock().expect("lock");
        let key = w
            .keys
            .iter_mut()
            .find(|k| k.id == id)
            .unwrap_or_else(|| panic!("no key {id}"));
        key.revoked = true;
    }

    /// Puts a key in the table as another tool would (not named by gram-admin).
    pub fn add_foreign_key(&self, name: &str) -> KeyRow {
        let mut w = self.world.lock().expect("lock");
        let (row, _) = w.mint("org-acme", "user-admin", name, vec!["consumer".into()]);
        row
    }
}

type Handler = fn(&mut World, &HookRequest, &str) -> Answer;

fn unauthorized() -> Answer {
    Answer::error(401, "unauthorized", "session expired or invalid")
}

fn bad_request(message: &str) -> Answer {
    Answer::error(400, "bad_request", message)
}

fn not_found(message: &str) -> Answer {
    Answer::error(404, "not_found", message)
}

impl World {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn user(&self, r: &HookRequest) -> Option<User> {
        let session = r.header("Gram-Session")?;
        let user = self.sessions.get(session)?;
        self.users.get(user).cloned()
    }

    fn project(&self, user: &User, r: &HookRequest) -> Result<ProjectRow, Answer> {
        let slug = r
            .header("Gram-Project")
            .ok_or_else(|| bad_request("the Gram-Project header is required"))?;
        self.orgs
            .iter()
            .filter(|o| user.orgs.contains(&o.id))
            .flat_map(|o| o.projects.iter())
            .find(|p| p.slug == slug)
            .cloned()
            .ok_or_else(|| Answer::error(403, "forbidden", "project not found or not accessible"))
    }

    fn live_key(&self, plaintext: &str) -> Option<&KeyRow> {
        let digest = sha256_hex(plaintext);
        self.keys.iter().find(|k| k.sha256 == digest && k.is_live())
    }

    fn mint(&mut self, org: &str, user: &str, name: &str, scopes: Vec<String>) -> (KeyRow, String) {
        let n = self.next();
        let plaintext = format!("gram_local_{}", random_hex(32));
        let row = KeyRow {
            id: uuid(0x1_0000 + n),
            organization_id: org.into(),
            created_by_user_id: user.into(),
            name: name.into(),
            key_prefix: plaintext[.."gram_local_".len() + 5].to_owned(),
            scopes,
            sha256: sha256_hex(&plaintext),
            created_at: timestamp(n),
            revoked: false,
            last_accessed_at: None,
        };
        self.keys.push(row.clone());
        (row, plaintext)
    }

    fn auth_login(&mut self, _: &HookRequest, _: &str) -> Answer {
        let state = random_hex(8);
        Answer::Redirect {
            location: format!("{}/authorize?state={state}", self.idp),
            headers: Vec::new(),
        }
    }

    fn auth_callback(&mut self, r: &HookRequest, _: &str) -> Answer {
        let code = r
            .query()
            .into_iter()
            .find(|(n, _)| n == "code")
            .map(|(_, v)| v)
            .unwrap_or_default();
        let Some(user) = self.codes.remove(&code) else {
            return Answer::error(
                401,
                "unauthorized",
                "sign-in was cancelled or the code is not valid",
            );
        };
        let session = format!("test-session-{}", random_hex(16));
        self.sessions.insert(session.clone(), user);
        self.issued.push(session.clone());
        Answer::Redirect {
            location: format!("{}/signed-in", self.idp),
            headers: vec![
                (
                    "Set-Cookie".into(),
                    format!(
                        "gram_session={session}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax"
                    ),
                ),
                ("Gram-Session".into(), session),
            ],
        }
    }

    fn auth_info(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let orgs: Vec<Value> = self
            .orgs
            .iter()
            .filter(|o| user.orgs.contains(&o.id))
            .map(|o| {
                json!({
                    "id": o.id, "name": o.name, "slug": o.slug,
                    "projects": o.projects.iter().map(|p| json!({"id": p.id, "name": p.name, "slug": p.slug})).collect::<Vec<_>>(),
                })
            })
            .collect();
        Answer::Json(
            200,
            json!({
                "user_id": user.id,
                "user_email": user.email,
                "is_admin": false,
                "active_organization_id": user.active_org,
                "organizations": orgs,
                "gram_account_type": "pro",
                "has_active_subscription": true,
                "whitelisted": true,
            }),
        )
    }

    /// `auth.logout`: the session ends (every later call with it answers 401), and the
    /// browser's cookie is cleared.
    fn logout(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(session) = r.header("Gram-Session") else {
            return unauthorized();
        };
        if self.sessions.remove(session).is_none() {
            return unauthorized();
        }
        Answer::Empty {
            status: 200,
            headers: vec![(
                "Set-Cookie".into(),
                "gram_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax".into(),
            )],
        }
    }

    fn create_key(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let Some(body) = r.json() else {
            return bad_request("the body is not JSON");
        };
        let name = body["name"].as_str().unwrap_or_default().to_owned();
        if name.trim().is_empty() {
            return bad_request("name is required");
        }
        if name.starts_with("plugins-") {
            return bad_request("key names starting with plugins- are reserved");
        }
        let scopes: Vec<String> = body["scopes"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if scopes.is_empty()
            || !scopes
                .iter()
                .all(|s| ["hooks", "consumer", "producer", "chat"].contains(&s.as_str()))
        {
            return bad_request("invalid scopes");
        }
        if self
            .keys
            .iter()
            .any(|k| k.is_live() && k.organization_id == user.active_org && k.name == name)
        {
            return Answer::error(409, "conflict", "a key with this name already exists");
        }
        let (row, plaintext) = self.mint(&user.active_org.clone(), &user.id, &name, scopes);
        let mut answer = row.to_json();
        answer["key"] = json!(plaintext);
        Answer::Json(200, answer)
    }

    fn list_keys(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| k.is_live() && k.organization_id == user.active_org)
            .map(KeyRow::to_json)
            .collect();
        Answer::Json(200, json!({ "keys": keys }))
    }

    fn revoke_key(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let id = r
            .query()
            .into_iter()
            .find(|(n, _)| n == "id")
            .map(|(_, v)| v);
        match self.keys.iter_mut().find(|k| {
            Some(&k.id) == id.as_ref() && k.organization_id == user.active_org && k.is_live()
        }) {
            Some(key) => {
                key.revoked = true;
                Answer::Raw(200, Vec::new())
            }
            None => not_found("key not found"),
        }
    }

    fn list_projects(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let org = r
            .query()
            .into_iter()
            .find(|(n, _)| n == "organization_id")
            .map(|(_, v)| v);
        match self
            .orgs
            .iter()
            .find(|o| Some(&o.id) == org.as_ref() && user.orgs.contains(&o.id))
        {
            Some(o) => Answer::Json(
                200,
                json!({ "projects": o.projects.iter().map(|p| json!({"id": p.id, "name": p.name, "slug": p.slug})).collect::<Vec<_>>() }),
            ),
            None => Answer::error(403, "forbidden", "organization not accessible"),
        }
    }

    fn plugin_json(&self, p: &PluginRow, with_servers: bool) -> Value {
        let mut v = json!({
            "id": p.id, "name": p.name, "slug": p.slug,
            "created_at": timestamp(0), "updated_at": timestamp(0),
            "server_count": p.servers.len(),
        });
        if with_servers {
            v["servers"] = p
                .servers
                .iter()
                .enumerate()
                .map(|(i, (toolset, display))| {
                    json!({
                        "id": uuid(0x8000 + i as u64), "toolset_id": toolset, "display_name": display,
                        "policy": if i == 0 { "required" } else { "optional" }, "sort_order": i,
                        "created_at": timestamp(0),
                    })
                })
                .collect();
        }
        v
    }

    fn list_plugins(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let project = match self.project(&user, r) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let plugins: Vec<Value> = self
            .plugins
            .iter()
            .filter(|p| p.project_slug == project.slug)
            .map(|p| self.plugin_json(p, false))
            .collect();
        Answer::Json(200, json!({ "plugins": plugins }))
    }

    fn get_plugin(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let project = match self.project(&user, r) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let id = r
            .query()
            .into_iter()
            .find(|(n, _)| n == "id")
            .map(|(_, v)| v);
        match self
            .plugins
            .iter()
            .find(|p| Some(&p.id) == id.as_ref() && p.project_slug == project.slug)
        {
            Some(p) => Answer::Json(200, self.plugin_json(p, true)),
            None => not_found("plugin not found"),
        }
    }

    fn list_toolsets(&mut self, r: &HookRequest, _: &str) -> Answer {
        let Some(user) = self.user(r) else {
            return unauthorized();
        };
        let project = match self.project(&user, r) {
            Ok(p) => p,
            Err(a) => return a,
        };
        let toolsets: Vec<Value> = self
            .toolsets
            .iter()
            .filter(|t| t.project_slug == project.slug)
            .map(|t| {
                json!({
                    "id": t.id, "project_id": project.id, "organization_id": user.active_org,
                    "name": t.name, "slug": t.mcp_slug, "mcp_slug": t.mcp_slug,
                    "mcp_enabled": true, "mcp_is_public": t.public,
                    "tools": [], "tool_selection_mode": "static", "prompt_templates": [],
                    "tool_urns": [], "resources": [], "resource_urns": [],
                    "created_at": timestamp(0), "updated_at": timestamp(0),
                    "external_mcp_header_definitions": t.external_headers.iter().map(|(name, header)| json!({
                        "name": name, "header_name": header, "required": true, "secret": true,
                    })).collect::<Vec<_>>(),
                    "security_variables": t.security_env.iter().enumerate().map(|(i, var)| json!({
                        "id": format!("sec-{i}"), "name": "Authorization", "in_placement": "header",
                        "scheme": "bearer", "type": "http", "env_variables": [var],
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Answer::Json(200, json!({ "toolsets": toolsets }))
    }

    fn verify_key(&mut self, r: &HookRequest, _: &str) -> Answer {
        match r.header("Gram-Key").and_then(|k| self.live_key(k)) {
            None => Answer::error(401, "unauthorized", "invalid or revoked API key"),
            Some(key) => {
                let org = self.orgs.iter().find(|o| o.id == key.organization_id);
                Answer::Json(
                    200,
                    json!({
                        "organization": org.map(|o| json!({"id": o.id, "name": o.name, "slug": o.slug})),
                        "projects": org.map(|o| o.projects.iter().map(|p| json!({"id": p.id, "name": p.name, "slug": p.slug})).collect::<Vec<_>>()),
                        "scopes": key.scopes,
                    }),
                )
            }
        }
    }
}

/// The identity provider Gram's auth.login sends the browser to: a page with "Continue as
/// admin@acme.test" and "Cancel"; continuing issues a one-time code and goes back to Gram's
/// auth.callback. It also serves the page Gram redirects to once signed in.
struct IdentityProvider {
    url: String,
    _server: Server,
}

impl std::fmt::Debug for IdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProvider")
            .field("url", &self.url)
            .finish()
    }
}

impl IdentityProvider {
    fn start(world: Arc<Mutex<World>>, gram: String) -> Self {
        let server = Server::serial(move |request| {
            let answer = idp_page(&world, &gram, request.url());
            let _ = request.respond(answer);
        });
        Self {
            url: server.url(),
            _server: server,
        }
    }
}

type Page = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn idp_page(world: &Mutex<World>, gram: &str, url: &str) -> Page {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let state: String = url::form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let state_q: String = url::form_urlencoded::byte_serialize(state.as_bytes()).collect();
    let html = |status: u16, body: String| {
        tiny_http::Response::from_data(body.into_bytes())
            .with_status_code(status)
            .with_header(
                tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
                    .expect("header"),
            )
    };
    let redirect = |location: String| {
        tiny_http::Response::from_data(Vec::new())
            .with_status_code(302)
            .with_header(
                tiny_http::Header::from_bytes("Location", location.as_bytes()).expect("header"),
            )
    };
    match path {
        "/authorize" => html(
            200,
            format!(
                "<!doctype html><html><head><title>Acme sign-in</title></head><body>\
<h1 id=\"idp\">Sign in to Gram</h1><p>You are about to sign in as {ACME_EMAIL}.</p>\
<a id=\"continue\" href=\"/approve?state={state_q}\">Continue as {ACME_EMAIL}</a> \
<a id=\"cancel\" href=\"/cancel?state={state_q}\">Cancel</a></body></html>"
            ),
        ),
        "/approve" => {
            let code = random_hex(12);
            world
                .lock()
                .expect("lock")
                .codes
                .insert(code.clone(), "user-admin".into());
            redirect(format!(
                "{gram}/rpc/auth.callback?code={code}&state={state_q}"
            ))
        }
        "/cancel" => redirect(format!(
            "{gram}/rpc/auth.callback?code=cancelled&state={state_q}"
        )),
        "/signed-in" => html(
            200,
            "<!doctype html><html><head><title>Gram</title></head><body>\
<h1 id=\"signed-in\">You are signed in to Gram.</h1></body></html>"
                .to_owned(),
        ),
        _ => html(404, "<!doctype html><title>Not found</title>".to_owned()),
    }
}

/// `00000000-0000-4000-8000-<n as 12 hex>`.
fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// A date-time, `n` seconds after 2026-11-25T10:00:00Z.
fn timestamp(n: u64) -> String {
    format!(
        "2026-11-25T{:02}:{:02}:{:02}Z",
        10 + (n / 3600) % 14,
        (n / 60) % 60,
        n % 60
    )
}

pub fn sha256_hex(s: &str) -> String {
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `n` random bytes as hex, from the OS.
fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_keys_are_random_stored_hashed_and_shown_by_prefix() {
        let mut w = World::default();
        let (a, pa) = w.mint("o", "u", "a", vec!["hooks".into()]);
        let (b, pb) = w.mint("o", "u", "b", vec!["hooks".into()]);
        assert_ne!(pa, pb);
        assert_eq!(a.key_prefix, pa[..16]);
        assert_eq!(a.key_prefix.len(), "gram_local_".len() + 5);
        assert_eq!(a.sha256, sha256_hex(&pa));
        assert!(!format!("{a:?}").contains(&pa[16..]));
        assert_eq!(w.live_key(&pb).map(|k| &k.id), Some(&b.id));
        assert!(w.live_key("gram_local_nope").is_none());
    }
}
