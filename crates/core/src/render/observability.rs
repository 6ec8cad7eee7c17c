//! The per-org observability plugin, in the flat layout that is also the ZIP's root (SPEC §3).

use crate::bundle::{Bundle, FileMode};
use crate::error::Result;
use crate::key::HooksKey;
use crate::org::Org;
use crate::platform::{Contents, Manifest, Package, Shape};

use super::hook_script::{
    curl_config, hook_script, HOOK_CA_PATH, HOOK_CONFIG_PATH, HOOK_SCRIPT_PATH,
    HOOK_TIMEOUT_SECONDS,
};
use super::{content_version, json_file, Platform, HOOKS_JSON_PATH};

/// Renders the observability plugin for `platform`: manifest, hooks file, hook script and
/// the curl config that holds its endpoint and key — or, for an agent that loads modules
/// ([`Shape::Module`]: OpenCode), the module and its data file.
pub fn observability_plugin(org: &Org, key: &HooksKey, platform: Platform) -> Result<Bundle> {
    match platform.info().shape {
        Shape::Package(package) => hook_script_plugin(org, key, platform, package),
        Shape::Module(_) => super::opencode::opencode_plugin(org, key),
    }
}

fn hook_script_plugin(
    org: &Org,
    key: &HooksKey,
    platform: Platform,
    package: &Package,
) -> Result<Bundle> {
    let mut bundle = Bundle::new();
    bundle.insert(
        HOOK_SCRIPT_PATH,
        hook_script(platform, org.content),
        FileMode::Executable,
    )?;
    // It holds the key: readable by the teammate alone once unzipped or rendered.
    bundle.insert(
        HOOK_CONFIG_PATH,
        curl_config(org, key, platform),
        FileMode::Private,
    )?;
    // The company's CA, for curl (the script finds it beside itself).
    if let Some(ca) = &org.ca {
        bundle.insert(HOOK_CA_PATH, ca.clone(), FileMode::Regular)?;
    }
    // An agent whose hook builds envelopes gets the program that builds them.
    if let Some(adapter) = package.adapter() {
        bundle.insert(
            super::envelope::ENVELOPE_PATH,
            super::envelope::envelope_program(adapter, org.content),
            FileMode::Regular,
        )?;
    }
    bundle.insert(
        HOOKS_JSON_PATH,
        json_file(&package.hooks_json(HOOK_TIMEOUT_SECONDS)),
        FileMode::Regular,
    )?;
    let version = content_version(&bundle);
    let name = platform.observability_plugin_name(org.slug());
    let display_name = format!("{} Observability", org.name.as_str());
    let description = format!(
        "Reports {}'s hook events to {}'s Gram project so the team can see agent activity. {}",
        platform.display_name(),
        org.name.as_str(),
        org.content.short()
    );
    let short_description = format!(
        "Reports agent activity to {}'s Gram project.",
        org.name.as_str()
    );
    let manifest = package.manifest(
        org,
        &Manifest {
            name: &name,
            display_name: &display_name,
            description: &description,
            version: &version,
            homepage: true,
            // Where the hook sends events.
            hosts: vec![org.server.host()],
            contents: Contents::Hooks,
            short_description: &short_description,
        },
    );
    bundle.insert(
        package.manifest_path,
        json_file(&manifest),
        FileMode::Regular,
    )?;
    Ok(bundle)
}

/// Parses `config` and renders its observability plugin: what the app and the CLI call.
pub fn observability_plugin_for(
    config: &crate::OrgConfig,
    key: &HooksKey,
    platform: Platform,
) -> Result<Bundle> {
    observability_plugin(&config.validate()?, key, platform)
}
