//! Runs the HIV model through the library API and prints costs, life-years and the ICER.
//!
//! `cargo run --example run_hiv`
#![allow(clippy::print_stdout)]

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let loaded = hta_spec::load(Path::new("models/hiv.yaml"), &[]).map_err(|d| d.to_string())?;
    let model = &loaded.model;
    let results = hta_markov::run(model)?;
    let outcomes: Vec<hta_analysis::Outcome> = results
        .iter()
        .zip(&model.strategies)
        .map(|(r, s)| hta_analysis::Outcome::new(&s.name, r.total_cost(true), r.life_years(true)))
        .collect();
    for o in &outcomes {
        println!("{:>5}: cost {:>10.2}  life-years {:.4}", o.name, o.cost, o.effect);
    }
    for row in hta_analysis::incremental(&outcomes) {
        if let Some(icer) = row.icer {
            println!(
                "ICER of {} vs {}: {icer:.2} per life-year",
                outcomes[row.strategy].name,
                outcomes[row.compared_with.unwrap_or(0)].name
            );
        }
    }
    Ok(())
}
