//! Progress of long steps: a bar on a terminal, a log line every 10% otherwise.

use std::io::IsTerminal;
use std::time::Instant;

pub struct Progress {
    label: String,
    bar: Option<indicatif::ProgressBar>,
    total: u64,
    done: u64,
    next_log: u64,
    started: Instant,
}

impl Progress {
    pub fn new(label: &str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {human_pos}/{human_len} {per_sec} ({eta})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(label.to_owned());
            bar
        });
        Progress { label: label.to_owned(), bar, total, done: 0, next_log: total / 10, started: Instant::now() }
    }

    pub fn inc(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None if self.done >= self.next_log && self.done < self.total => {
                self.next_log = self.done + (self.total / 10).max(1);
                crate::log(&format!("{}: {}/{}", self.label, self.done, self.total));
            }
            None => {}
        }
    }

    pub fn finish(self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        crate::log(&format!("{}: {} in {:.1} s", self.label, self.done, self.started.elapsed().as_secs_f64()));
    }
}
