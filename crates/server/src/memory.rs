//! The process's allocator: jemalloc, for the Rust code and, through its unprefixed `malloc` and
//! `free`, for the C libraries linked in (libpq, SQLite, OpenSSL).
//!
//! What was measured, on this project's loads:
//! - Listing throughput (`make bench`, the throughput measure's request at 64 connections on
//!   PostgreSQL, server and pgbench alternating): glibc malloc 3,450–3,790 requests/s, mimalloc
//!   3,570–3,950, jemalloc 3,930–4,720; the server's CPU per request 0.32–0.36 ms with glibc,
//!   0.25–0.33 ms with jemalloc. A page is some 600 small strings decoded, then freed, per
//!   request: glibc spent a sixth of the server's CPU in malloc and free, much of it
//!   consolidating free chunks and waiting for its arena locks.
//! - Memory (`make soak`, 600 s per database): glibc's defaults let the RSS climb for the whole
//!   run with nothing leaked (150 MiB, still rising; free memory kept in the middle of its
//!   heaps); two glibc arenas and a `malloc_trim` every 15 s kept it flat at ~55 MiB;
//!   mimalloc held ~300 MiB, swinging by ±30 MiB. jemalloc's figures are in README (Soak);
//!   it hands unused pages back by itself, ten seconds after they were last used.
//!
//! Operators can tune it with jemalloc's own `MALLOC_CONF` environment variable.

#[cfg(all(target_os = "linux", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
