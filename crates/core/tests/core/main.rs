//! Integration tests of gram-admin-core: one binary, one module per area.

mod golden;
mod hook;
mod props;
mod support;
mod zip_export;
