//! The JSON Schema for editors is generated from the parser's own types; the committed copy
//! must match what the parser accepts today.

#[test]
fn committed_schema_is_current() {
    let generated = hta_spec::schema::json_schema();
    let committed = std::fs::read_to_string("docs/model.schema.json").unwrap_or_default();
    assert!(
        generated == committed,
        "docs/model.schema.json is stale: regenerate it with `cargo run -- schema --out docs/model.schema.json`"
    );
}

#[test]
fn schema_names_every_top_level_key() {
    let schema: serde_json::Value = serde_json::from_str(&hta_spec::schema::json_schema()).expect("json");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let properties = schema["properties"].as_object().expect("properties");
    for key in [
        "format_version",
        "metadata",
        "settings",
        "cohort",
        "cost_categories",
        "tables",
        "parameters",
        "states",
        "transitions",
        "transition_values",
        "strategies",
    ] {
        assert!(properties.contains_key(key), "schema lacks `{key}`");
    }
    assert_eq!(schema["additionalProperties"], false, "unknown keys must be rejected by the schema too");
}
