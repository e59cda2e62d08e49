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
//! A batch ([`Batch`]) is written in two passes (every file to its temporary name, then every
//! rename), and records that other commands read back (`psa.json`) list the SHA-256 of the files
//! they describe, so a reader can tell a set mixed by an interrupted rewrite. Each file's SHA-256
//! is computed from the bytes as they are written, and a large CSV file can be written record by
//! record ([`Batch::csv`]) without ever being whole in memory.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
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
    let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
    let mut batch = Batch::new(dir, &names)?;
    for (name, bytes) in files {
        batch.write(name, bytes)?;
    }
    batch.commit()
}

/// Files written together into one directory: every target is checked before any file is
/// written, each file goes to its temporary name, and [`Batch::commit`] renames them all into
/// place, so the set changes over in the shortest possible time. A batch dropped without a commit
/// (an error on the way) removes its temporaries and replaces nothing.
pub struct Batch {
    /// (target, temporary) of each file, in the order named.
    files: Vec<(PathBuf, PathBuf)>,
    committed: bool,
}

impl Batch {
    /// Creates `dir` if missing, takes its lock and checks every file name of the batch.
    pub fn new(dir: &Path, names: &[&str]) -> Result<Batch, Exit> {
        create_dir(dir)?;
        let targets = names.iter().map(|name| target(dir, name)).collect::<Result<Vec<_>, _>>()?;
        let files = targets
            .into_iter()
            .map(|path| {
                let tmp = temporary(&path);
                (path, tmp)
            })
            .collect();
        Ok(Batch { files, committed: false })
    }

    /// Writes `name` (one of the batch's) and returns the SHA-256 of the bytes written. Every CSV
    /// file leaves through here or [`Batch::csv`]: cells a spreadsheet would run as formulas are
    /// neutralised, whichever code built the text.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<String, Exit> {
        let safe = match std::str::from_utf8(bytes) {
            Ok(text) if name.ends_with(".csv") => hta_report::csv_safe::neutralise(text),
            _ => std::borrow::Cow::Borrowed(""),
        };
        let bytes = if safe.is_empty() { bytes } else { safe.as_bytes() };
        self.stream(name, |out| out.write_all(bytes))
    }

    /// Writes the CSV file `name` record by record, `rows` giving each record (a line ending in
    /// `\n`) to [`CsvRows::record`], which neutralises it: the file is never whole in memory.
    /// Returns the SHA-256 of the bytes written.
    pub fn csv(
        &mut self,
        name: &str,
        rows: impl FnOnce(&mut CsvRows<'_>) -> std::io::Result<()>,
    ) -> Result<String, Exit> {
        self.stream(name, |out| rows(&mut CsvRows { out }))
    }

    /// Writes `name` to its temporary file through `fill`, hashing as it goes.
    fn stream(&mut self, name: &str, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<String, Exit> {
        let Some((path, tmp)) = self.files.iter().find(|(path, _)| path.file_name().is_some_and(|n| n == name)) else {
            eprintln!("error: internal: `{}` is not a file of this batch (nothing was replaced)", name.escape_debug());
            return Err(Exit::Io);
        };
        let written = File::create(tmp).and_then(|file| {
            let mut out = Hashing::new(BufWriter::new(file));
            fill(&mut out)?;
            out.finish()
        });
        written.map(|(_, sha256)| sha256).map_err(|e| crate::io_error(path, &e))
    }

    /// Renames every file of the batch into place.
    pub fn commit(mut self) -> Result<(), Exit> {
        for (path, tmp) in &self.files {
            rename(tmp, path)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        if !self.committed {
            for (_, tmp) in &self.files {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// The records of a CSV file on their way out ([`Batch::csv`]).
pub struct CsvRows<'w> {
    out: &'w mut dyn Write,
}

impl CsvRows<'_> {
    /// Writes one record (a line ending in `\n`), its cells neutralised against formula injection
    /// as the whole file would be ([`hta_report::csv_safe::neutralise_record`]).
    pub fn record(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(hta_report::csv_safe::neutralise_record(line).as_bytes())
    }
}

/// A writer that computes the SHA-256 of every byte it passes on.
pub struct Hashing<W: Write> {
    inner: W,
    hasher: sha2::Sha256,
}

impl<W: Write> Hashing<W> {
    pub fn new(inner: W) -> Hashing<W> {
        Hashing { inner, hasher: sha2::Digest::new() }
    }

    /// Flushes and returns the inner writer with the SHA-256 of everything written, in hex.
    pub fn finish(mut self) -> std::io::Result<(W, String)> {
        self.inner.flush()?;
        let digest = sha2::Digest::finalize(self.hasher);
        Ok((self.inner, digest.iter().map(|b| format!("{b:02x}")).collect()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        sha2::Digest::update(&mut self.hasher, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
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

    #[test]
    fn the_hashing_writer_gives_the_sha256_of_the_bytes_it_passes_on() {
        let mut out = Hashing::new(Vec::new());
        out.write_all(b"ab").and_then(|()| out.write_all(b"c")).expect("written");
        let (bytes, sha256) = out.finish().expect("finished");
        assert_eq!(bytes, b"abc");
        // FIPS 180-2, appendix B.1.
        assert_eq!(sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    /// Each file's SHA-256 is that of the bytes on disk (after neutralisation), nothing is in
    /// place before the commit, and a batch dropped without one leaves nothing behind.
    #[test]
    fn a_batch_hashes_what_it_writes_and_replaces_nothing_until_committed() {
        let dir = std::env::temp_dir().join(format!("hta-output-batch-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut batch = Batch::new(&dir, &["a.csv", "b.csv", "c.txt"]).expect("batch");
        let a = batch.write("a.csv", b"x,=1+1\n").expect("a");
        let b = batch.csv("b.csv", |rows| rows.record("h,k\n").and_then(|()| rows.record("-1,@x\n"))).expect("b");
        let c = batch.write("c.txt", b"=not a table\n").expect("c");
        assert!(batch.write("d.csv", b"").is_err(), "a file the batch did not name");
        assert!(!dir.join("a.csv").exists(), "in place before the commit");
        batch.commit().expect("commit");
        for (name, sha256, text) in
            [("a.csv", a, "x,'=1+1\n"), ("b.csv", b, "h,k\n-1,'@x\n"), ("c.txt", c, "=not a table\n")]
        {
            let bytes = std::fs::read(dir.join(name)).expect(name);
            assert_eq!(bytes, text.as_bytes(), "{name}");
            assert_eq!(sha256, hta_spec::InputFile::new("", &bytes).sha256, "{name}");
        }
        let mut dropped = Batch::new(&dir, &["d.csv", "e.csv"]).expect("batch");
        dropped.write("d.csv", b"1\n").expect("d");
        drop(dropped);
        let mut left: Vec<String> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into())
            .collect();
        left.sort();
        assert_eq!(left, [LOCK_FILE, "a.csv", "b.csv", "c.txt"]);
        // Existing files are refused (no --force) before anything is written.
        assert!(Batch::new(&dir, &["f.csv", "a.csv"]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
