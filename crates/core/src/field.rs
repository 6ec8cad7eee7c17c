//! Which input a [`Problem`](crate::Problem) is about, as a type: the UI switches on it, the CLI
//! prints its string form (`org`, `plugins[2].servers[0].mcp_url`, …).

use std::fmt;

/// An input the admin gives. Serialised as the path a person reads: `server`,
/// `plugins[1].slug`, `plugins[0].servers[2].env[0].header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The organisation's name.
    Org,
    Email,
    Server,
    Project,
    Marketplace,
    Key,
    Platform,
    /// The GitHub repository (`owner/name`).
    Repository,
    /// The branch to publish to.
    Branch,
    /// A pasted token (GitHub) or session (Gram).
    Token,
    /// A generated file's path (two plugins would write the same file).
    Path,
    /// A field of the feature plugin at `index` in the list.
    Plugin {
        index: usize,
        field: PluginField,
    },
}

/// A field of one feature plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginField {
    Name,
    Slug,
    Description,
    Servers,
    Server { index: usize, field: ServerField },
}

/// A field of one MCP server of a feature plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerField {
    DisplayName,
    McpUrl,
    EnvName { index: usize },
    EnvHeader { index: usize },
}

/// The top-level inputs, by the name their problems carry (what a form field is keyed by).
pub const TOP_LEVEL_FIELDS: [Field; 11] = [
    Field::Org,
    Field::Email,
    Field::Server,
    Field::Project,
    Field::Marketplace,
    Field::Key,
    Field::Platform,
    Field::Repository,
    Field::Branch,
    Field::Token,
    Field::Path,
];

impl Field {
    pub fn plugin(index: usize, field: PluginField) -> Self {
        Field::Plugin { index, field }
    }

    pub fn server(plugin: usize, server: usize, field: ServerField) -> Self {
        Field::Plugin {
            index: plugin,
            field: PluginField::Server {
                index: server,
                field,
            },
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Org => f.write_str("org"),
            Field::Email => f.write_str("email"),
            Field::Server => f.write_str("server"),
            Field::Project => f.write_str("project"),
            Field::Marketplace => f.write_str("marketplace"),
            Field::Key => f.write_str("key"),
            Field::Platform => f.write_str("platform"),
            Field::Repository => f.write_str("repository"),
            Field::Branch => f.write_str("branch"),
            Field::Token => f.write_str("token"),
            Field::Path => f.write_str("path"),
            Field::Plugin { index, field } => write!(f, "plugins[{index}].{field}"),
        }
    }
}

impl fmt::Display for PluginField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginField::Name => f.write_str("name"),
            PluginField::Slug => f.write_str("slug"),
            PluginField::Description => f.write_str("description"),
            PluginField::Servers => f.write_str("servers"),
            PluginField::Server { index, field } => write!(f, "servers[{index}].{field}"),
        }
    }
}

impl fmt::Display for ServerField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerField::DisplayName => f.write_str("display_name"),
            ServerField::McpUrl => f.write_str("mcp_url"),
            ServerField::EnvName { index } => write!(f, "env[{index}].name"),
            ServerField::EnvHeader { index } => write!(f, "env[{index}].header"),
        }
    }
}

impl serde::Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// In TypeScript the field is its string form: one literal per top-level input, and a template
/// for the fields of feature plugins — so a `switch` over it is checked by the compiler.
impl ts_rs::TS for Field {
    type WithoutGenerics = Self;
    type OptionInnerType = Self;

    fn name() -> String {
        "Field".into()
    }

    fn decl() -> String {
        format!("type Field = {};", Self::inline())
    }

    fn decl_concrete() -> String {
        Self::decl()
    }

    fn inline() -> String {
        let mut parts: Vec<String> = TOP_LEVEL_FIELDS
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect();
        parts.push("`plugins[${number}].${string}`".into());
        parts.join(" | ")
    }

    fn inline_flattened() -> String {
        panic!("Field is a string type and cannot be flattened")
    }

    fn output_path() -> Option<std::path::PathBuf> {
        Some(std::path::PathBuf::from("Field.ts"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_print_as_the_paths_people_read() {
        assert_eq!(Field::Server.to_string(), "server");
        assert_eq!(
            Field::plugin(2, PluginField::Slug).to_string(),
            "plugins[2].slug"
        );
        assert_eq!(
            Field::server(0, 1, ServerField::EnvHeader { index: 3 }).to_string(),
            "plugins[0].servers[1].env[3].header"
        );
        assert_eq!(
            serde_json::to_string(&Field::server(1, 0, ServerField::McpUrl)).unwrap(),
            "\"plugins[1].servers[0].mcp_url\""
        );
    }
}
