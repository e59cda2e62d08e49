//! Every malformed model under tests/invalid/ gives its documented exit code and a diagnostic
//! with a position; the rendered diagnostics are snapshot-tested. None may panic, and each is
//! answered within the time and memory limits of tests/hostile.rs.

/// `# expect: <exit code> <diagnostic code>` on the file's first line.
fn expectation(text: &str) -> (i32, String) {
    let line = text.lines().next().unwrap_or_default();
    let rest = line.trim_start_matches('#').trim().trim_start_matches("expect:").trim();
    let mut parts = rest.split_whitespace();
    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
    (code, parts.next().unwrap_or_default().to_string())
}

#[test]
fn malformed_models_are_rejected_with_positions() {
    let mut files: Vec<_> = std::fs::read_dir("tests/invalid")
        .expect("tests/invalid")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "expected at least 20 malformed models, found {}", files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).expect("read");
        let (exit, code) = expectation(&text);
        // Under 1 s (5 s unoptimised) and 200 MB, as for the hostile files.
        let output = crate::hostile::run_measured("check", &path);
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?").to_string();
        assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
        assert_eq!(output.status.code(), Some(exit), "{name}: exit code\n{stderr}");
        assert!(stderr.contains(&format!("hta::{code}")), "{name}: expected diagnostic hta::{code}\n{stderr}");
        let positioned = stderr.contains(&format!("[{}:", path.display()));
        assert!(positioned, "{name}: no file:line:column in\n{stderr}");
        insta::assert_snapshot!(name, format!("exit code: {}\n{stderr}", output.status.code().unwrap_or(-1)));
    }
}
