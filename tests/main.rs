//! The integration-test binary: reference models, worked examples, an oracle for the kernel,
//! property tests, the command line, malformed inputs and the schema.

mod analysis_layer;
mod budget;
mod budget_psa;
mod cli;
mod determinism;
mod excel;
mod fit;
mod fuzz_corpus;
mod hostile;
mod invalid;
mod lockstep;
mod models;
mod oracle;
mod partitioned;
mod perspectives;
mod properties;
mod reference;
mod safety;
mod schema;
mod sensitivity;
mod step_reuse;
mod support;
mod survival_curves;
mod time_in_state;
mod trees;
mod worked_examples;
