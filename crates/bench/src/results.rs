//! The results: one row per figure (measure, backend, what, value, goal), notes such as query
//! plans, and the machine they were taken on; printed as a table and written as Markdown.

use std::fmt::Write as _;
use std::path::Path;

/// A target a figure is held to, and whether it was met.
#[derive(Debug, Clone)]
pub struct Goal {
    pub text: String,
    pub met: bool,
}

impl Goal {
    /// `value <= limit`.
    pub fn at_most(value: f64, limit: f64, unit: &str) -> Goal {
        Goal { text: format!("<= {limit}{unit}"), met: value <= limit }
    }

    /// `value >= limit`.
    pub fn at_least(value: f64, limit: f64, unit: &str) -> Goal {
        Goal { text: format!(">= {limit}{unit}"), met: value >= limit }
    }
}

#[derive(Debug, Clone)]
pub struct Figure {
    pub measure: String,
    pub backend: String,
    pub what: String,
    pub value: String,
    pub goal: Option<Goal>,
}

/// A titled block of Markdown (a query plan, a failure, a remark).
#[derive(Debug, Clone)]
pub struct Note {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Default)]
pub struct Results {
    pub machine: Vec<(String, String)>,
    pub figures: Vec<Figure>,
    pub notes: Vec<Note>,
    pub failures: Vec<String>,
}

impl Results {
    pub fn add(&mut self, measure: &str, backend: &str, what: impl Into<String>, value: impl Into<String>) {
        self.figures.push(Figure {
            measure: measure.to_owned(),
            backend: backend.to_owned(),
            what: what.into(),
            value: value.into(),
            goal: None,
        });
    }

    pub fn add_goal(
        &mut self,
        measure: &str,
        backend: &str,
        what: impl Into<String>,
        value: impl Into<String>,
        goal: Goal,
    ) {
        self.add(measure, backend, what, value);
        if let Some(f) = self.figures.last_mut() {
            f.goal = Some(goal);
        }
    }

    pub fn note(&mut self, title: impl Into<String>, body: impl Into<String>) {
        self.notes.push(Note { title: title.into(), body: body.into() });
    }

    fn rows(&self) -> Vec<[String; 6]> {
        self.figures
            .iter()
            .map(|f| {
                let (goal, verdict) = match &f.goal {
                    Some(g) => (g.text.clone(), if g.met { "met" } else { "MISSED" }.to_owned()),
                    None => (String::new(), String::new()),
                };
                [f.measure.clone(), f.backend.clone(), f.what.clone(), f.value.clone(), goal, verdict]
            })
            .collect()
    }

    const HEADER: [&'static str; 6] = ["measure", "backend", "figure", "value", "goal", "verdict"];

    /// The figures as an aligned plain-text table.
    pub fn table(&self) -> String {
        let rows = self.rows();
        let mut widths = Self::HEADER.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: &[String]| {
            let padded: Vec<String> =
                cells.iter().zip(widths).map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count()))).collect();
            let _ = writeln!(out, "{}", padded.join("  ").trim_end());
        };
        line(&Self::HEADER.map(str::to_owned));
        line(&widths.map(|w| "-".repeat(w)));
        for row in &rows {
            line(row);
        }
        out
    }

    pub fn markdown(&self) -> String {
        self.markdown_with(&[], &[], &[])
    }

    /// The Markdown, with `kept` figure rows (Markdown table lines of an earlier file) before
    /// this run's, and `kept_notes` (title, body) after this run's notes.
    fn markdown_with(&self, kept: &[String], kept_measures: &[String], kept_notes: &[(String, String)]) -> String {
        let mut out = String::from("# confreports benchmark results\n\nWritten by `make bench` (crates/bench); ");
        out.push_str("every figure of the last run. Goals are checked, not enforced.\n");
        if !kept.is_empty() {
            let _ = writeln!(
                out,
                "\nThe figures of {} were kept from an earlier run (its machine section is kept below); \
                 this run measured the others.",
                kept_measures.join(", ")
            );
        }
        out.push_str("\n## Machine\n\n");
        out.push_str("| | |\n|---|---|\n");
        for (k, v) in &self.machine {
            let _ = writeln!(out, "| {k} | {} |", v.replace('|', "\\|"));
        }
        out.push_str("\n## Figures\n\n");
        let _ = writeln!(out, "| {} |", Self::HEADER.join(" | "));
        let _ = writeln!(out, "|{}", "---|".repeat(Self::HEADER.len()));
        for line in kept {
            let _ = writeln!(out, "{line}");
        }
        for row in self.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.replace('|', "\\|")).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        if !self.failures.is_empty() {
            out.push_str("\n## Failures\n\n");
            for f in &self.failures {
                let _ = writeln!(out, "- {}", f.replace('\n', " "));
            }
        }
        for note in &self.notes {
            let _ = write!(out, "\n## {}\n\n{}\n", note.title, note.body.trim_end());
        }
        for (title, body) in kept_notes {
            let _ = write!(out, "\n## {title}\n\n{}\n", body.trim());
        }
        out
    }

    /// Writes the Markdown, keeping from the file already at `path` the figures of the measures
    /// not in `ran` and of the backends not in `backends` (a run of one backend keeps the
    /// other's), and its notes whose titles this run does not write (with its machine section,
    /// as a note, when figures are kept).
    pub fn write_markdown_keeping(&self, path: &Path, ran: &[&str], backends: &[&str]) -> anyhow::Result<()> {
        self.write_markdown_replacing(path, &pairs(ran, backends))
    }

    /// [`Results::write_markdown_keeping`] by (measure, backend) pairs: the file's figures of
    /// the pairs in `replaced` give way to this run's, the others are kept. A run writes its file
    /// this way after each measure, so that one stopped midway (the full run takes hours) keeps
    /// what it measured.
    pub fn write_markdown_replacing(&self, path: &Path, replaced: &[(&str, &str)]) -> anyhow::Result<()> {
        let old = std::fs::read_to_string(path).unwrap_or_default();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.markdown_replacing(&old, replaced))?;
        Ok(())
    }

    /// [`Results::write_markdown_replacing`]'s Markdown, `old` being the file's.
    fn markdown_replacing(&self, old: &str, replaced: &[(&str, &str)]) -> String {
        let mut kept = Vec::new();
        let mut kept_measures: Vec<String> = Vec::new();
        let mut notes: Vec<(String, String)> = Vec::new();
        let mut old_machine = None;
        for section in old.split("\n## ").skip(1) {
            let (title, body) = section.split_once('\n').unwrap_or((section, ""));
            let title = title.trim();
            match title {
                "Figures" => {
                    for line in body.lines().filter(|l| l.starts_with("| ")).skip(1) {
                        let mut cells = line[2..].split(" | ").map(str::trim);
                        let (measure, backend) = (cells.next().unwrap_or(""), cells.next().unwrap_or(""));
                        if !replaced.contains(&(measure, backend)) {
                            let label = if replaced.iter().any(|(m, _)| *m == measure) {
                                format!("{measure} on {backend}")
                            } else {
                                measure.to_owned()
                            };
                            if !kept_measures.contains(&label) {
                                kept_measures.push(label);
                            }
                            kept.push(line.to_owned());
                        }
                    }
                }
                "Machine" => old_machine = Some(body.to_owned()),
                "Failures" => {}
                t if self.notes.iter().any(|n| n.title == t) => {}
                t => notes.push((t.to_owned(), body.to_owned())),
            }
        }
        // The kept figures' machine: the one an earlier merge kept, else the old file's own.
        let earlier = |t: &str| t.starts_with("Machine of the earlier run");
        let title = format!("Machine of the earlier run (figures of {})", kept_measures.join(", "));
        if kept.is_empty() {
            notes.retain(|(t, _)| !earlier(t));
        } else if let Some(note) = notes.iter_mut().find(|(t, _)| earlier(t)) {
            // Written by an earlier write of this run or of another: what is kept now.
            note.0 = title;
        } else if let Some(m) = old_machine {
            notes.push((title, m));
        }
        self.markdown_with(&kept, &kept_measures, &notes)
    }

    pub fn write_markdown(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, self.markdown())?;
        Ok(())
    }
}

/// Every pair of a measure in `ran` and a backend in `backends`.
fn pairs<'a>(ran: &[&'a str], backends: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    ran.iter().flat_map(|m| backends.iter().map(move |b| (*m, *b))).collect()
}

/// Formatting helpers shared by the measures.
pub fn ms(secs: f64) -> String {
    format!("{:.2} ms", secs * 1000.0)
}

pub fn ratio(x: f64) -> String {
    format!("{x:.2}")
}

/// Ratios as `median [min, max]`.
pub fn spread(ratios: &[f64]) -> String {
    use crate::stats::{max, median, min};
    format!("{} [{}, {}]", ratio(median(ratios)), ratio(min(ratios)), ratio(max(ratios)))
}

pub fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

pub fn rate(rows_per_sec: f64) -> String {
    format!("{:.0} rows/s", rows_per_sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_print_as_median_min_and_max() {
        assert_eq!(spread(&[1.0, 0.5, 2.0, 0.75, 1.5]), "1.00 [0.50, 2.00]");
    }

    #[test]
    fn table_and_markdown_hold_every_figure_and_verdict() {
        let mut r = Results::default();
        r.machine.push(("cores".into(), "2".into()));
        r.add("depth", "SQLite", "p50 page 1", ms(0.0012));
        r.add_goal("depth", "SQLite", "p50 ratio", ratio(1.7), Goal::at_most(1.7, 1.5, ""));
        r.note("Plan", "```\nSCAN events\n```");
        let t = r.table();
        assert!(t.contains("1.20 ms"), "{t}");
        assert!(t.contains("MISSED"));
        let md = r.markdown();
        assert!(md.contains("| depth | SQLite | p50 ratio | 1.70 | <= 1.5 | MISSED |"), "{md}");
        assert!(md.contains("## Plan"));
        assert!(md.contains("| cores | 2 |"));
    }

    #[test]
    fn a_run_of_one_backend_keeps_the_other_backends_figures() {
        let mut earlier = Results::default();
        earlier.add("export", "SQLite", "rows/s", "1");
        earlier.add("export", "PostgreSQL", "rows/s", "2");
        earlier.add("depth", "PostgreSQL", "p50", "3");
        let mut now = Results::default();
        now.add("export", "PostgreSQL", "rows/s", "4");
        let md = now.markdown_replacing(&earlier.markdown(), &pairs(&["export"], &["PostgreSQL"]));
        assert!(md.contains("| export | SQLite | rows/s | 1 |"), "{md}");
        assert!(md.contains("| depth | PostgreSQL | p50 | 3 |"), "{md}");
        assert!(md.contains("| export | PostgreSQL | rows/s | 4 |"), "{md}");
        assert!(!md.contains("| export | PostgreSQL | rows/s | 2 |"), "{md}");
        assert!(md.contains("The figures of export on SQLite, depth were kept"), "{md}");
    }

    #[test]
    fn a_run_stopped_midway_keeps_what_it_measured_and_the_earlier_figures() {
        let mut earlier = Results::default();
        earlier.machine.push(("date".into(), "yesterday".into()));
        for (m, b, v) in [("ingest", "SQLite", "1"), ("ingest", "PostgreSQL", "2"), ("delete", "SQLite", "3")] {
            earlier.add(m, b, "ratio", v);
        }
        let file = earlier.markdown();
        // After its first measure on SQLite.
        let mut now = Results::default();
        now.machine.push(("date".into(), "today".into()));
        now.add("ingest", "SQLite", "ratio", "10");
        let first = now.markdown_replacing(&file, &[("ingest", "SQLite")]);
        assert!(first.contains("| ingest | SQLite | ratio | 10 |"), "{first}");
        assert!(first.contains("| ingest | PostgreSQL | ratio | 2 |"), "{first}");
        assert!(first.contains("| delete | SQLite | ratio | 3 |"), "{first}");
        assert!(!first.contains("| ingest | SQLite | ratio | 1 |"), "{first}");
        assert!(first.contains("## Machine of the earlier run (figures of ingest on PostgreSQL, delete)"), "{first}");
        // After its second, written over the first: the earlier machine stays, retitled.
        now.add("ingest", "PostgreSQL", "ratio", "20");
        let second = now.markdown_replacing(&first, &[("ingest", "SQLite"), ("ingest", "PostgreSQL")]);
        assert!(
            second.contains("| ingest | SQLite | ratio | 10 |")
                && second.contains("| ingest | PostgreSQL | ratio | 20 |"),
            "{second}"
        );
        assert!(second.contains("| delete | SQLite | ratio | 3 |"), "{second}");
        assert!(second.contains("## Machine of the earlier run (figures of delete)\n"), "{second}");
        assert!(second.contains("| date | yesterday |") && second.contains("| date | today |"), "{second}");
        assert_eq!(second.matches("Machine of the earlier run").count(), 1, "{second}");
    }
}
