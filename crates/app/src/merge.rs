//! Joining the shards of a probabilistic analysis (`hta psa --first-draw` run in pieces): each
//! shard's files are read back and checked to belong together (the SHA-256 that psa.json lists),
//! to this model, its overrides, seed, failure policy and sampled parameters, and to follow one
//! another without gaps; the draws are then one [`PsaRun`], as if run at once, holding every
//! sampled value it read.

use std::path::{Path, PathBuf};

use hta_model::{Model, ParamId};
use hta_sensitivity::{PsaRun, SampledValues};
use hta_spec::Loaded;

use crate::psa::DrawRecord;
use crate::Error;

/// Reads a text file named on the command line or beside a shard; anything but a regular file
/// (a FIFO would block for ever) is refused.
pub fn read_text(path: &Path) -> std::io::Result<String> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(std::io::Error::other("not a regular file (a pipe, device or directory?)"));
    }
    std::fs::read_to_string(path)
}

/// The SHA-256 of `text` in hex, as psa.json lists each file's.
pub fn sha256(text: &str) -> String {
    hta_spec::InputFile::new("", text.as_bytes()).sha256
}

/// One shard's files read back.
#[derive(Debug, Clone)]
pub struct Shard {
    pub record: DrawRecord,
    pub skipped: Vec<u64>,
    /// The kept draws' numbers.
    pub draws: Vec<u64>,
    /// Their outcomes as [`PsaRun`] holds them: cost, QALYs, life-years, `draws x strategies`.
    pub cost: Vec<f64>,
    pub qaly: Vec<f64>,
    pub ly: Vec<f64>,
    /// Their sampled values, one column per name of `param_names`, every column held.
    pub values: SampledValues,
    pub param_names: Vec<String>,
    /// SHA-256 of each input file (model first, then tables) and the overrides, as recorded.
    pub inputs: Vec<String>,
    pub overrides: Vec<(String, String)>,
}

/// Reads one shard and checks that its files belong together (the checksums in psa.json).
pub fn read_shard(dir: &Path, model: &Model) -> Result<Shard, String> {
    let read = |name: &str| read_text(&dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()));
    let json: serde_json::Value = serde_json::from_str(&read("psa.json")?).map_err(|e| format!("psa.json: {e}"))?;
    let run = &json["run"];
    let field = |key: &str| run[key].as_u64().ok_or_else(|| format!("psa.json: run.{key} is missing"));
    let on_invalid = match run["on_invalid"].as_str() {
        Some("skip") => "skip",
        _ => "stop",
    };
    let record = DrawRecord {
        seed: field("seed")?,
        first_draw: field("first_draw")?,
        draws_requested: field("draws_requested")?,
        on_invalid,
    };
    let (draws_text, parameters) = (read("psa_draws.csv")?, read("psa_parameters.csv")?);
    let Some(checksums) = json["files"].as_object() else {
        return Err("psa.json lists no file checksums (written by an older hta?); run this shard again".into());
    };
    for (name, text) in [("psa_draws.csv", &draws_text), ("psa_parameters.csv", &parameters)] {
        if checksums.get(name).and_then(|v| v.as_str()) != Some(sha256(text).as_str()) {
            return Err(format!(
                "{name} does not match the checksum in psa.json: the files come from different runs (an interrupted --force rewrite?); run this shard again"
            ));
        }
    }
    let inputs = run["inputs"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["sha256"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    let overrides = run["overrides"]
        .as_array()
        .map(|a| {
            a.iter().filter_map(|o| Some((o.get(0)?.as_str()?.to_string(), o.get(1)?.as_str()?.to_string()))).collect()
        })
        .unwrap_or_default();
    let skipped =
        run["draws_skipped"].as_array().map(|a| a.iter().filter_map(|v| v.as_u64()).collect()).unwrap_or_default();
    let n = model.strategies.len();
    let parse = |s: &str| s.parse::<f64>().map_err(|_| format!("`{s}` is not a number"));
    let (mut draws, mut cost, mut qaly, mut ly) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, line) in draws_text.lines().skip(1).enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let [draw, strategy, c, _, q, l] = cells[..] else {
            return Err(format!("psa_draws.csv line {}: expected 6 columns", i + 2));
        };
        let draw: u64 = draw.parse().map_err(|_| format!("psa_draws.csv line {}: bad draw", i + 2))?;
        if model.strategies.get(i % n).map(|s| s.name.as_str()) != Some(strategy) {
            return Err(format!("psa_draws.csv line {}: strategy `{strategy}` does not match the model", i + 2));
        }
        cost.push(parse(c)?);
        qaly.push(parse(q)?);
        ly.push(parse(l)?);
        if i % n == 0 {
            draws.push(draw);
        }
    }
    if cost.len() != draws.len() * n {
        return Err("psa_draws.csv ends in the middle of a draw (a row per strategy)".into());
    }
    drop(draws_text);
    let mut lines = parameters.lines();
    let param_names: Vec<String> = lines.next().unwrap_or_default().split(',').skip(1).map(String::from).collect();
    let mut values = SampledValues::all(param_names.len());
    values.reserve(draws.len());
    let mut rows = 0;
    let mut row = Vec::with_capacity(param_names.len());
    for line in lines {
        row.clear();
        for cell in line.split(',').skip(1) {
            row.push(parse(cell)?);
        }
        if rows == draws.len() {
            return Err("psa_parameters.csv has more rows than psa_draws.csv".into());
        }
        values.push(&row);
        rows += 1;
    }
    if rows < draws.len() {
        return Err("psa_parameters.csv has fewer rows than psa_draws.csv".into());
    }
    Ok(Shard { record, skipped, draws, cost, qaly, ly, values, param_names, inputs, overrides })
}

/// Why a shard cannot be part of this analysis of this model, if it cannot.
pub fn foreign_shard(shard: &Shard, first: &Shard, loaded: &Loaded) -> Option<String> {
    let inputs: Vec<&str> = loaded.inputs.iter().map(|i| i.sha256.as_str()).collect();
    let overrides: Vec<(String, String)> = loaded.overrides.iter().map(|o| (o.name.clone(), o.value.clone())).collect();
    if shard.inputs.iter().map(String::as_str).ne(inputs.iter().copied()) {
        Some(
            "it was run on a different model file or different tables (their SHA-256 differ from the files given now)"
                .into(),
        )
    } else if shard.overrides != overrides {
        let show = |o: &[(String, String)]| {
            if o.is_empty() {
                "none".to_string()
            } else {
                o.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(", ")
            }
        };
        Some(format!("it was run with overrides {}, this merge has {}", show(&shard.overrides), show(&overrides)))
    } else if shard.record.seed != first.record.seed {
        Some(format!("its seed is {}, the first shard's is {}", shard.record.seed, first.record.seed))
    } else if shard.record.on_invalid != first.record.on_invalid {
        Some(format!(
            "its failure policy is {}, the first shard's is {}",
            shard.record.on_invalid, first.record.on_invalid
        ))
    } else if shard.param_names != first.param_names {
        Some("it sampled different parameters from the first shard".into())
    } else {
        None
    }
}

/// Shards joined into one run.
pub struct Merged {
    pub run: PsaRun,
    /// The draws of the whole: the first shard's seed and policy, from its first draw to the
    /// last shard's end.
    pub record: DrawRecord,
    pub shards: usize,
}

/// Reads the shard directories `dirs` (each once, in any order) and joins them in draw order.
pub fn merge(loaded: &Loaded, dirs: &[PathBuf]) -> Result<Merged, Error> {
    let model = &loaded.model;
    if dirs.is_empty() {
        return Err(Error::Usage("no shard directory given".into()));
    }
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for dir in dirs {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if let Some((_, earlier)) = seen.iter().find(|(c, _)| *c == canonical) {
            return Err(Error::Usage(format!(
                "{} and {} are the same shard twice; give each shard directory once",
                earlier.display(),
                dir.display()
            )));
        }
        seen.push((canonical, dir));
    }
    let mut shards = Vec::new();
    for dir in dirs {
        let shard = read_shard(dir, model).map_err(|e| Error::Io(format!("shard {}: {e}", dir.display())))?;
        shards.push((dir, shard));
    }
    for (dir, shard) in &shards {
        if let Some(why) = foreign_shard(shard, &shards[0].1, loaded) {
            return Err(Error::Model(format!(
                "shard {} is not part of this analysis: {why}; nothing was merged",
                dir.display()
            )));
        }
    }
    shards.sort_by_key(|(_, s)| s.record.first_draw);
    for pair in shards.windows(2) {
        let ((a_dir, a), (b_dir, b)) = (&pair[0], &pair[1]);
        if a.record.first_draw == b.record.first_draw && a.record.draws_requested == b.record.draws_requested {
            return Err(Error::Usage(format!(
                "{} and {} hold the same draws {}..{} (the same shard twice, copied?); give each shard once",
                a_dir.display(),
                b_dir.display(),
                a.record.first_draw,
                a.record.first_draw + a.record.draws_requested
            )));
        }
    }
    let first = &shards[0].1;
    let mut expected_next = first.record.first_draw;
    for (_, s) in &shards {
        if s.record.first_draw != expected_next {
            let (a, b) = (expected_next.min(s.record.first_draw), expected_next.max(s.record.first_draw));
            let what = if s.record.first_draw > expected_next { "are missing" } else { "are in two shards" };
            return Err(Error::Usage(format!(
                "draws {a}..{b} {what}: each shard must start where the previous one ended"
            )));
        }
        expected_next = s.record.first_draw + s.record.draws_requested;
    }
    let params: Vec<ParamId> = first.param_names.iter().filter_map(|n| model.param_by_name(n)).collect();
    if params.len() != first.param_names.len() {
        return Err(Error::Usage("the shards sampled parameters this model does not have".into()));
    }
    let record = DrawRecord {
        seed: first.record.seed,
        first_draw: first.record.first_draw,
        draws_requested: expected_next - first.record.first_draw,
        on_invalid: first.record.on_invalid,
    };
    // Every column is held: the values come from the files (a shard may have read its own
    // from --draws-file), not from a sampler. Each shard is moved in and freed in turn.
    let (total, count) = (shards.iter().map(|(_, s)| s.draws.len()).sum::<usize>(), shards.len());
    let cells = total.saturating_mul(model.strategies.len());
    let mut run = PsaRun {
        n_strategies: model.strategies.len(),
        draws: Vec::with_capacity(total),
        cost: Vec::with_capacity(cells),
        qaly: Vec::with_capacity(cells),
        ly: Vec::with_capacity(cells),
        sampled: SampledValues::all(params.len()),
        params,
        skipped: Vec::new(),
    };
    run.sampled.reserve(total);
    for (_, s) in shards {
        run.draws.extend(s.draws);
        run.cost.extend(s.cost);
        run.qaly.extend(s.qaly);
        run.ly.extend(s.ly);
        run.sampled.append(s.values);
        run.skipped.extend(s.skipped.into_iter().map(|d| (d, hta_markov::RunErrors::default())));
    }
    Ok(Merged { run, record, shards: count })
}
