//! Gram's API shapes (tests/contracts/gram-openapi.yaml), the parts gram-admin reads.
//! Unknown fields are ignored: Gram adds fields over time.

use serde::{Deserialize, Serialize};

/// `auth.info`: who is signed in, and the organizations and projects they can use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct AuthInfo {
    pub user_id: String,
    pub user_email: String,
    #[serde(default)]
    pub user_display_name: Option<String>,
    pub is_admin: bool,
    pub active_organization_id: String,
    pub organizations: Vec<Organization>,
}

/// `OrganizationEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub projects: Vec<Project>,
}

/// `ProjectEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// `Key` as listed: never the plaintext (Gram returns it once, from `keys.create`, and
/// [`crate::gram::MintedKey`] holds it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// What Gram shows of the key: `gram_<env>_` and 5 hex.
    pub key_prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    #[serde(default)]
    pub last_accessed_at: Option<String>,
    #[serde(default)]
    pub created_by_user_id: Option<String>,
}

/// `keys.create`'s answer: a [`ApiKey`] plus the plaintext, once. Kept private to the client.
#[derive(Deserialize)]
pub(crate) struct CreatedKey {
    #[serde(flatten)]
    pub meta: ApiKey,
    pub key: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct KeyList {
    pub keys: Vec<ApiKey>,
}

#[derive(Deserialize)]
pub(crate) struct ProjectList {
    pub projects: Vec<Project>,
}

/// `Plugin`: a named group of MCP servers (toolsets) the org hands out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Plugin {
    pub id: String,
    pub name: String,
    pub slug: String,
    /// Present on `getPlugin`; `listPlugins` may leave it out.
    #[serde(default)]
    pub servers: Vec<PluginServer>,
}

/// `PluginServer`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PluginServer {
    pub id: String,
    pub toolset_id: String,
    pub display_name: String,
    /// `required` or `optional`.
    pub policy: String,
    pub sort_order: i32,
}

#[derive(Deserialize)]
pub(crate) struct PluginList {
    pub plugins: Vec<Plugin>,
}

/// `ToolsetEntry`, the parts that make an MCP server entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Toolset {
    pub id: String,
    pub name: String,
    pub slug: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub mcp_slug: Option<String>,
    #[serde(default)]
    pub mcp_enabled: Option<bool>,
    #[serde(default)]
    pub mcp_is_public: Option<bool>,
    /// Headers an external MCP server needs, each filled from a variable the user supplies.
    #[serde(default)]
    pub external_mcp_header_definitions: Vec<HeaderDefinition>,
    /// Credentials the toolset's upstream API takes (`in_placement: header` ones become headers).
    #[serde(default)]
    pub security_variables: Vec<SecurityVariable>,
}

/// `ExternalMCPHeaderDefinition`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct HeaderDefinition {
    pub name: String,
    pub header_name: String,
    pub required: bool,
    pub secret: bool,
}

/// `SecurityVariable`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SecurityVariable {
    pub id: String,
    /// The header (or parameter) name.
    pub name: String,
    pub in_placement: String,
    pub scheme: String,
    pub env_variables: Vec<String>,
}

#[derive(Deserialize)]
pub(crate) struct ToolsetList {
    pub toolsets: Vec<Toolset>,
}

/// Gram's error body.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub name: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub temporary: bool,
    #[serde(default)]
    pub timeout: bool,
}

/// `keys.create`'s request.
#[derive(Serialize)]
pub(crate) struct CreateKeyForm<'a> {
    pub name: &'a str,
    pub scopes: &'a [&'a str],
}
