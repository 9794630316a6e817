//! Progress on stderr for long runs of the command line (`check`, `redact`,
//! `scan`, `vault lint`, `audit verify`), drawn by `indicatif`.
//!
//! It is shown only when stderr is a terminal, only once a run has taken
//! more than a second, and never with `--quiet`; it never touches stdout.
//! It counts the bytes the process has read (Linux's `/proc/self/io`
//! `rchar`), so no reader of any command needs to know about it: with the
//! inputs' total size known (regular files), it is a bar with the rate and
//! the time left; otherwise (a pipe) the bytes read and the rate. It names
//! no file and holds nothing read, so it cannot show a token. Messages the
//! command writes on stderr meanwhile go out with the bar lifted
//! ([`suspend`]).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any: [`suspend`] lifts it around a message.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How long a run goes before its progress shows (milliseconds);
/// `CTPOLICY_PROGRESS_AFTER_MS` changes it (the tests show it at once).
const DEFAULT_AFTER_MS: u64 = 1000;
const TICK: Duration = Duration::from_millis(100);

/// One command's progress; stops (and clears the bar) when dropped.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// Where a command reads from: named files, or stdin (`-` or no file).
pub enum Inputs<'a> {
    Files(&'a [PathBuf]),
    One(&'a PathBuf),
}

impl Progress {
    /// No progress at all.
    pub fn none() -> Progress {
        Progress { stop: Arc::new(AtomicBool::new(true)), thread: None }
    }

    /// Progress for `label` (`"vault lint"`) reading `inputs`, unless
    /// `quiet`, stderr is not a terminal, or the bytes read cannot be
    /// counted on this system.
    pub fn start(label: &'static str, inputs: Inputs<'_>, quiet: bool) -> Progress {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress::none();
        }
        let Some(base) = bytes_read() else { return Progress::none() };
        let total = total_size(inputs);
        let after = std::env::var("CTPOLICY_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(Duration::from_millis(DEFAULT_AFTER_MS), Duration::from_millis);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("ctpolicy-progress".into())
            .spawn(move || show(label, base, total, after, &flag))
            .ok();
        Progress { stop, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs `write` with the bar (if one is drawn) lifted off the screen.
pub fn suspend<T>(write: impl FnOnce() -> T) -> T {
    let bar = ACTIVE.lock().ok().and_then(|active| active.clone());
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

fn show(label: &'static str, base: u64, total: Option<u64>, after: Duration, stop: &AtomicBool) {
    let started = Instant::now();
    while started.elapsed() < after {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(TICK.min(after));
    }
    let bar = match total {
        Some(total) => ProgressBar::with_draw_target(Some(total), target()).with_style(
            ProgressStyle::with_template(
                "{prefix} [{elapsed_precise}] [{wide_bar}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        ),
        None => ProgressBar::with_draw_target(None, target()).with_style(
            ProgressStyle::with_template("{prefix} [{elapsed_precise}] {spinner} {bytes} read ({bytes_per_sec})")
                .expect("a valid template"),
        ),
    };
    bar.set_prefix(format!("ctpolicy {label}"));
    // Drawn once at least, however soon the run ends after this.
    bar.tick();
    if let Ok(mut active) = ACTIVE.lock() {
        *active = Some(bar.clone());
    }
    while !stop.load(Ordering::Relaxed) {
        if let Some(now) = bytes_read() {
            let done = now.saturating_sub(base);
            bar.set_position(total.map_or(done, |total| done.min(total)));
        }
        bar.tick();
        std::thread::sleep(TICK);
    }
    if let Ok(mut active) = ACTIVE.lock() {
        *active = None;
    }
    bar.finish_and_clear();
}

/// The terminal behind stderr, through a descriptor of its own: the
/// commands hold the lock of Rust's `stderr` for a whole run (their
/// messages go through a redacting writer), which would stall the bar.
fn target() -> ProgressDrawTarget {
    use std::os::fd::AsFd;
    let duplicate = || std::io::stderr().as_fd().try_clone_to_owned().map(std::fs::File::from);
    match (duplicate(), duplicate()) {
        (Ok(read), Ok(write)) => ProgressDrawTarget::term(console::Term::read_write_pair(read, write), 10),
        _ => ProgressDrawTarget::hidden(),
    }
}

/// Bytes this process has read so far (every `read(2)`), where the system
/// says (Linux).
fn bytes_read() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|line| line.strip_prefix("rchar:")).and_then(|n| n.trim().parse().ok())
}

/// The inputs' total size, when every one is a regular file.
fn total_size(inputs: Inputs<'_>) -> Option<u64> {
    let stdin = PathBuf::from("/dev/stdin");
    let paths: Vec<&PathBuf> = match inputs {
        Inputs::Files([]) => vec![&stdin],
        Inputs::Files(files) => files.iter().map(|f| if f.as_os_str() == "-" { &stdin } else { f }).collect(),
        Inputs::One(file) => vec![if file.as_os_str() == "-" { &stdin } else { file }],
    };
    let mut total = 0u64;
    for path in paths {
        let metadata = std::fs::metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        total += metadata.len();
    }
    Some(total)
}
