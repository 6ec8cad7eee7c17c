//! Writing a bundle to disk: a deterministic flat ZIP, or a directory tree.
//!
//! Both are all-or-nothing: the ZIP is written to a temporary file in the target directory and
//! renamed over the target only once complete (an existing file survives any failure); a
//! directory is filled in a temporary sibling and renamed into place.

use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use crate::bundle::Bundle;
use crate::error::{Error, Result};

/// Every entry's timestamp: the ZIP epoch, so the same bundle always gives the same bytes.
fn fixed_time() -> DateTime {
    DateTime::default()
}

/// The ZIP as bytes: entries in path order, fixed timestamps, unix modes, deflated.
pub fn zip_bytes(bundle: &Bundle) -> Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for file in bundle.files() {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(fixed_time())
            .unix_permissions(file.mode.unix());
        zip.start_file(file.path.as_str(), options)?;
        zip.write_all(&file.contents)
            .map_err(|e| Error::Zip(e.into()))?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Writes the bundle as a ZIP to `target`, atomically, with mode 0600 (it holds a key).
pub fn write_zip(bundle: &Bundle, target: &Path) -> Result<()> {
    let bytes = zip_bytes(bundle)?;
    write_atomically(target, &bytes)
}

/// Writes `bytes` to `target` through a temporary file in the same directory (so the rename
/// is atomic), created with mode 0600 and synced before the rename. On any failure the
/// temporary file is removed and an existing `target` is left as it was.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = existing_parent(target, "write")?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".gram-admin-").suffix(".partial");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600));
    let mut tmp = builder
        .tempfile_in(&dir)
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    tmp.write_all(bytes)
        .map_err(|e| Error::io("write", tmp.path().to_owned(), e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("write", tmp.path().to_owned(), e))?;
    tmp.persist(target)
        .map_err(|e| Error::io("replace", target, e.error))?;
    Ok(())
}

/// Writes the bundle's files under `out` with their modes. `out` must not exist yet, or be an
/// empty directory: the tree is built in a temporary sibling and renamed into place.
pub fn write_dir(bundle: &Bundle, out: &Path) -> Result<()> {
    if out.exists() {
        let empty = fs::read_dir(out)
            .map_err(|e| Error::io("read", out, e))?
            .next()
            .is_none();
        if !empty {
            return Err(Error::io(
                "write into",
                out,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "the directory is not empty; choose a new or empty directory",
                ),
            ));
        }
    }
    let parent = existing_parent(out, "write into")?;
    let staging = tempfile::Builder::new()
        .prefix(".gram-admin-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("create a temporary directory in", &parent, e))?;
    for file in bundle.files() {
        let path = staging.path().join(&file.path);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
        }
        fs::write(&path, &file.contents).map_err(|e| Error::io("write", &path, e))?;
        set_mode(&path, file.mode.unix())?;
    }
    set_mode(staging.path(), 0o755)?;
    if out.exists() {
        fs::remove_dir(out).map_err(|e| Error::io("replace", out, e))?;
    }
    let staged = staging.keep();
    fs::rename(&staged, out).map_err(|e| {
        let _ = fs::remove_dir_all(&staged);
        Error::io("move the finished files to", out, e)
    })?;
    Ok(())
}

/// The folder `path` is to be written in, when it exists: else one sentence that says so
/// (rather than the temporary file's name that could not be created there).
fn existing_parent(path: &Path, action: &'static str) -> Result<PathBuf> {
    let dir = parent_dir(path);
    if dir.is_dir() {
        return Ok(dir);
    }
    let why = if dir.exists() {
        format!("{} is not a folder", dir.display())
    } else {
        format!(
            "the folder {} does not exist; create it first or choose another",
            dir.display()
        )
    };
    Err(Error::io(
        action,
        path,
        std::io::Error::new(std::io::ErrorKind::NotFound, why),
    ))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("set permissions on", path, e))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> Result<()> {
    Ok(())
}
