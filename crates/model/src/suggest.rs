//! "Did you mean" suggestions for misspelled names.

/// The candidate closest to `name` by Jaro-Winkler similarity, if it is close enough to be a
/// plausible misspelling.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lowered, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_near_misses_only() {
        let names = ["p_death", "c_drug", "utility_well"];
        assert_eq!(super::closest("p_deaht", names), Some("p_death"));
        assert_eq!(super::closest("C_DRUG", names), Some("c_drug"));
        assert_eq!(super::closest("zzz", names), None);
    }
}
