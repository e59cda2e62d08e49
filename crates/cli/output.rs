//! Safe output. Every file is written under a temporary name beside its target and renamed into
//! place, so an interrupted run never leaves a half-written file; a file that already exists is
//! replaced only with `--force` (checked for every file of a batch before any is written); and
//! file names (some come from strategy or scheme names) must be plain names, so nothing can be
//! written outside the output directory.
//!
//! One process at a time writes into a directory: the first write takes an exclusive lock on
//! `DIR/.hta.lock` (holding the process id) and keeps it until the process exits, so the check for
//! existing files and the writes of every batch of one command happen under the lock, and a second
//! `hta` writing into the same directory fails at once instead of mixing its files with the
//! first's. The operating system releases the lock when a process dies, even by `kill -9`.
//! A batch is written in two passes (every file to its temporary name, then every rename), and
//! records that other commands read back (`psa.json`) list the SHA-256 of the files they describe,
//! so a reader can tell a set mixed by an interrupted rewrite.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::exit::Exit;

static FORCE: OnceLock<bool> = OnceLock::new();
static LANGUAGE: OnceLock<hta_report::html::Lang> = OnceLock::new();

/// Locks held on output directories (canonical path, lock file), kept until the process exits.
static LOCKS: Mutex<Vec<(PathBuf, File)>> = Mutex::new(Vec::new());

/// Name of the lock file in an output directory.
pub const LOCK_FILE: &str = ".hta.lock";

/// Sets `--force` for the whole command (once, at start-up).
pub fn set_force(force: bool) {
    let _ = FORCE.set(force);
}

/// Sets `--lang` for the whole command (once, at start-up): the language of every figure written.
pub fn set_language(lang: hta_report::html::Lang) {
    let _ = LANGUAGE.set(lang);
}

/// The language of the command's figures and report.
pub fn language() -> hta_report::html::Lang {
    LANGUAGE.get().copied().unwrap_or_default()
}

fn force() -> bool {
    FORCE.get().copied().unwrap_or(false)
}

/// Takes the exclusive lock on `dir` for the rest of the process (once per directory).
fn lock(dir: &Path) -> Result<(), Exit> {
    let canonical = std::fs::canonicalize(dir).map_err(|e| crate::io_error(dir, &e))?;
    let mut held = LOCKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if held.iter().any(|(p, _)| *p == canonical) {
        return Ok(());
    }
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| crate::io_error(&path, &e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut pid = String::new();
            let _ = file.read_to_string(&mut pid);
            let pid = pid.trim();
            let who = if pid.is_empty() { "another hta process".to_string() } else { format!("hta process {pid}") };
            eprintln!(
                "error: {who} is writing into {} (it holds {}); wait for it to finish or choose another --out directory (nothing was written)",
                dir.display(),
                path.display()
            );
            return Err(Exit::Io);
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(crate::io_error(&path, &e)),
    }
    if !still_at(&file, &path) {
        // Another process removed the lock file (finishing its run) between our open and our
        // lock: our lock is on a file no one else will open. Take the lock on the new file.
        drop(file);
        drop(held);
        return lock(dir);
    }
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{}", std::process::id());
    held.push((canonical, file));
    Ok(())
}

/// Whether `path` still names the open `file` (not a file created after it was removed).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes the lock files of this process's output directories and releases the locks (at the
/// end of a command, so that a finished run leaves only its results). A process that dies leaves
/// its lock file behind, unlocked: the next run takes it over.
pub fn release_locks() {
    let mut held = LOCKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for (dir, file) in held.drain(..) {
        // Removed while still locked, so no other process can take the lock on the old file
        // and believe it holds the directory (see `still_at`).
        let _ = std::fs::remove_file(dir.join(LOCK_FILE));
        drop(file);
    }
}

/// Longest file name written.
const MAX_NAME: usize = 200;

/// `dir/name`, if `name` is a plain file name and the file may be written.
fn target(dir: &Path, name: &str) -> Result<PathBuf, Exit> {
    let plain = !name.is_empty()
        && name.len() <= MAX_NAME
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && !name.chars().any(|c| c == '/' || c == '\\' || c == ':' || c.is_control());
    if !plain {
        eprintln!(
            "error: refusing to write `{}`: output file names must be plain names inside the output directory (from a strategy or scheme name?)",
            name.escape_debug()
        );
        return Err(Exit::InvalidModel);
    }
    let path = dir.join(name);
    if !force() && path.exists() {
        eprintln!("error: {} already exists; add --force to replace it (nothing was replaced)", path.display());
        return Err(Exit::Io);
    }
    Ok(path)
}

/// The temporary name a file is written under before it is renamed to `path`; keeps the
/// extension (the PNG encoder reads it).
fn temporary(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    path.with_file_name(format!(".hta-tmp-{}-{name}", std::process::id()))
}

/// Creates `dir` if missing and takes its lock; refuses a path that exists and is not a directory.
fn create_dir(dir: &Path) -> Result<(), Exit> {
    if dir.exists() && !dir.is_dir() {
        eprintln!(
            "error: --out {} is a file, not a directory; give a directory (it is created if missing)",
            dir.display()
        );
        return Err(Exit::Usage);
    }
    std::fs::create_dir_all(dir).map_err(|e| crate::io_error(dir, &e))?;
    lock(dir)
}

fn rename(from: &Path, to: &Path) -> Result<(), Exit> {
    std::fs::rename(from, to).map_err(|e| {
        let _ = std::fs::remove_file(from);
        crate::io_error(to, &e)
    })
}

/// Writes named files into `dir` (created if missing): all targets are checked first.
pub fn write_all(dir: &Path, files: &[(&str, &[u8])]) -> Result<(), Exit> {
    create_dir(dir)?;
    let targets = files.iter().map(|(name, _)| target(dir, name)).collect::<Result<Vec<_>, _>>()?;
    let temporaries: Vec<PathBuf> = targets.iter().map(|p| temporary(p)).collect();
    let discard = || {
        for t in &temporaries {
            let _ = std::fs::remove_file(t);
        }
    };
    // Every file first, then every rename: the set changes over in the shortest possible time.
    for ((path, tmp), (name, bytes)) in targets.iter().zip(&temporaries).zip(files) {
        // Every CSV file leaves through here: cells a spreadsheet would run as formulas are
        // neutralised, whichever code built the text.
        let safe = match std::str::from_utf8(bytes) {
            Ok(text) if name.ends_with(".csv") => hta_report::csv_safe::neutralise(text),
            _ => std::borrow::Cow::Borrowed(""),
        };
        let bytes = if safe.is_empty() { *bytes } else { safe.as_bytes() };
        std::fs::write(tmp, bytes).map_err(|e| {
            discard();
            crate::io_error(path, &e)
        })?;
    }
    for (path, tmp) in targets.iter().zip(&temporaries) {
        rename(tmp, path).inspect_err(|_| discard())?;
    }
    Ok(())
}

/// Writes a single file given by its path (e.g. `hta schema --out FILE`).
pub fn write_path(path: &Path, bytes: &[u8]) -> Result<(), Exit> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    write_all(&dir, &[(name, bytes)])
}

/// Writes each figure as SVG, PNG and CSV into `dir`.
pub fn write_figures(dir: &Path, figures: &[hta_report::figures::Figure]) -> Result<(), Exit> {
    create_dir(dir)?;
    let mut targets = Vec::new();
    for f in figures {
        let svg = target(dir, &format!("{}.svg", f.name))?;
        let png = target(dir, &format!("{}.png", f.name))?;
        let csv = target(dir, &format!("{}.csv", f.name))?;
        targets.push((svg, png, csv));
    }
    for (figure, (svg, png, csv)) in figures.iter().zip(&targets) {
        let (t_svg, t_png, t_csv) = (temporary(svg), temporary(png), temporary(csv));
        if let Err(e) = figure.write_in(language(), &t_svg, &t_png, &t_csv) {
            for t in [&t_svg, &t_png, &t_csv] {
                let _ = std::fs::remove_file(t);
            }
            eprintln!("error: {e}");
            return Err(Exit::Io);
        }
        rename(&t_svg, svg)?;
        rename(&t_png, png)?;
        rename(&t_csv, csv)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_directory() {
        let dir = Path::new("out");
        for bad in ["../x.csv", "a/b.csv", "..", ".hidden", "", "a\\b", "C:x", "a\nb"] {
            assert!(target(dir, bad).is_err(), "{bad:?} was accepted");
        }
        assert!(target(dir, "trace_mono.csv").is_ok());
    }
}
