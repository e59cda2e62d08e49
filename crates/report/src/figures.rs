//! Dossier figures in one house style. Each figure is written as SVG and PNG with the data it
//! plots as CSV beside it. plotters lays the figure out as SVG; the PNG is that SVG rasterised by
//! resvg at twice its size (1800 x 1120 pixels, for print), with the text shaped (kerning) in the
//! fonts embedded in this crate: DejaVu Sans, and a Noto Sans SC subset for Chinese text. Figures
//! never depend on the fonts of the machine (SVG text names `sans-serif`, for the viewer).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::language::{legend_word, Lang, LegendWord};
use crate::CeaRun;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
/// Noto Sans CJK SC, subset to GB 2312 level 1 and the toolkit's own Chinese text (SIL Open Font
/// License 1.1, see `fonts/NotoSansSC-LICENSE.txt`); glyphs DejaVu Sans lacks fall back to it.
static CJK_FONT: &[u8] = include_bytes!("../fonts/NotoSansSC-Subset.otf");
static REGISTER: Once = Once::new();

const SIZE: (u32, u32) = (900, 560);
/// PNG pixels per SVG unit.
const PNG_SCALE: f32 = 2.0;
/// The embedded fonts, loaded once: DejaVu Sans as `sans-serif`, Noto Sans SC for fallback.
fn fonts() -> std::sync::Arc<resvg::usvg::fontdb::Database> {
    static FONTS: std::sync::OnceLock<std::sync::Arc<resvg::usvg::fontdb::Database>> = std::sync::OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = resvg::usvg::fontdb::Database::new();
            db.load_font_data(FONT.to_vec());
            db.load_font_data(CJK_FONT.to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            std::sync::Arc::new(db)
        })
        .clone()
}

/// An SVG document rasterised at [`PNG_SCALE`] on white, as PNG bytes.
pub fn png(svg: &str) -> Result<Vec<u8>, String> {
    use resvg::{tiny_skia, usvg};
    let options = usvg::Options { font_family: "DejaVu Sans".into(), fontdb: fonts(), ..usvg::Options::default() };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| format!("cannot read the SVG: {e}"))?;
    let size = tree.size().to_int_size().scale_by(PNG_SCALE).ok_or("the figure has no size")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or("the figure has no size")?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(PNG_SCALE, PNG_SCALE), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| format!("cannot encode the PNG: {e}"))
}

/// Okabe–Ito colours first (distinguishable with colour-vision deficiency), then eight darker
/// or stronger ones for figures with many series (fourteen payment schemes).
const PALETTE: [RGBColor; 16] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
    RGBColor(128, 0, 38),
    RGBColor(90, 110, 20),
    RGBColor(40, 40, 130),
    RGBColor(140, 81, 10),
    RGBColor(110, 50, 170),
    RGBColor(0, 95, 95),
    RGBColor(190, 0, 110),
    RGBColor(150, 140, 0),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Where a figure's legend is drawn.
#[derive(Debug, Clone)]
enum Legend {
    Inside(SeriesLabelPosition),
    /// Right of the plot, in a margin this many pixels wide.
    Outside {
        width: u32,
    },
}

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy)]
enum Marker {
    /// A line this many pixels wide.
    Line(u32),
    Box,
    Dot,
}

/// The legend entry of line `series[i]`: its name, and which earlier series it repeats when its
/// points are the same (so a line hidden under another is not taken for missing).
fn series_label(series: &[Series], i: usize, lang: Lang) -> String {
    let s = &series[i];
    match series[..i].iter().find(|earlier| earlier.points == s.points && !s.points.is_empty()) {
        Some(earlier) => crate::language::same_as(lang, &s.name, &earlier.name),
        None => s.name.clone(),
    }
}

/// Characters on one line of a legend entry; longer labels wrap (and put the legend outside).
const LEGEND_CHARS: usize = 36;
/// Lines one legend entry may take; the rest of a longer label is cut with an ellipsis (the
/// figure's CSV and the report's tables carry every label whole).
const LEGEND_MAX_LINES: usize = 4;
const LEGEND_LINE: i32 = 17;
const LEGEND_GAP: i32 = 5;
const LEGEND_PADDING: i32 = 6;

/// A legend label broken at spaces into lines of at most [`LEGEND_CHARS`] characters (a longer
/// word is broken inside), at most [`LEGEND_MAX_LINES`] of them.
fn legend_lines(label: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in label.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let room = if used == 0 { LEGEND_CHARS } else { LEGEND_CHARS.saturating_sub(used + 1) };
            if word.len() <= room {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used == 0 {
                // A word longer than a line: break it.
                line.extend(word.drain(..LEGEND_CHARS));
            }
            lines.push(std::mem::take(&mut line));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > LEGEND_MAX_LINES {
        lines.truncate(LEGEND_MAX_LINES);
        let last = &mut lines[LEGEND_MAX_LINES - 1];
        let kept: String = last.chars().take(LEGEND_CHARS - 1).collect();
        *last = format!("{}…", kept.trim_end());
    }
    lines
}

/// A named series of (x, y) points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// What a figure shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Plot {
    /// Lines, one per series (traces, CEAC, cumulative budget).
    Lines { series: Vec<Series> },
    /// Points per series, a line through `frontier`, and willingness-to-pay lines through
    /// `origin` (the CE plane).
    Plane { series: Vec<Series>, frontier: Vec<(f64, f64)>, origin: (f64, f64), wtp: Vec<f64> },
    /// Horizontal bars from the base value to the outcome at each parameter's low and high value
    /// (tornado); the first bar is drawn at the bottom, so give the widest last.
    Tornado { bars: Vec<(String, f64, f64)>, base: f64 },
    /// A two-way grid: the cell at (`x[i]`, `y[j]`) is coloured by the strategy `cells[j * x.len()
    /// + i]` (an index into `names`).
    Grid { x: Vec<f64>, y: Vec<f64>, cells: Vec<usize>, names: Vec<String> },
    /// Horizontal bars from zero, one per name (EVPPI by parameter); the first is drawn at the
    /// bottom, so give the largest last.
    Bars { bars: Vec<(String, f64)> },
    /// Bars by x, stacked by series (budget by year and payer); x are whole numbers.
    StackedBars { series: Vec<Series> },
    /// Fan chart: per band, a shaded interval from `low` to `high` and a line through `mid`
    /// (a probabilistic budget's 95% interval and median by year).
    Fan { bands: Vec<Band> },
}

/// One band of a fan chart: points `(x, low, mid, high)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    pub name: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// One figure: file stem, titles and the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub plot: Plot,
}

impl Figure {
    /// The plotted data as CSV (long format), names quoted where needed and neutralised against
    /// formula injection ([`crate::csv_safe`]).
    pub fn csv(&self) -> String {
        let (header, rows): (&[&str], Vec<Vec<String>>) = match &self.plot {
            Plot::Lines { series } | Plot::StackedBars { series } | Plot::Plane { series, .. } => {
                let mut rows: Vec<Vec<String>> = series
                    .iter()
                    .flat_map(|s| s.points.iter().map(|(x, y)| vec![s.name.clone(), x.to_string(), y.to_string()]))
                    .collect();
                if let Plot::Plane { frontier, .. } = &self.plot {
                    rows.extend(frontier.iter().map(|(x, y)| vec!["frontier".into(), x.to_string(), y.to_string()]));
                }
                (&["series", "x", "y"], rows)
            }
            Plot::Fan { bands } => (
                &["series", "x", "low", "mid", "high"],
                bands
                    .iter()
                    .flat_map(|b| {
                        b.points.iter().map(|(x, low, mid, high)| {
                            vec![b.name.clone(), x.to_string(), low.to_string(), mid.to_string(), high.to_string()]
                        })
                    })
                    .collect(),
            ),
            Plot::Tornado { bars, base } => (
                &["parameter", "low", "high", "base"],
                bars.iter()
                    .map(|(name, low, high)| vec![name.clone(), low.to_string(), high.to_string(), base.to_string()])
                    .collect(),
            ),
            Plot::Grid { x, y, cells, names } => {
                let rows = y
                    .iter()
                    .enumerate()
                    .flat_map(|(j, yv)| {
                        x.iter().enumerate().map(move |(i, xv)| {
                            let name =
                                cells.get(j * x.len() + i).and_then(|&k| names.get(k)).map_or("", String::as_str);
                            vec![xv.to_string(), yv.to_string(), name.to_string()]
                        })
                    })
                    .collect();
                (&["x", "y", "optimal"], rows)
            }
            Plot::Bars { bars } => {
                (&["name", "value"], bars.iter().map(|(name, value)| vec![name.clone(), value.to_string()]).collect())
            }
        };
        crate::tables::csv_text(header, rows.into_iter())
    }

    /// The figure as an SVG document: 900 x 560, taller when an outside legend needs the room.
    pub fn svg(&self) -> Result<String, String> {
        self.svg_in(Lang::En)
    }

    /// [`Figure::svg`] with the figure's own legend words (WTP, frontier, tornado bars) in `lang`;
    /// the title, axes and series names are drawn as they are (see [`crate::language::figure`]).
    pub fn svg_in(&self, lang: Lang) -> Result<String, String> {
        let (x, y) = self.bounds();
        let legend = self.legend_place(x, y, lang);
        let height = match legend {
            // Caption and margins above the plot, axis labels below it.
            Legend::Outside { .. } => {
                SIZE.1.max(u32::try_from(self.outside_legend_height(lang) + 150).unwrap_or(SIZE.1))
            }
            Legend::Inside(_) => SIZE.1,
        };
        let mut text = String::new();
        {
            let root = SVGBackend::with_string(&mut text, (SIZE.0, height)).into_drawing_area();
            self.draw(&root, legend, lang)?;
        }
        Ok(text)
    }

    /// Writes `<name>.svg`, `<name>.png` and `<name>.csv` into `dir`; returns the paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, String> {
        let paths = ["svg", "png", "csv"].map(|ext| dir.join(format!("{}.{ext}", self.name)));
        self.write_to(&paths[0], &paths[1], &paths[2])?;
        Ok(paths.to_vec())
    }

    /// Writes the SVG, the PNG (the path must end in `.png`) and the CSV to the given paths.
    pub fn write_to(&self, svg_path: &Path, png_path: &Path, csv_path: &Path) -> Result<(), String> {
        self.write_in(Lang::En, svg_path, png_path, csv_path)
    }

    /// [`Figure::write_to`] in `lang`: the figure translated by [`crate::language::figure`].
    pub fn write_in(&self, lang: Lang, svg_path: &Path, png_path: &Path, csv_path: &Path) -> Result<(), String> {
        let translated;
        let figure = if lang == Lang::En {
            self
        } else {
            translated = crate::language::figure(lang, self);
            &translated
        };
        figure.write_files(lang, svg_path, png_path, csv_path)
    }

    fn write_files(&self, lang: Lang, svg_path: &Path, png_path: &Path, csv_path: &Path) -> Result<(), String> {
        let io = |p: &Path, e: std::io::Error| format!("cannot write `{}`: {e}", p.display());
        let svg = self.svg_in(lang)?;
        std::fs::write(svg_path, &svg).map_err(|e| io(svg_path, e))?;
        let png = png(&svg).map_err(|e| format!("figure `{}`: {e}", self.name))?;
        std::fs::write(png_path, png).map_err(|e| io(png_path, e))?;
        std::fs::write(csv_path, self.csv()).map_err(|e| io(csv_path, e))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        legend: Legend,
        lang: Lang,
    ) -> Result<(), String> {
        REGISTER.call_once(|| {
            // The font is a constant of this crate; a failure here is a build defect, reported
            // by the figure tests.
            let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
        });
        let fail = |e: &dyn std::fmt::Display| format!("figure `{}`: {e}", self.name);
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (x, y) = self.bounds();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, ("sans-serif", 22))
            .margin(18)
            .margin_right(match &legend {
                Legend::Outside { width } => 18 + width,
                Legend::Inside(_) => 18,
            })
            .x_label_area_size(48)
            .y_label_area_size(if matches!(self.plot, Plot::Tornado { .. } | Plot::Bars { .. }) { 170 } else { 90 })
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(|e| fail(&e))?;
        let tornado_names: Vec<String> = match &self.plot {
            Plot::Tornado { bars, .. } => bars.iter().map(|b| b.0.clone()).collect(),
            Plot::Bars { bars } => bars.iter().map(|b| b.0.clone()).collect(),
            _ => Vec::new(),
        };
        let y_format = |v: &f64| {
            if tornado_names.is_empty() {
                short_number(*v)
            } else {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 {
                    tornado_names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
        };
        // Bars and calendar years (budget figures) have whole-number x: no ticks between them.
        let whole_x = matches!(self.plot, Plot::StackedBars { .. }) || self.x_label == "Year";
        let x_format = |v: &f64| {
            if whole_x && (v - v.round()).abs() > 1e-6 {
                String::new()
            } else {
                short_number(*v)
            }
        };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .max_light_lines(0)
            .bold_line_style(RGBColor(225, 225, 225))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format);
        if !tornado_names.is_empty() {
            mesh.y_labels(tornado_names.len() * 2 + 1);
        }
        let span = (x.1 - x.0).round();
        if whole_x && (1.0..=30.0).contains(&span) {
            mesh.x_labels(span as usize + 1);
        }
        mesh.draw().map_err(|e| fail(&e))?;
        match &self.plot {
            Plot::Lines { series } => {
                // A frontier series (name starting with `CEAF`) is drawn first, wide and light,
                // so the curves it follows stay visible on top of it.
                let is_frontier = |s: &&Series| crate::language::is_frontier(&s.name);
                for (k, s) in series.iter().enumerate().filter(|(_, s)| is_frontier(s)) {
                    let band = RGBColor(190, 190, 190);
                    chart
                        .draw_series(LineSeries::new(s.points.iter().copied(), band.stroke_width(8)))
                        .map_err(|e| fail(&e))?
                        .label(series_label(series, k, lang))
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], band.stroke_width(8)));
                }
                for (i, (k, s)) in series.iter().enumerate().filter(|(_, s)| !is_frontier(s)).enumerate() {
                    let c = colour(i);
                    chart
                        .draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2)))
                        .map_err(|e| fail(&e))?
                        .label(series_label(series, k, lang))
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
                }
            }
            Plot::Fan { bands } => {
                for (i, b) in bands.iter().enumerate() {
                    let c = colour(i);
                    let outline: Vec<(f64, f64)> =
                        b.points.iter().map(|p| (p.0, p.1)).chain(b.points.iter().rev().map(|p| (p.0, p.3))).collect();
                    chart
                        .draw_series(std::iter::once(Polygon::new(outline, c.mix(0.2).filled())))
                        .map_err(|e| fail(&e))?;
                    chart
                        .draw_series(LineSeries::new(b.points.iter().map(|p| (p.0, p.2)), c.stroke_width(2)))
                        .map_err(|e| fail(&e))?
                        .label(b.name.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
                }
            }
            Plot::Plane { series, frontier, origin, wtp } => {
                for (k, lambda) in wtp.iter().enumerate() {
                    // Clipped to the plotting area by hand (plotters would clamp the ends).
                    let Some(line) = clip_line(*origin, *lambda, x, y) else { continue };
                    let grey = RGBColor(150, 150, 150);
                    chart
                        .draw_series(DashedLineSeries::new(line, 6, 4, grey.stroke_width(k as u32 + 1)))
                        .map_err(|e| fail(&e))?
                        .label(format!("{} {}", legend_word(lang, LegendWord::Wtp), short_number(*lambda)))
                        .legend(move |(x, y)| {
                            PathElement::new(
                                vec![(x, y), (x + 20, y)],
                                RGBColor(150, 150, 150).stroke_width(k as u32 + 1),
                            )
                        });
                }
                if frontier.len() > 1 {
                    chart
                        .draw_series(LineSeries::new(frontier.iter().copied(), BLACK.stroke_width(1)))
                        .map_err(|e| fail(&e))?
                        .label(legend_word(lang, LegendWord::EfficiencyFrontier))
                        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1)));
                }
                let many = series.iter().map(|s| s.points.len()).max().unwrap_or(0) > 1;
                for (i, s) in series.iter().enumerate() {
                    let c = colour(i);
                    let (radius, style) = if many { (2, c.mix(0.35).filled()) } else { (6, c.filled()) };
                    chart
                        .draw_series(s.points.iter().map(|p| Circle::new(*p, radius, style)))
                        .map_err(|e| fail(&e))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Circle::new((x + 10, y), 5, c.filled()));
                }
            }
            Plot::Tornado { bars, base } => {
                // Legend entries from empty rectangles at the base value.
                let words = [LegendWord::LowValue, LegendWord::HighValue].map(|w| legend_word(lang, w));
                for (k, text) in words.iter().enumerate() {
                    let c = colour(k);
                    chart
                        .draw_series(std::iter::once(Rectangle::new([(*base, y.0), (*base, y.0)], c.filled())))
                        .map_err(|e| fail(&e))?
                        .label(*text)
                        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
                }
                for (i, (_, low, high)) in bars.iter().enumerate() {
                    let y = i as f64;
                    for (end, c) in [(*low, colour(0)), (*high, colour(1))] {
                        chart
                            .draw_series(std::iter::once(Rectangle::new(
                                [(*base, y - 0.35), (end, y + 0.35)],
                                c.filled(),
                            )))
                            .map_err(|e| fail(&e))?;
                    }
                }
                chart
                    .draw_series(LineSeries::new([(*base, y.0), (*base, y.1)], BLACK.stroke_width(1)))
                    .map_err(|e| fail(&e))?;
            }
            Plot::Grid { x: xs, y: ys, cells, names } => {
                let half = |v: &[f64]| if v.len() > 1 { (v[1] - v[0]).abs() / 2.0 } else { 0.5 };
                let (hx, hy) = (half(xs), half(ys));
                for (k, name) in names.iter().enumerate() {
                    let c = colour(k);
                    let rects = cells.iter().enumerate().filter(|(_, &s)| s == k).map(|(n, _)| {
                        let (xv, yv) = (xs[n % xs.len()], ys[n / xs.len()]);
                        Rectangle::new([(xv - hx, yv - hy), (xv + hx, yv + hy)], c.mix(0.85).filled())
                    });
                    chart
                        .draw_series(rects)
                        .map_err(|e| fail(&e))?
                        .label(name.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
                }
            }
            Plot::Bars { bars } => {
                let rects = bars.iter().enumerate().map(|(i, (_, v))| {
                    Rectangle::new([(0.0, i as f64 - 0.35), (*v, i as f64 + 0.35)], colour(0).filled())
                });
                chart.draw_series(rects).map_err(|e| fail(&e))?;
                chart
                    .draw_series(LineSeries::new([(0.0, y.0), (0.0, y.1)], BLACK.stroke_width(1)))
                    .map_err(|e| fail(&e))?;
                return root.present().map_err(|e| fail(&e));
            }
            Plot::StackedBars { series } => {
                let segments = stack(series);
                for (i, s) in series.iter().enumerate() {
                    let c = colour(i);
                    let rects = segments
                        .iter()
                        .filter(|g| g.0 == i)
                        .map(|&(_, bx, from, to)| Rectangle::new([(bx - 0.35, from), (bx + 0.35, to)], c.filled()));
                    chart
                        .draw_series(rects)
                        .map_err(|e| fail(&e))?
                        .label(s.name.as_str())
                        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
                }
            }
        }
        let position = match &legend {
            Legend::Inside(position) => position.clone(),
            Legend::Outside { .. } => {
                let (range_x, range_y) = chart.plotting_area().get_pixel_range();
                self.draw_outside_legend(root, range_x.end + 12, range_y.start, lang)?;
                return root.present().map_err(|e| fail(&e));
            }
        };
        chart
            .configure_series_labels()
            .position(position)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(200, 200, 200))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))
    }

    /// The legend's entries, as drawn: label, marker and colour.
    fn legend_entries(&self, lang: Lang) -> Vec<(String, Marker, RGBColor)> {
        match &self.plot {
            Plot::Lines { series } => {
                let is_frontier = |s: &Series| crate::language::is_frontier(&s.name);
                let mut entries: Vec<_> = (0..series.len())
                    .filter(|&k| is_frontier(&series[k]))
                    .map(|k| (series_label(series, k, lang), Marker::Line(8), RGBColor(190, 190, 190)))
                    .collect();
                let lines = (0..series.len()).filter(|&k| !is_frontier(&series[k]));
                entries.extend(
                    lines.enumerate().map(|(i, k)| (series_label(series, k, lang), Marker::Line(2), colour(i))),
                );
                entries
            }
            Plot::StackedBars { series } => {
                series.iter().enumerate().map(|(i, s)| (s.name.clone(), Marker::Box, colour(i))).collect()
            }
            Plot::Fan { bands } => {
                bands.iter().enumerate().map(|(i, b)| (b.name.clone(), Marker::Line(2), colour(i))).collect()
            }
            Plot::Plane { series, frontier, wtp, .. } => {
                let grey = RGBColor(150, 150, 150);
                let mut entries: Vec<_> = wtp
                    .iter()
                    .enumerate()
                    .map(|(k, l)| {
                        let label = format!("{} {}", legend_word(lang, LegendWord::Wtp), short_number(*l));
                        (label, Marker::Line(k as u32 + 1), grey)
                    })
                    .collect();
                if frontier.len() > 1 {
                    entries.push((legend_word(lang, LegendWord::EfficiencyFrontier).into(), Marker::Line(1), BLACK));
                }
                entries.extend(series.iter().enumerate().map(|(i, s)| (s.name.clone(), Marker::Dot, colour(i))));
                entries
            }
            Plot::Tornado { .. } => vec![
                (legend_word(lang, LegendWord::LowValue).into(), Marker::Box, colour(0)),
                (legend_word(lang, LegendWord::HighValue).into(), Marker::Box, colour(1)),
            ],
            // Only the strategies optimal in some cell are drawn, so only they are listed.
            Plot::Grid { names, cells, .. } => names
                .iter()
                .enumerate()
                .filter(|(k, _)| cells.contains(k))
                .map(|(k, n)| (n.clone(), Marker::Box, colour(k)))
                .collect(),
            Plot::Bars { .. } => Vec::new(),
        }
    }

    /// Draws the legend in the right margin (`left` is where the margin starts), framed.
    fn draw_outside_legend<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        left: i32,
        top: i32,
        lang: Lang,
    ) -> Result<(), String> {
        let fail = |e: &dyn std::fmt::Display| format!("figure `{}`: legend: {e}", self.name);
        let entries = self.legend_entries(lang);
        let (width, height) = root.dim_in_pixel();
        let bottom = (top + self.outside_legend_height(lang)).min(i32::try_from(height).unwrap_or(i32::MAX) - 4);
        let right = i32::try_from(width).unwrap_or(i32::MAX) - 6;
        root.draw(&Rectangle::new([(left, top), (right, bottom)], WHITE.filled())).map_err(|e| fail(&e))?;
        root.draw(&Rectangle::new([(left, top), (right, bottom)], RGBColor(200, 200, 200).stroke_width(1)))
            .map_err(|e| fail(&e))?;
        let style = TextStyle::from(("sans-serif", 14).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        let mut y = top + LEGEND_PADDING;
        for (label, marker, c) in &entries {
            let lines = legend_lines(label);
            if y + LEGEND_LINE * lines.len() as i32 > bottom {
                break;
            }
            // The marker beside the entry's first line.
            let (x, mid) = (left + 8, y + LEGEND_LINE / 2);
            match marker {
                Marker::Line(w) => root.draw(&PathElement::new(vec![(x, mid), (x + 20, mid)], c.stroke_width(*w))),
                Marker::Box => root.draw(&Rectangle::new([(x + 3, mid - 5), (x + 17, mid + 5)], c.filled())),
                Marker::Dot => root.draw(&Circle::new((x + 10, mid), 5, c.filled())),
            }
            .map_err(|e| fail(&e))?;
            for line in &lines {
                root.draw_text(line, &style, (x + 28, y + LEGEND_LINE / 2)).map_err(|e| fail(&e))?;
                y += LEGEND_LINE;
            }
            y += LEGEND_GAP;
        }
        Ok(())
    }

    /// Pixels the outside legend needs: its entries' wrapped lines, gaps and padding.
    fn outside_legend_height(&self, lang: Lang) -> i32 {
        let entries = self.legend_entries(lang);
        let lines: i32 = entries.iter().map(|e| legend_lines(&e.0).len() as i32).sum();
        2 * LEGEND_PADDING + LEGEND_LINE * lines + LEGEND_GAP * (entries.len() as i32 - 1).max(0)
    }

    /// Inside the plot, in the emptiest corner, when the legend covers nothing there; otherwise
    /// (data in every corner, more entries than a corner holds, or a grid that fills the plot)
    /// outside on the right, with room made for it.
    fn legend_place(&self, x: (f64, f64), y: (f64, f64), lang: Lang) -> Legend {
        let names: Vec<String> = self.legend_entries(lang).into_iter().map(|e| e.0).collect();
        let (corner, covered) = self.emptiest_corner(x, y);
        let short = names.iter().all(|n| n.chars().count() <= LEGEND_CHARS);
        if covered == 0 && short && names.len() <= 8 && !matches!(self.plot, Plot::Grid { .. }) {
            return Legend::Inside(corner);
        }
        // DejaVu Sans at 14 px averages about 7 px a character; marker and padding take 44.
        let longest = names.iter().flat_map(|n| legend_lines(n)).map(|line| line.chars().count()).max().unwrap_or(0);
        Legend::Outside { width: (44 + 7 * longest as u32).clamp(90, 330) }
    }

    /// The corner (or side) of the plot with the fewest plotted points, for the legend, and how
    /// many points lie there. Lines are sampled along their segments, so a line crossing a corner
    /// counts there too.
    fn emptiest_corner(&self, x: (f64, f64), y: (f64, f64)) -> (SeriesLabelPosition, usize) {
        let mut points = self.points();
        if let Plot::Lines { series } = &self.plot {
            for s in series {
                for pair in s.points.windows(2) {
                    let (a, b) = (pair[0], pair[1]);
                    points.extend((1..8).map(|k| {
                        let t = f64::from(k) / 8.0;
                        (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
                    }));
                }
            }
        }
        // Bars are areas: sample them across and along.
        let samples = |a: f64, b: f64| (0..=8).map(move |k| a + (b - a) * f64::from(k) / 8.0);
        match &self.plot {
            Plot::StackedBars { series } => {
                for (_, bx, from, to) in stack(series) {
                    for xs in [bx - 0.35, bx, bx + 0.35] {
                        points.extend(samples(from, to).map(|v| (xs, v)));
                    }
                }
            }
            Plot::Tornado { bars, base } => {
                for (i, (_, low, high)) in bars.iter().enumerate() {
                    for end in [*low, *high] {
                        points.extend(samples(*base, end).map(|v| (v, i as f64)));
                    }
                }
            }
            _ => {}
        }
        let (w, h) = (x.1 - x.0, y.1 - y.0);
        let corners = [
            (SeriesLabelPosition::UpperLeft, x.0, y.1 - 0.45 * h),
            (SeriesLabelPosition::UpperRight, x.1 - 0.4 * w, y.1 - 0.45 * h),
            (SeriesLabelPosition::LowerRight, x.1 - 0.4 * w, y.0),
            (SeriesLabelPosition::LowerLeft, x.0, y.0),
            (SeriesLabelPosition::MiddleRight, x.1 - 0.4 * w, y.0 + 0.275 * h),
            (SeriesLabelPosition::UpperMiddle, x.0 + 0.3 * w, y.1 - 0.45 * h),
        ];
        let count = |x0: f64, y0: f64| {
            points.iter().filter(|p| p.0 >= x0 && p.0 <= x0 + 0.4 * w && p.1 >= y0 && p.1 <= y0 + 0.45 * h).count()
        };
        corners
            .into_iter()
            .map(|(position, x0, y0)| (position, count(x0, y0)))
            .min_by_key(|c| c.1)
            .unwrap_or((SeriesLabelPosition::UpperLeft, 0))
    }

    /// Every plotted point: series points, frontier, the ends of tornado bars and of stacked
    /// segments.
    fn points(&self) -> Vec<(f64, f64)> {
        let of_series =
            |series: &[Series]| -> Vec<(f64, f64)> { series.iter().flat_map(|s| s.points.iter().copied()).collect() };
        match &self.plot {
            Plot::Lines { series } => of_series(series),
            Plot::Plane { series, frontier, .. } => {
                let mut points = of_series(series);
                points.extend(frontier);
                points
            }
            Plot::Tornado { bars, base } => bars
                .iter()
                .enumerate()
                .flat_map(|(i, b)| [(b.1, i as f64), (b.2, i as f64), (*base, i as f64)])
                .collect(),
            Plot::Bars { bars } => {
                bars.iter().enumerate().flat_map(|(i, b)| [(0.0, i as f64), (b.1, i as f64)]).collect()
            }
            Plot::Grid { x, y, .. } => y.iter().flat_map(|yv| x.iter().map(move |xv| (*xv, *yv))).collect(),
            Plot::StackedBars { series } => {
                stack(series).into_iter().flat_map(|(_, x, from, to)| [(x, from), (x, to)]).collect()
            }
            Plot::Fan { bands } => {
                bands.iter().flat_map(|b| b.points.iter().flat_map(|p| [(p.0, p.1), (p.0, p.2), (p.0, p.3)])).collect()
            }
        }
    }

    /// Axis ranges with a margin; never empty.
    fn bounds(&self) -> ((f64, f64), (f64, f64)) {
        let points = self.points();
        let xs: Vec<f64> = points.iter().map(|p| p.0).collect();
        let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
        match &self.plot {
            Plot::Lines { .. } | Plot::Fan { .. } => ys.push(0.0),
            Plot::Plane { origin, .. } => {
                return (padded(&[&xs[..], &[origin.0]].concat()), padded(&[&ys[..], &[origin.1]].concat()));
            }
            Plot::Tornado { bars, .. } => return (padded(&xs), (-0.6, bars.len().max(1) as f64 - 0.4)),
            Plot::Bars { bars } => return (padded(&xs), (-0.6, bars.len().max(1) as f64 - 0.4)),
            Plot::Grid { x, y, .. } => {
                // Cells reach half a step beyond the outermost values; the legend sits outside.
                let edge = |v: &[f64]| {
                    let (lo, hi) = min_max(v);
                    let half = if v.len() > 1 { (hi - lo) / (v.len() - 1) as f64 / 2.0 } else { 0.5 };
                    (lo - half, hi + half)
                };
                return (edge(x), edge(y));
            }
            Plot::StackedBars { .. } => {
                ys.push(0.0);
                let (x0, x1) = min_max(&xs);
                return ((x0 - 0.6, x1 + 0.6), padded(&ys));
            }
        }
        (padded(&xs), padded(&ys))
    }
}

/// Stacked-bar segments `(series, x, from, to)`: positive values stack up from 0, negative
/// values down from 0, in series order.
fn stack(series: &[Series]) -> Vec<(usize, f64, f64, f64)> {
    let mut up: Vec<(f64, f64)> = Vec::new();
    let mut down: Vec<(f64, f64)> = Vec::new();
    let mut segments = Vec::new();
    for (i, s) in series.iter().enumerate() {
        for &(x, v) in &s.points {
            let stack = if v >= 0.0 { &mut up } else { &mut down };
            let base = match stack.iter_mut().find(|(sx, _)| *sx == x) {
                Some(slot) => slot,
                None => {
                    stack.push((x, 0.0));
                    let last = stack.len() - 1;
                    &mut stack[last]
                }
            };
            segments.push((i, x, base.1, base.1 + v));
            base.1 += v;
        }
    }
    segments
}

/// The segment of the line through `origin` with slope `slope` inside the box `x` × `y`.
fn clip_line(origin: (f64, f64), slope: f64, x: (f64, f64), y: (f64, f64)) -> Option<[(f64, f64); 2]> {
    let at = |px: f64| origin.1 + slope * (px - origin.0);
    let (mut x0, mut x1) = x;
    if slope != 0.0 {
        let xa = origin.0 + (y.0 - origin.1) / slope;
        let xb = origin.0 + (y.1 - origin.1) / slope;
        x0 = x0.max(xa.min(xb));
        x1 = x1.min(xa.max(xb));
    } else if !(y.0..=y.1).contains(&origin.1) {
        return None;
    }
    (x0 < x1).then(|| [(x0, at(x0)), (x1, at(x1))])
}

fn min_max(values: &[f64]) -> (f64, f64) {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

fn padded(values: &[f64]) -> (f64, f64) {
    let (lo, hi) = min_max(values);
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    (lo - 0.05 * span, hi + 0.05 * span)
}

/// 1234567 -> "1.23M", 0.25 -> "0.25".
fn short_number(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "bn")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let text = format!("{scaled:.2}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    format!("{text}{suffix}")
}

/// The axis title of an effect measure ("QALYs", "Life-years").
pub fn effect_axis(measure: hta_model::EffectMeasure) -> &'static str {
    match measure {
        hta_model::EffectMeasure::Qaly => "QALYs",
        hta_model::EffectMeasure::LifeYears => "Life-years",
    }
}

/// The axis title of willingness to pay, e.g. "Willingness to pay (GBP per QALY)".
pub fn wtp_axis(model: &hta_model::Model) -> String {
    format!("Willingness to pay ({} per {})", model.metadata.currency, model.settings.effect.unit())
}

/// Markov trace of each strategy: state occupancy by cycle.
pub fn markov_traces(run: &CeaRun) -> Vec<Figure> {
    let model = run.model;
    run.results
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let series = model
                .states
                .iter()
                .enumerate()
                .map(|(k, state)| Series {
                    name: state.shown().to_string(),
                    points: (0..=r.n_cycles).map(|c| (c as f64, r.occupancy(c)[k])).collect(),
                })
                .collect();
            Figure {
                name: format!("trace_{}", model.strategies[i].name),
                title: format!("State occupancy: {}", model.strategies[i].shown()),
                x_label: if model.settings.cycle_years == 1.0 {
                    "Cycle (years)".to_string()
                } else {
                    format!("Cycle ({} each)", model.settings.cycle_unit.describe(model.settings.cycle_length))
                },
                y_label: "Proportion of the cohort".into(),
                plot: Plot::Lines { series },
            }
        })
        .collect()
}

/// Partitioned survival: each strategy's curves (e.g. PFS and OS) as modelled, read from the
/// state occupancy (curve k = the share in states 0..=k), against time in years. `None` for
/// Markov models.
pub fn survival_curves(run: &CeaRun) -> Option<Figure> {
    let model = run.model;
    if model.structure != hta_model::Structure::PartitionedSurvival {
        return None;
    }
    let years = model.settings.cycle_years;
    let mut series = Vec::new();
    for (i, r) in run.results.iter().enumerate() {
        let strategy = &model.strategies[i];
        for (k, curve) in strategy.curves.iter().enumerate() {
            series.push(Series {
                name: format!("{}: {}", strategy.shown(), model.curves[curve.index()].name),
                points: (0..=r.n_cycles).map(|c| (c as f64 * years, r.occupancy(c)[..=k].iter().sum())).collect(),
            });
        }
    }
    Some(Figure {
        name: "survival_curves".into(),
        title: "Survival curves as modelled (partitioned survival)".into(),
        x_label: "Years since model start".into(),
        y_label: "Proportion surviving".into(),
        plot: Plot::Lines { series },
    })
}

/// The cost-effectiveness plane of the base case: each strategy, the efficiency frontier and the
/// model's willingness-to-pay thresholds through the cheapest strategy.
pub fn ce_plane(run: &CeaRun) -> Figure {
    let model = run.model;
    let points: Vec<(f64, f64)> =
        (0..run.results.len()).map(|i| (run.effect(i), run.results[i].total_cost(true))).collect();
    let origin = points.iter().copied().fold((f64::NAN, f64::INFINITY), |a, p| if p.1 < a.1 { p } else { a });
    let mut frontier: Vec<(f64, f64)> = run
        .frontier
        .iter()
        .filter(|row| row.status == hta_analysis::Status::NonDominated)
        .filter_map(|row| points.get(row.strategy).copied())
        .collect();
    frontier.sort_by(|a, b| a.0.total_cmp(&b.0));
    Figure {
        name: "ce_plane".into(),
        title: "Cost-effectiveness plane (discounted)".into(),
        x_label: effect_axis(model.settings.effect).into(),
        y_label: format!("Cost ({})", model.metadata.currency),
        plot: Plot::Plane {
            series: model
                .strategies
                .iter()
                .zip(&points)
                .map(|(s, p)| Series { name: s.shown().to_string(), points: vec![*p] })
                .collect(),
            frontier,
            origin,
            wtp: model.settings.thresholds.iter().map(|t| t.value).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wtp_lines_are_clipped_to_the_plot() {
        let line = clip_line((0.0, 0.0), 2.0, (-1.0, 10.0), (-1.0, 4.0)).expect("inside");
        assert_eq!(line, [(-0.5, -1.0), (2.0, 4.0)]);
        assert!(clip_line((0.0, 5.0), 0.0, (0.0, 1.0), (0.0, 4.0)).is_none());
    }

    #[test]
    fn short_numbers() {
        assert_eq!(short_number(1_234_567.0), "1.23M");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(50_000.0), "50k");
        assert_eq!(short_number(-2.5e9), "-2.5bn");
    }

    /// Every plot type renders to SVG with its title, and PNG text needs no system font.
    #[test]
    fn legends_leave_the_data_uncovered_and_name_repeated_series() {
        let line =
            |name: &str, y: f64| Series { name: name.into(), points: (0..=10).map(|x| (f64::from(x), y)).collect() };
        let figure = |series: Vec<Series>| Figure {
            name: "f".into(),
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            plot: Plot::Lines { series },
        };
        // Two lines along the bottom leave the upper corners empty: the legend goes inside.
        let few = figure(vec![line("a", 0.0), line("b", 0.1)]);
        let (x, y) = few.bounds();
        assert!(matches!(few.legend_place(x, y, Lang::En), Legend::Inside(_)));
        // Twelve lines from bottom to top leave no corner empty: outside, with room made for it.
        let many = figure((0..12).map(|k| line(&format!("s{k}"), f64::from(k))).collect());
        let (x, y) = many.bounds();
        assert!(matches!(many.legend_place(x, y, Lang::En), Legend::Outside { width } if width >= 90));
        let svg = many.svg().expect("svg");
        assert!(svg.contains("\ns11\n"), "every entry is drawn");
        // A series equal to an earlier one says so.
        let same = figure(vec![line("a", 1.0), line("b", 2.0), line("c", 1.0)]);
        let names: Vec<String> = same.legend_entries(Lang::En).into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["a", "b", "c (same as a)"]);
        // A grid lists only the strategies it shows.
        let grid = Figure {
            plot: Plot::Grid {
                x: vec![0.0, 1.0],
                y: vec![0.0],
                cells: vec![1, 1],
                names: vec!["a".into(), "b".into()],
            },
            ..figure(Vec::new())
        };
        let names: Vec<String> = grid.legend_entries(Lang::En).into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["b"]);
    }

    #[test]
    fn long_labels_wrap_in_an_outside_legend_that_gets_the_room() {
        assert_eq!(legend_lines("upfront"), ["upfront"]);
        let label = "(g') Cohort contract on 1-year PFS: 0% at 40%, 70% at 60%, 100% at 80% (linear), refunded";
        let lines = legend_lines(label);
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.chars().count() <= LEGEND_CHARS), "{lines:?}");
        assert_eq!(lines.join(" "), label, "nothing is cut when the lines hold it");
        let cut = legend_lines(&"word ".repeat(40));
        assert_eq!(cut.len(), LEGEND_MAX_LINES);
        assert!(cut[3].ends_with('…') && cut[3].chars().count() <= LEGEND_CHARS, "{cut:?}");
        assert_eq!(legend_lines(&"x".repeat(80)).len(), 3, "a long word is broken");
        // Fourteen two-line labels need more than 560 pixels: the canvas grows to hold them.
        let series = (0..14)
            .map(|k| Series {
                name: format!("({k}) a payment scheme with a label long enough to wrap"),
                points: vec![(0.0, f64::from(k)), (1.0, f64::from(k))],
            })
            .collect();
        let figure = Figure {
            name: "f".into(),
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            plot: Plot::Lines { series },
        };
        let (x, y) = figure.bounds();
        assert!(matches!(figure.legend_place(x, y, Lang::En), Legend::Outside { .. }));
        let svg = figure.svg().expect("svg");
        let height = 150 + figure.outside_legend_height(Lang::En);
        assert!(height > 560 && svg.contains(&format!("height=\"{height}\"")), "{height}");
        assert!(svg.contains("(13) a payment scheme with a label") && svg.contains("long enough to wrap"));
    }

    #[test]
    fn pngs_are_twice_the_svg_size_and_draw_chinese_text() {
        let svg = |text: &str| {
            format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\"><text x=\"10\" y=\"70\" font-family=\"sans-serif\" font-size=\"48\">{text}</text></svg>"
            )
        };
        let decode = |bytes: &[u8]| resvg::tiny_skia::Pixmap::decode_png(bytes).expect("a PNG");
        let a = decode(&png(&svg("成本")).expect("png"));
        assert_eq!((a.width(), a.height()), (400, 200));
        let dark = |p: &resvg::tiny_skia::Pixmap| p.pixels().iter().filter(|c| c.red() < 128).count();
        assert!(dark(&a) > 500, "the characters are drawn");
        // Two different characters give different pictures: real glyphs, not one missing-glyph box.
        let b = decode(&png(&svg("成成")).expect("png"));
        assert!(a.data() != b.data(), "CJK text falls back to the embedded Noto Sans SC");
        let latin = decode(&png(&svg("AV")).expect("png"));
        assert!(dark(&latin) > 200);
    }

    #[test]
    fn every_plot_type_renders() {
        let dir = std::env::temp_dir().join(format!("hta-figures-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let series = vec![
            Series { name: "a".into(), points: vec![(1.0, 1.0), (2.0, 2.0)] },
            Series { name: "b".into(), points: vec![(1.0, 0.5), (2.0, -0.5)] },
        ];
        let plots = [
            Plot::Lines { series: series.clone() },
            Plot::Plane {
                series: series.clone(),
                frontier: vec![(1.0, 1.0), (2.0, 2.0)],
                origin: (1.0, 0.5),
                wtp: vec![1.0],
            },
            Plot::Tornado { bars: vec![("p".into(), 0.5, 2.0), ("q".into(), 0.9, 1.1)], base: 1.0 },
            Plot::StackedBars { series },
            Plot::Bars { bars: vec![("p".into(), 0.5), ("q and r".into(), 2.0)] },
            Plot::Grid {
                x: vec![0.0, 1.0],
                y: vec![10.0, 20.0],
                cells: vec![0, 0, 1, 0],
                names: vec!["a".into(), "b".into()],
            },
        ];
        for (i, plot) in plots.into_iter().enumerate() {
            let figure = Figure {
                name: format!("f{i}"),
                title: format!("Figure {i}"),
                x_label: "x".into(),
                y_label: "y".into(),
                plot,
            };
            let svg = figure.svg().expect("svg");
            assert!(svg.starts_with("<svg") && svg.contains(&format!("Figure {i}")), "{svg}");
            // One small SVG per plot type, and its data, as reviewed snapshots.
            insta::assert_snapshot!(format!("plot_{i}_svg"), svg);
            insta::assert_snapshot!(format!("plot_{i}_csv"), figure.csv());
            let paths = figure.write(&dir).expect("write");
            let png = std::fs::read(&paths[1]).expect("png");
            assert_eq!(&png[1..4], b"PNG");
            assert!(figure.csv().lines().count() > 1);
        }
    }
}
