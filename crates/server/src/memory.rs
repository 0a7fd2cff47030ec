//! The process's heap under glibc: fewer arenas, and free pages handed back on a timer.
//!
//! The project's only `unsafe` code: `mallopt` and `malloc_trim` are C functions.
//!
//! What the soak measured (`make soak`, SQLite, 600 s): with glibc's defaults the RSS climbed
//! for ten minutes with nothing leaked (150 MiB, still rising); with two arenas 68 MiB, still
//! rising by ~3 MiB a minute, while heaptrack showed the live heap flat at 20–27 MiB: the rest
//! was free memory glibc kept in the middle of its heaps, fragmented by SQLite's page cache and
//! the request buffers. `malloc_trim` gives those pages back (`MADV_DONTNEED`), so the RSS
//! follows what is in use. (mimalloc was tried too: ~300 MiB, swinging by ±30 MiB.)

use std::time::Duration;

/// How often the free pages go back to the kernel. A trim walks the arenas' free chunks: well
/// under a millisecond at this heap size.
pub const TRIM_EVERY: Duration = Duration::from_secs(15);

/// glibc gives each thread that allocates concurrently an arena of its own (up to 8 per core),
/// and an arena keeps its peak. Two arenas, unless the operator set `MALLOC_ARENA_MAX`. Call it
/// first thing in `main`, before any other thread exists.
#[expect(unsafe_code, reason = "mallopt is a C function")]
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only sets a glibc malloc parameter; called before any other thread
        // exists, so nothing allocates concurrently.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

/// Hands the heaps' free pages back to the kernel (glibc only; elsewhere nothing to do).
#[expect(unsafe_code, reason = "malloc_trim is a C function")]
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes the arenas' locks itself and only releases pages of free
    // chunks; it is documented as safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Every [`TRIM_EVERY`], on a blocking thread: [`trim`].
pub async fn trim_periodically() {
    let mut tick = actix_web::rt::time::interval(TRIM_EVERY);
    loop {
        tick.tick().await;
        if let Err(e) = actix_web::web::block(trim).await {
            tracing::warn!(error = %e, "heap trim failed");
        }
    }
}
