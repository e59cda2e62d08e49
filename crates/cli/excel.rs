//! `hta excel MODEL --out FILE.xlsx`: the model as a live workbook (`hta-excel`).

use std::path::PathBuf;

use clap::Args;

use crate::exit::Exit;

#[derive(Debug, Args)]
pub struct ExcelArgs {
    /// The model file (YAML, format_version 1).
    pub model: PathBuf,
    /// The workbook to write.
    #[arg(long, value_name = "FILE.xlsx")]
    pub out: PathBuf,
    /// Override a parameter or setting, e.g. --set discount.costs=0.035.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<hta_spec::Override>,
}

pub fn excel(args: &ExcelArgs) -> Result<(), Exit> {
    let loaded = crate::load(&args.model, &args.set)?;
    let record: Vec<String> = loaded
        .inputs
        .iter()
        .map(|i| format!("input {} (sha256 {})", i.path, i.sha256))
        .chain(loaded.overrides.iter().map(|o| format!("override {}={}", o.name, o.value)))
        .collect();
    match hta_excel::write_workbook(&loaded.model, &args.out, &record) {
        Ok(written) => {
            println!("wrote {} (sheets: {})", args.out.display(), written.sheets.join(", "));
            for note in &written.values_only {
                println!("note: {note}");
            }
            Ok(())
        }
        Err(hta_excel::ExcelError::Xlsx(e)) => {
            eprintln!("error: writing {}: {e}", args.out.display());
            Err(Exit::Io)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.model.display());
            Err(Exit::RunFailed)
        }
    }
}
