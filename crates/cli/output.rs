//! Safe output. Every file is written under a temporary name beside its target and renamed into
//! place, so an interrupted run never leaves a half-written result; a file that already exists is
//! replaced only with `--force` (checked for every file of a batch before any is written); and
//! file names (some come from strategy or scheme names) must be plain names, so nothing can be
//! written outside the output directory.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::exit::Exit;

static FORCE: OnceLock<bool> = OnceLock::new();

/// Sets `--force` for the whole command (once, at start-up).
pub fn set_force(force: bool) {
    let _ = FORCE.set(force);
}

fn force() -> bool {
    FORCE.get().copied().unwrap_or(false)
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

fn create_dir(dir: &Path) -> Result<(), Exit> {
    std::fs::create_dir_all(dir).map_err(|e| crate::io_error(dir, &e))
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
    for (path, (_, bytes)) in targets.iter().zip(files) {
        let tmp = temporary(path);
        std::fs::write(&tmp, bytes).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            crate::io_error(path, &e)
        })?;
        rename(&tmp, path)?;
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
        if let Err(e) = figure.write_to(&t_svg, &t_png, &t_csv) {
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
