//! `confreports audit`: verify the audit trail's hash chain against the signed checkpoints,
//! and write a checkpoint now.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;
use confreports_api::audit::{self as checkpoints, CheckpointWriter};
use confreports_store::DbConnection;
use confreports_store::audit;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the whole log, recompute every hash and link, compare it with the signed
    /// checkpoints, and name the first bad row (exit status 1) or say it is intact.
    Verify {
        /// The checkpoint file (default: <data-dir>/audit/checkpoints.jsonl). Its public key is
        /// read from `checkpoint-key.pub.pem` in the same directory.
        #[arg(long)]
        checkpoints: Option<PathBuf>,
    },
    /// Append a signed checkpoint of the log's last row to <data-dir>/audit/checkpoints.jsonl.
    Checkpoint,
}

/// Runs a command; `Ok(false)` when verification found the log tampered with.
pub fn run(conn: &mut DbConnection, data_dir: &Path, command: AuditCommand) -> anyhow::Result<bool> {
    let dir = checkpoints::audit_dir(data_dir);
    match command {
        AuditCommand::Checkpoint => {
            let writer = CheckpointWriter::open(&dir).context("opening the checkpoint signing key")?;
            match audit::tail(conn)? {
                Some((seq, hash)) => {
                    writer.write(seq, &hash).context("writing the checkpoint")?;
                    println!("checkpoint written: seq {seq}, hash {hash}");
                }
                None => println!("the audit log is empty; no checkpoint written"),
            }
            Ok(true)
        }
        AuditCommand::Verify { checkpoints: file } => {
            let file = file.unwrap_or_else(|| dir.join(checkpoints::CHECKPOINT_FILE));
            let key_dir = file.parent().map(Path::to_path_buf).unwrap_or_else(|| dir.clone());
            let (good, bad) = if file.exists() {
                let key = checkpoints::public_key(&key_dir)
                    .with_context(|| format!("reading the checkpoint public key in {}", key_dir.display()))?;
                checkpoints::read_checkpoints(&file, &key).with_context(|| format!("reading {}", file.display()))?
            } else {
                eprintln!("no checkpoint file at {}: checking the chain only", file.display());
                (Vec::new(), Vec::new())
            };
            let total = audit::count(conn)?.max(0) as u64;
            let bar = (std::io::stderr().is_terminal() && total > 10_000).then(|| {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{spinner} audit verify [{bar:40}] {pos}/{len} ({eta})")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar
            });
            let mut last_logged = 0u64;
            let mut progress = |done: u64| match &bar {
                Some(bar) => bar.set_position(done),
                None if total > 100_000 && done - last_logged >= total / 10 => {
                    last_logged = done;
                    tracing::info!(done, total, "audit verify");
                }
                None => {}
            };
            let report = audit::verify(conn, &good, &mut progress)?;
            if let Some(bar) = &bar {
                bar.finish_and_clear();
            }
            let mut ok = true;
            if let Some(problem) = &report.problem {
                println!("audit log TAMPERED: {problem}");
                ok = false;
            }
            for b in &bad {
                println!("checkpoint refused: {b}");
                ok = false;
            }
            if ok {
                println!(
                    "audit log OK: {} rows, last seq {}, {} checkpoints checked",
                    report.rows,
                    report.last_seq.unwrap_or(0),
                    report.checkpoints_checked
                );
            }
            Ok(ok)
        }
    }
}
