//! Range: serving a large recording (1 GiB by default) through the API's media endpoint
//! (`GET /api/v1/recordings/{id}/media`, signed in) against nginx serving the same file
//! (`sendfile on`, started unprivileged by the bench with its own configuration on a free
//! loopback port). Two figures: the throughput of a full GET, read to the end; and the p50 of
//! random 1 MiB `Range:` requests (the same offsets on both sides). The sides alternate (A/B,
//! then B/A) after an untimed warm-up read of the whole file on each (so both serve from the page
//! cache); the throughput ratio is taken per pair.
//!
//! The recording is made the way the server finds one: a `recordings` row (source id
//! `bench-range`) pointed at a storage key with `recordings::set_media`, and the file hard-linked
//! (or copied) under that key into the server's recordings directory. Both go when the measure
//! ends. The client is the same for both sides (ureq, one connection at a time).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use confreports_store::DbConnection;
use confreports_store::report::to_db_time;
use confreports_store::schema::recordings;
use diesel::prelude::*;
use rand::{Rng as _, SeedableRng as _};

use super::{Measure, Target};
use crate::results::{Goal, Results, ms, ratio, spread};
use crate::stats::{median, percentile};

pub struct Range;

const SOURCE_ID: &str = "bench-range";
/// The size of a range request.
const RANGE: u64 = 1 << 20;
const MIN_RATIO: f64 = 0.7;
const NGINX: &str = "/usr/sbin/nginx";

fn mib_per_sec(bytes: u64, secs: f64) -> String {
    format!("{:.0} MiB/s", bytes as f64 / secs / (1024.0 * 1024.0))
}

/// The recording file: EBML magic, then pseudo-random bytes; written once, reused while its
/// size matches.
fn ensure_file(path: &Path, bytes: u64) -> anyhow::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == bytes) {
        return Ok(());
    }
    crate::log(&format!("range: writing {} MiB to {}", bytes >> 20, path.display()));
    let tmp = path.with_extension("part");
    let mut file = std::io::BufWriter::with_capacity(RANGE as usize, std::fs::File::create(&tmp)?);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x005e_ed0f_7ec0);
    let mut block = vec![0u8; RANGE as usize];
    rng.fill(&mut block[..]);
    block[..4].copy_from_slice(&confreports_store::recordings::ebml::MAGIC);
    let mut written = 0u64;
    let mut n = 0u64;
    while written < bytes {
        let len = (bytes - written).min(RANGE) as usize;
        file.write_all(&block[..len])?;
        written += len as u64;
        n += 1;
        // Every block different (no block repeats at a 1 MiB stride).
        block[8..16].copy_from_slice(&n.to_le_bytes());
    }
    file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The recording row and its file in the server's recordings directory; removed on drop.
struct Recording {
    url: String,
    dir: PathBuf,
    key: String,
    id: i64,
}

impl Recording {
    fn create(target: &Target<'_>, file: &Path, bytes: u64) -> anyhow::Result<Recording> {
        let mut conn = target.dataset.connect()?;
        remove_rows(&mut conn)?;
        let now = to_db_time(chrono::Utc::now());
        diesel::insert_into(recordings::table)
            .values((
                recordings::source_id.eq(SOURCE_ID),
                recordings::session_id.eq(SOURCE_ID),
                recordings::title.eq("Range benchmark"),
                recordings::title_sort.eq("range benchmark"),
                recordings::owner.eq(crate::auth::LOGIN),
                recordings::started_at.eq(now),
                recordings::created_at.eq(now),
            ))
            .execute(&mut conn)?;
        let id = confreports_store::recordings::by_source_id(&mut conn, SOURCE_ID)?.id;
        let key = format!("rec-{id}-bench");
        let dir = crate::server::data_dir(&target.options.work, &target.backend().to_lowercase()).join("recordings");
        let recording = Recording { url: target.dataset.url.clone(), dir: dir.clone(), key: key.clone(), id };
        confreports_store::recordings::set_media(&mut conn, id, &key, bytes as i64, None)?;
        std::fs::create_dir_all(&dir)?;
        let stored = dir.join(&key);
        let _ = std::fs::remove_file(&stored);
        if std::fs::hard_link(file, &stored).is_err() {
            std::fs::copy(file, &stored).with_context(|| format!("copying the recording to {}", stored.display()))?;
        }
        Ok(recording)
    }
}

fn remove_rows(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(recordings::table.filter(recordings::source_id.eq(SOURCE_ID))).execute(conn)
}

impl Drop for Recording {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.dir.join(&self.key));
        let removed = confreports_store::DbUrl::parse(&self.url)
            .map_err(anyhow::Error::from)
            .and_then(|u| Ok(u.connect()?))
            .and_then(|mut c| Ok(remove_rows(&mut c)?));
        if let Err(e) = removed {
            crate::log(&format!("range: recording {} not removed: {e:#}", self.id));
        }
    }
}

/// nginx as a child process serving `root` on a free loopback port; stopped on drop.
struct Nginx {
    child: Child,
    base: String,
}

impl Nginx {
    fn start(dir: &Path, root: &Path) -> anyhow::Result<Nginx> {
        ensure!(
            Path::new(NGINX).is_file(),
            "no {NGINX}; make bench installs nginx-light (scripts/install-bench-tools.sh)"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp)?;
        let q = |p: &Path| format!("\"{}\"", p.display());
        let conf = format!(
            "daemon off;\nworker_processes 2;\npid {pid};\nerror_log {err} warn;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
               client_body_temp_path {t}/body;\n  proxy_temp_path {t}/proxy;\n  fastcgi_temp_path {t}/fastcgi;\n\
               uwsgi_temp_path {t}/uwsgi;\n  scgi_temp_path {t}/scgi;\n\
               types {{ video/webm webm; }}\n  default_type application/octet-stream;\n\
               server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    location / {{ }}\n  }}\n}}\n",
            pid = q(&dir.join("nginx.pid")),
            err = q(&dir.join("error.log")),
            t = tmp.display(),
            root = q(root),
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let log = std::fs::File::create(dir.join("nginx.out"))?;
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting nginx")?;
        let mut nginx = Nginx { child, base: format!("http://127.0.0.1:{port}") };
        let started = Instant::now();
        loop {
            if let Some(status) = nginx.child.try_wait()? {
                let out = std::fs::read_to_string(dir.join("nginx.out")).unwrap_or_default();
                let err = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
                bail!("nginx exited ({status}): {out}{err}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(nginx);
            }
            ensure!(started.elapsed() < Duration::from_secs(10), "nginx did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: graceful stop of the master and its workers.
        let _ = Command::new("kill").arg("-QUIT").arg(self.child.id().to_string()).status();
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

/// One side: a URL and the headers it needs.
struct Side<'a> {
    agent: &'a ureq::Agent,
    url: String,
    cookie: Option<&'a str>,
}

impl Side<'_> {
    fn get(&self) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let req = self.agent.get(&self.url);
        match self.cookie {
            Some(c) => req.header("Cookie", c),
            None => req,
        }
    }

    /// The whole file, read to the end: seconds.
    fn full(&self, bytes: u64) -> anyhow::Result<f64> {
        let started = Instant::now();
        let mut res = self.get().call().with_context(|| format!("GET {}", self.url))?;
        ensure!(res.status() == 200, "GET {}: {}", self.url, res.status());
        let n = drain(res.body_mut().as_reader())?;
        let secs = started.elapsed().as_secs_f64();
        ensure!(n == bytes, "GET {}: {n} bytes, expected {bytes}", self.url);
        Ok(secs)
    }

    /// `RANGE` bytes from `offset`, checked against the file: seconds.
    fn range(&self, offset: u64, expected: &[u8]) -> anyhow::Result<f64> {
        let last = offset + RANGE - 1;
        let mut body = Vec::with_capacity(RANGE as usize);
        let started = Instant::now();
        let mut res = self
            .get()
            .header("Range", &format!("bytes={offset}-{last}"))
            .call()
            .with_context(|| format!("GET {} (range)", self.url))?;
        ensure!(res.status() == 206, "GET {} bytes={offset}-{last}: {}", self.url, res.status());
        res.body_mut().as_reader().read_to_end(&mut body)?;
        let secs = started.elapsed().as_secs_f64();
        ensure!(body == expected, "GET {} bytes={offset}-{last}: not the file's bytes", self.url);
        Ok(secs)
    }
}

/// Reads to the end, discarding; the number of bytes.
fn drain(mut reader: impl std::io::Read) -> std::io::Result<u64> {
    let mut buf = vec![0u8; RANGE as usize];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn read_at(file: &Path, offset: u64) -> anyhow::Result<Vec<u8>> {
    use std::io::{Seek as _, SeekFrom};
    let mut f = std::fs::File::open(file)?;
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; RANGE as usize];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

impl Measure for Range {
    fn name(&self) -> &'static str {
        "range"
    }

    fn run(&self, target: &Target<'_>, out: &mut Results) -> anyhow::Result<()> {
        let backend = target.backend();
        let options = target.options;
        let bytes = options.range_file_mib.max(2) << 20;
        let dir = options.work.join("range");
        let root = dir.join("files");
        std::fs::create_dir_all(&root)?;
        let file = root.join("recording.webm");
        ensure_file(&file, bytes)?;
        let recording = Recording::create(target, &file, bytes)?;
        let nginx = Nginx::start(&dir, &root)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(10)))
            .build()
            .into();
        let server = Side {
            agent: &agent,
            url: target.server.url(&format!("/api/v1/recordings/{}/media", recording.id)),
            cookie: target.cookie.as_deref(),
        };
        let reference = Side { agent: &agent, url: format!("{}/recording.webm", nginx.base), cookie: None };

        crate::log(&format!("{backend}: range: warm-up (a full GET on each side)"));
        server.full(bytes)?;
        reference.full(bytes)?;
        let reps = options.range_reps.max(1);
        let (mut s_secs, mut n_secs, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for rep in 0..reps {
            let (s, n) = if rep % 2 == 0 {
                let s = server.full(bytes)?;
                (s, reference.full(bytes)?)
            } else {
                let n = reference.full(bytes)?;
                (server.full(bytes)?, n)
            };
            crate::log(&format!(
                "{backend}: range: full GET {} of {reps}: server {}, nginx {}",
                rep + 1,
                mib_per_sec(bytes, s),
                mib_per_sec(bytes, n)
            ));
            s_secs.push(s);
            n_secs.push(n);
            ratios.push(n / s);
        }

        let mut rng = rand::rngs::StdRng::seed_from_u64(options.seed);
        let (mut s_ranges, mut n_ranges) = (Vec::new(), Vec::new());
        for rep in 0..reps {
            for _ in 0..options.range_requests.max(1) {
                let offset = rng.random_range(0..=bytes - RANGE);
                let expected = read_at(&file, offset)?;
                if rep % 2 == 0 {
                    s_ranges.push(server.range(offset, &expected)?);
                    n_ranges.push(reference.range(offset, &expected)?);
                } else {
                    n_ranges.push(reference.range(offset, &expected)?);
                    s_ranges.push(server.range(offset, &expected)?);
                }
            }
        }
        drop(nginx);
        drop(recording);

        let m = self.name();
        let size = format!("{} MiB file", bytes >> 20);
        let what = |s: &str| format!("{size}: {s}");
        let rate = |secs: &[f64]| mib_per_sec(bytes, median(secs));
        out.add(m, backend, what(&format!("full GET, server (median of {})", s_secs.len())), rate(&s_secs));
        out.add(m, backend, what("full GET, nginx (median)"), rate(&n_secs));
        let r = median(&ratios);
        out.add_goal(
            m,
            backend,
            what(&format!("full GET throughput server / nginx, median [min, max] of {}", ratios.len())),
            spread(&ratios),
            Goal::at_least(r, MIN_RATIO, ""),
        );
        let (s50, n50) = (median(&s_ranges), median(&n_ranges));
        out.add(m, backend, what(&format!("random 1 MiB ranges: server p50 ({} requests)", s_ranges.len())), ms(s50));
        out.add(m, backend, what("random 1 MiB ranges: nginx p50"), ms(n50));
        out.add(m, backend, what("random 1 MiB ranges: server p99 / nginx p99"), {
            format!("{} / {}", ms(percentile(&s_ranges, 99.0)), ms(percentile(&n_ranges, 99.0)))
        });
        out.add(m, backend, what("random 1 MiB ranges: nginx p50 / server p50"), ratio(n50 / s50));
        out.note(
            format!("Range on {backend}"),
            format!(
                "A {} MiB file served as recording {} by `GET /api/v1/recordings/{{id}}/media` (signed in) and by \
                 nginx (`sendfile on`, 2 workers, its own configuration under the bench work directory) on a free \
                 loopback port; one ureq client, one request at a time, reading every body to the end. Full GETs: \
                 {} per side, alternating, after one untimed GET each. Ranges: {} random 1 MiB `Range:` requests \
                 per side at the same offsets, each checked byte for byte against the file.",
                bytes >> 20,
                SOURCE_ID,
                s_secs.len(),
                s_ranges.len()
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_starts_with_the_ebml_magic_and_has_its_size() {
        let dir = std::env::temp_dir().join(format!("confreports-bench-range-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("r.webm");
        super::ensure_file(&path, 3 * super::RANGE + 5).expect("written");
        let data = std::fs::read(&path).expect("read");
        assert_eq!(data.len() as u64, 3 * super::RANGE + 5);
        assert_eq!(data[..4], confreports_store::recordings::ebml::MAGIC);
        assert_ne!(data[..super::RANGE as usize], data[super::RANGE as usize..2 * super::RANGE as usize]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
