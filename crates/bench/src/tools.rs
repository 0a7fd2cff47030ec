//! The databases' own command-line tools (`psql`, `sqlite3`), and counting a CSV stream.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, ensure};

/// What a CSV stream held and how long it took to read it to the end.
#[derive(Debug, Clone, Copy)]
pub struct Streamed {
    pub bytes: u64,
    pub lines: u64,
    pub secs: f64,
}

/// Reads `reader` to the end, counting bytes and newlines (the generated data has no newline
/// inside a field).
pub fn count(mut reader: impl Read) -> std::io::Result<(u64, u64)> {
    let mut buf = vec![0u8; 256 * 1024];
    let (mut bytes, mut lines) = (0u64, 0u64);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok((bytes, lines)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes += n as u64;
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Runs `cmd`, counting its standard output; fails when it fails.
pub fn run_counting(cmd: &mut Command) -> anyhow::Result<Streamed> {
    let started = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (bytes, lines) = count(stdout)?;
    let out = child.wait_with_output()?;
    let secs = started.elapsed().as_secs_f64();
    ensure!(out.status.success(), "{cmd:?} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    Ok(Streamed { bytes, lines, secs })
}

/// `psql` running one command (or meta-command) against `url`.
pub fn psql(url: &str, command: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", command]);
    cmd
}

/// `psql` running a script given on standard input; returns what it printed.
pub fn psql_script(url: &str, script: &str) -> anyhow::Result<String> {
    use std::io::Write as _;
    let mut child = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting psql")?;
    child.stdin.take().context("no stdin")?.write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    ensure!(out.status.success(), "psql failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `sqlite3` printing the result of `sql` on the database file as CSV.
pub fn sqlite_csv(path: &Path, sql: &str) -> Command {
    let mut cmd = Command::new("sqlite3");
    cmd.arg("-readonly").arg("-csv").arg(path).arg(sql);
    cmd
}

/// The first line a program prints for `args`, or "unavailable".
pub fn output_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(|l| l.trim().to_owned()))
        .unwrap_or_else(|| "unavailable".to_owned())
}

/// The first line a program prints for `args` on either stream, whatever its exit status
/// (`wrk -v` exits 1, `nginx -v` prints to stderr), or "unavailable".
pub fn version_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
            text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_owned)
        })
        .unwrap_or_else(|| "unavailable".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_and_lines() {
        assert_eq!(count(&b"id,time\n1,x\n2,y\n"[..]).ok(), Some((16, 3)));
        assert_eq!(count(&b""[..]).ok(), Some((0, 0)));
    }
}
