//! The model's state diagram and decision trees as SVG drawn by hand. State diagram: living states in rows, dead states in a
//! row beneath, an arrow for every transition some strategy can make (partitioned survival: each
//! state to every later one). Self-transitions are not drawn.

use hta_markov::TreePayoffs;
use hta_model::{EntryValue, Model, Structure};

use crate::language::{translate, Lang};

const BOX_HEIGHT: f64 = 40.0;
const ROW_GAP: f64 = 130.0;
const COLUMN_GAP: f64 = 70.0;
const PER_ROW: usize = 5;

/// Every `from -> to` pair (state indices) the diagram draws, in a stable order.
pub fn edges(model: &Model) -> Vec<(usize, usize)> {
    let n = model.states.len();
    let mut edges = Vec::new();
    match model.structure {
        Structure::PartitionedSurvival => {
            for from in 0..n {
                for to in from + 1..n {
                    edges.push((from, to));
                }
            }
        }
        Structure::Markov => {
            for strategy in model.strategies.iter().chain(&model.arms) {
                for row in &strategy.rows {
                    for entry in &row.entries {
                        let (from, to) = (row.from.index(), entry.to.index());
                        let never = match &entry.value {
                            EntryValue::Formula(f) => f.expr.as_constant() == Some(0.0),
                            EntryValue::Complement => false,
                        };
                        if from != to && !never && !edges.contains(&(from, to)) {
                            edges.push((from, to));
                        }
                    }
                }
            }
        }
    }
    edges
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The diagram as an SVG element (no XML declaration, no namespace: for inlining in HTML).
pub fn state_diagram(model: &Model) -> String {
    let width_of = |name: &str| (name.chars().count() as f64 * 8.0 + 28.0).max(90.0);
    let living: Vec<usize> = (0..model.states.len()).filter(|&i| !model.states[i].dead).collect();
    let dead: Vec<usize> = (0..model.states.len()).filter(|&i| model.states[i].dead).collect();
    let mut rows: Vec<Vec<usize>> = living.chunks(PER_ROW).map(<[usize]>::to_vec).collect();
    rows.extend(dead.chunks(PER_ROW).map(<[usize]>::to_vec));
    let row_width = |row: &[usize]| {
        row.iter().map(|&i| width_of(&model.states[i].name)).sum::<f64>() + COLUMN_GAP * (row.len().max(1) - 1) as f64
    };
    let canvas_width = rows.iter().map(|r| row_width(r)).fold(300.0, f64::max) + 80.0;
    // Centre (x, y) and width of each state's box.
    let mut boxes = vec![(0.0, 0.0, 0.0); model.states.len()];
    for (r, row) in rows.iter().enumerate() {
        let mut x = (canvas_width - row_width(row)) / 2.0;
        let y = 60.0 + r as f64 * ROW_GAP;
        for &i in row {
            let w = width_of(&model.states[i].name);
            boxes[i] = (x + w / 2.0, y, w);
            x += w + COLUMN_GAP;
        }
    }
    let height = 60.0 + (rows.len().max(1) - 1) as f64 * ROW_GAP + 60.0;
    let mut svg = format!(
        "<svg width=\"{canvas_width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {canvas_width:.0} {height:.0}\" role=\"img\" class=\"diagram\">\n<defs><marker id=\"hta-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#444\"/></marker></defs>\n"
    );
    for (from, to) in edges(model) {
        let (a, b) = (boxes[from], boxes[to]);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let length = (dx * dx + dy * dy).sqrt().max(1.0);
        // Bend every arrow to its left, more for long same-row arrows that would cross boxes,
        // so that a -> b and b -> a never overlap.
        let same_row = dy.abs() < 1.0;
        let bend = if same_row { 22.0 + 0.18 * length } else { 22.0 };
        let (nx, ny) = (dy / length, -dx / length);
        let control = ((a.0 + b.0) / 2.0 + nx * bend, (a.1 + b.1) / 2.0 + ny * bend);
        let start = border(a, control);
        let end = border(b, control);
        svg.push_str(&format!(
            "<path d=\"M {:.1} {:.1} Q {:.1} {:.1} {:.1} {:.1}\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.5\" marker-end=\"url(#hta-arrow)\"/>\n",
            start.0, start.1, control.0, control.1, end.0, end.1
        ));
    }
    for (i, state) in model.states.iter().enumerate() {
        let (cx, cy, w) = boxes[i];
        let (fill, stroke) = if state.dead { ("#e6e6e6", "#777") } else { ("#deebf7", "#0072b2") };
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{BOX_HEIGHT}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>\n<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"14\">{}</text>\n",
            cx - w / 2.0,
            cy - BOX_HEIGHT / 2.0,
            cy + 5.0,
            escape(&state.name)
        ));
        if let Some(k) = state.track_cycles {
            svg.push_str(&format!(
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#555\">time in state: {k} cycles</text>\n",
                cy + BOX_HEIGHT / 2.0 + 14.0
            ));
        }
    }
    svg.push_str("</svg>\n");
    svg
}

/// Where the line from a box's centre towards `toward` leaves the box.
fn border(b: (f64, f64, f64), toward: (f64, f64)) -> (f64, f64) {
    let (dx, dy) = (toward.0 - b.0, toward.1 - b.1);
    let (hw, hh) = (b.2 / 2.0 + 3.0, BOX_HEIGHT / 2.0 + 3.0);
    let t = [
        if dx.abs() > 1e-9 { hw / dx.abs() } else { f64::INFINITY },
        if dy.abs() > 1e-9 { hh / dy.abs() } else { f64::INFINITY },
    ]
    .into_iter()
    .fold(f64::INFINITY, f64::min);
    let t = if t.is_finite() { t } else { 0.0 };
    (b.0 + dx * t, b.1 + dy * t)
}

/// A strategy's decision tree as an SVG drawn by hand, left to right: a chance node at the root
/// and at every branch that continues; each branch labelled with its name and probability (the
/// formula as written and, if `numbers` are given, its value); each leaf with the arm it enters
/// and, with `numbers`, its payoff (discounted cost and effect per person taking it).
/// `None` if the strategy has no tree.
pub fn tree_diagram(model: &Model, strategy: usize, numbers: Option<&TreePayoffs>, lang: Lang) -> Option<String> {
    let tree = model.strategies.get(strategy)?.tree.as_ref()?;
    let reach = numbers.map(|n| n.reach.as_slice());
    const COLUMN: f64 = 230.0;
    const ROW: f64 = 38.0;
    // Depth-first order, siblings as written; leaves take consecutive rows.
    let n = tree.branches.len();
    let mut depth = vec![1usize; n];
    let mut y = vec![0.0; n];
    let mut order = Vec::new();
    let mut stack: Vec<usize> = tree.children(None).collect::<Vec<_>>().into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        for c in tree.children(Some(i)) {
            depth[c] = depth[i] + 1;
        }
        stack.extend(tree.children(Some(i)).collect::<Vec<_>>().into_iter().rev());
    }
    let mut row = 0.0;
    for &i in &order {
        if tree.is_leaf(i) {
            y[i] = 30.0 + row * ROW;
            row += 1.0;
        }
    }
    // Inner branches sit at the middle of their children (children come after parents).
    for &i in order.iter().rev() {
        if !tree.is_leaf(i) {
            let ys: Vec<f64> = tree.children(Some(i)).map(|c| y[c]).collect();
            y[i] = ys.iter().sum::<f64>() / ys.len() as f64;
        }
    }
    let root_ys: Vec<f64> = tree.children(None).map(|c| y[c]).collect();
    let root_y = root_ys.iter().sum::<f64>() / root_ys.len().max(1) as f64;
    let max_depth = depth.iter().copied().max().unwrap_or(1) as f64;
    let width = 30.0 + max_depth * COLUMN + if numbers.is_some() { 280.0 } else { 190.0 };
    let height = 30.0 + row * ROW;
    let x_of = |d: usize| 30.0 + d as f64 * COLUMN;
    let mut svg = format!(
        "<svg width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\" class=\"diagram\">\n"
    );
    let node = |svg: &mut String, x: f64, y: f64| {
        svg.push_str(&format!("<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"#0072b2\"/>\n"));
    };
    node(&mut svg, x_of(0), root_y);
    for &i in &order {
        let b = &tree.branches[i];
        let (px, py) = match b.parent {
            Some(p) => (x_of(depth[p]), y[p]),
            None => (x_of(0), root_y),
        };
        let (x, yi) = (x_of(depth[i]), y[i]);
        // An elbow: across from the parent node, then along the branch's own row.
        svg.push_str(&format!(
            "<path d=\"M {px:.1} {py:.1} L {:.1} {yi:.1} L {x:.1} {yi:.1}\" fill=\"none\" stroke=\"#444\" stroke-width=\"1.2\"/>\n",
            px + 18.0
        ));
        let probability = match &b.probability {
            hta_model::EntryValue::Formula(f) => f.text.clone(),
            hta_model::EntryValue::Complement => "C".into(),
        };
        let value = reach.and_then(|r| {
            let above = b.parent.map_or(1.0, |p| r[p]);
            (above > 0.0).then(|| r[i] / above)
        });
        let shown = match value {
            Some(v) if probability.parse::<f64>().is_err() => format!("{probability} = {}", (v * 1e4).round() / 1e4),
            _ => probability,
        };
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"11\">{}</text>\n<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">{}</text>\n",
            px + 24.0,
            yi - 5.0,
            escape(&b.name),
            px + 24.0,
            yi + 12.0,
            escape(&shown)
        ));
        if tree.is_leaf(i) {
            let end = match b.arm {
                Some(a) => format!("→ {}", model.arms[a].name),
                None => translate(lang, "ends"),
            };
            svg.push_str(&format!(
                "<path d=\"M {x:.1} {yi:.1} l 10 -6 l 0 12 z\" fill=\"#d55e00\"/>\n<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"12\">{}</text>\n",
                x + 14.0,
                yi + 1.0,
                escape(&end)
            ));
            if let Some(payoff) = numbers.and_then(|n| leaf_payoff(model, n, i, lang)) {
                svg.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-family=\"sans-serif\" font-size=\"10\" fill=\"#555\">{}</text>\n",
                    x + 14.0,
                    yi + 14.0,
                    escape(&payoff)
                ));
            }
        } else {
            node(&mut svg, x, yi);
        }
    }
    svg.push_str("</svg>\n");
    Some(svg)
}

/// A leaf's payoff as shown at its end node: "cost 12,345.67 · QALYs 4.5678".
fn leaf_payoff(model: &Model, numbers: &TreePayoffs, branch: usize, lang: Lang) -> Option<String> {
    let cost = numbers.cost(branch)?;
    let (slot, effect) = match model.settings.effect {
        hta_model::EffectMeasure::Qaly => (numbers.layout.qaly(), "QALYs"),
        hta_model::EffectMeasure::LifeYears => (numbers.layout.life_years(), "life-years"),
    };
    let value = numbers.value(branch, slot)?;
    Some(format!(
        "{} {} · {} {}",
        translate(lang, "cost"),
        crate::number::grouped(cost, 2),
        translate(lang, effect),
        crate::number::grouped(value, 4)
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn border_points_lie_on_the_box() {
        let p = super::border((100.0, 50.0, 80.0), (300.0, 50.0));
        assert!((p.0 - 143.0).abs() < 1e-9 && (p.1 - 50.0).abs() < 1e-9, "{p:?}");
        let q = super::border((100.0, 50.0, 80.0), (100.0, 0.0));
        assert!((q.1 - 27.0).abs() < 1e-9, "{q:?}");
    }
}
