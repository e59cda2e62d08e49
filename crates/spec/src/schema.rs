//! The JSON Schema of the model file (draft-07, which editors' YAML extensions read), generated
//! from the same types the parser uses, so it cannot drift from what is accepted.

use schemars::generate::SchemaSettings;

use crate::raw::RawModel;

/// The schema as pretty-printed JSON.
pub fn json_schema() -> String {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<RawModel>();
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}
