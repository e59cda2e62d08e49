//! `hta excel MODEL --out FILE.xlsx`: the model as a live workbook (`hta-excel`), and the same
//! workbook for the dossier pack (`hta report --excel`).

use std::path::PathBuf;

use clap::Args;

use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct ExcelArgs {
    /// The model file (YAML, format_version 1).
    pub model: PathBuf,
    /// The workbook to write (an existing file is replaced only with --force).
    #[arg(long, value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Override a parameter or setting, e.g. --set discount.costs=0.035.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<hta_spec::Override>,
}

pub fn excel(args: &ExcelArgs) -> Result<(), Exit> {
    let loaded = crate::load(&args.model, &args.set)?;
    let (bytes, written) = workbook_of(&loaded, &args.model)?;
    crate::output::write_path(&args.out, &bytes)?;
    println!("wrote {} (sheets: {})", args.out.display(), written.sheets.join(", "));
    for note in &written.values_only {
        println!("note: {note}");
    }
    Ok(())
}

/// The live workbook of a loaded model as .xlsx bytes, its cover carrying the run record (input
/// files with their digests, overrides).
pub fn workbook_of(
    loaded: &hta_spec::Loaded,
    model_path: &std::path::Path,
) -> Result<(Vec<u8>, hta_excel::Written), Exit> {
    let record: Vec<String> = loaded
        .inputs
        .iter()
        .map(|i| format!("input {} (sha256 {})", i.path, i.sha256))
        .chain(loaded.overrides.iter().map(|o| format!("override {}={}", o.name, o.value)))
        .collect();
    hta_excel::workbook_bytes(&loaded.model, &record).map_err(|e| match e {
        hta_excel::ExcelError::Xlsx(e) => {
            eprintln!("error: writing the workbook of {}: {e}", model_path.display());
            Exit::Io
        }
        e => {
            eprintln!("error: {}: {e}", model_path.display());
            Exit::RunFailed
        }
    })
}
