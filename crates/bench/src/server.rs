//! `confreports serve` as a child process on a free loopback port, and its memory use.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

pub struct Server {
    child: Child,
    pub pid: u32,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub log: PathBuf,
}

const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// The server's data directory (keys, recordings) for backend `name`.
pub fn data_dir(work: &Path, name: &str) -> PathBuf {
    work.join(format!("server-{name}"))
}

impl Server {
    /// Starts the server on `database_url` with its data directory under `work`, and waits until
    /// it answers.
    pub fn start(bin: &Path, database_url: &str, work: &Path, name: &str) -> anyhow::Result<Server> {
        Self::start_with_env(bin, database_url, work, name, &[])
    }

    /// [`Server::start`] with extra environment variables for the server process.
    pub fn start_with_env(
        bin: &Path,
        database_url: &str,
        work: &Path,
        name: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let data_dir = data_dir(work, name);
        std::fs::create_dir_all(&data_dir)?;
        let log = work.join(format!("server-{name}.log"));
        let out = File::create(&log)?;
        let child = Command::new(bin)
            .arg("--database-url")
            .arg(database_url)
            .arg("--data-dir")
            .arg(&data_dir)
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--web-dir")
            .arg(work.join("no-web-app"))
            .env_remove("DATABASE_URL")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let mut server = Server { child, pid, base: format!("http://127.0.0.1:{port}"), log };
        server.wait_ready()?;
        Ok(server)
    }

    fn wait_ready(&mut self) -> anyhow::Result<()> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .into();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "the server exited ({status}) before answering; see {}:\n{}",
                    self.log.display(),
                    self.log_tail()
                );
            }
            // Any HTTP answer (401 included) means it is serving.
            if agent.get(self.url("/api/v1/event-types")).call().is_ok() {
                return Ok(());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!("the server did not answer within {READY_TIMEOUT:?}; see {}", self.log.display());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }

    pub fn rss_bytes(&self) -> anyhow::Result<u64> {
        rss_bytes(self.pid)
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM for a graceful stop, SIGKILL if it lingers.
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident set size of a process (`VmRSS` of /proc/PID/status).
pub fn rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("no VmRSS in /proc/PID/status")?;
    let kib: u64 = line.split_whitespace().nth(1).context("VmRSS without a value")?.parse()?;
    Ok(kib * 1024)
}

/// Samples a process's RSS every `every` on a thread until stopped; keeps the peak.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<RssPeak>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct RssPeak {
    pub peak: u64,
    pub samples: usize,
}

impl RssSampler {
    pub fn start(pid: u32, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut out = RssPeak::default();
            loop {
                if let Ok(rss) = rss_bytes(pid) {
                    out.peak = out.peak.max(rss);
                    out.samples += 1;
                }
                if flag.load(Ordering::Relaxed) {
                    return out;
                }
                std::thread::sleep(every);
            }
        });
        RssSampler { stop, handle }
    }

    pub fn stop(self) -> RssPeak {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or_default()
    }
}
