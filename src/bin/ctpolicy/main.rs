//! The `ctpolicy` command line: a thin edge over the library for operators
//! and batch pre-flight runs. All policy logic lives in the library.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Parser, Subcommand, ValueEnum};

mod audit;
mod cli;
mod redact;
mod vault;

use audit::AuditedCheckRun;
use cli::input::{stream_input, Fill};
use cli::progress::{Inputs, Progress};
use cli::{diagnostics, LineReader, Summary};
use ctpolicy::audit::{AuditLog, AuditOptions};
use ctpolicy::redact::display_name;
use ctpolicy::{rules, Engine};

#[derive(Parser)]
#[command(name = "ctpolicy", version, about = "Pre-flight policy checks for Klarna customer-token charges")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress display on stderr (it shows only on a terminal, for
    /// runs longer than a second).
    #[arg(long, short, global = true)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table when stdout is a terminal, JSON Lines otherwise.
    Auto,
    /// One JSON object a line.
    Jsonl,
    /// A readable table.
    Table,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VerifyFormat {
    /// A readable block when stdout is a terminal, JSON otherwise.
    Auto,
    Json,
    Text,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Verify an audit log: every entry's JSON, seq and prev.
    ///
    /// Exit status: 0 when the chain verifies (and its head is the expected
    /// one), 1 when it does not (the first bad entry is named), 2 when the
    /// file cannot be read.
    Verify {
        /// Also fail unless the log's head (fingerprint of its last line)
        /// is this one: finds entries cut off its end.
        #[arg(long, value_name = "sha256:HEX")]
        expect_head: Option<String>,
        #[arg(long, value_enum, default_value_t = VerifyFormat::Auto)]
        format: VerifyFormat,
        /// The audit log (JSON Lines).
        file: PathBuf,
    },
    /// Cut the torn tail a write cut short left (the bytes after the last
    /// newline), when every entry before it verifies; never cuts an entry.
    ///
    /// Exit status: 0 when the log verifies afterwards (and says what was
    /// cut: bytes for which no decision was given), 1 when a whole entry
    /// fails (not a torn write: nothing is cut), 2 when the file cannot be
    /// read or cut.
    Repair {
        #[arg(long, value_enum, default_value_t = VerifyFormat::Auto)]
        format: VerifyFormat,
        /// The audit log (JSON Lines).
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Check pre-flight requests (stdin when no FILE).
    ///
    /// Each input is JSON Lines (one request a line), or, when its first
    /// non-blank line starts with `[`, one JSON array of requests, or, when
    /// that line starts a value it does not finish, requests spread over
    /// several lines (as pasted). Decisions and errors name the line each
    /// request starts on.
    ///
    /// Exit status: 0 when every request is ALLOW, 1 when any is DENY, 2 when
    /// any line was invalid, the policy did not load, or a file was unreadable.
    Check {
        /// Policy JSON file (default: the built-in default policy).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Print counts per decision and per code on stderr.
        #[arg(long)]
        summary: bool,
        #[arg(long, value_enum, default_value_t = Format::Auto)]
        format: Format,
        /// Append one chained entry per request to this audit log, before
        /// its decision is written out (docs/HYGIENE.md H3).
        #[arg(long, value_name = "FILE")]
        audit_log: Option<PathBuf>,
        /// fsync the audit log after every entry (else once at the end).
        #[arg(long, requires = "audit_log")]
        audit_fsync: bool,
        /// The time of every request that has no `now` (RFC 3339), or `now`
        /// for this machine's clock: the rules that need the time use it.
        #[arg(long, value_name = "T|now", allow_hyphen_values = true)]
        now: Option<String>,
        /// The `caller` of every request that has none.
        #[arg(long, value_name = "NAME", allow_hyphen_values = true)]
        caller: Option<String>,
        /// Request files (JSON Lines, a JSON array, or requests over several lines).
        files: Vec<PathBuf>,
    },
    /// The audit trail: `ctpolicy audit verify FILE`, `ctpolicy audit repair FILE`.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Parse tokens read from stdin, one a line (never from argv: it is
    /// visible to every user of the machine).
    Token,
    /// Apply one lifecycle event to a stored record: prints
    /// `{"record": {...}, "changed": true|false}`.
    ///
    /// With --event: one lifecycle event (TOKENIZED, CHARGED, DECLINED,
    /// REVOKED). With --request, --response and --at: Klarna's answer to the
    /// pre-flight request as the events it implies, applied in order.
    ///
    /// Exit status: 0 when the step was applied, 2 when it was refused or an
    /// input could not be read.
    Apply {
        /// The stored record (JSON): a bare record, or a previous `apply`'s
        /// output; leave out when there is none yet.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// The event (JSON).
        #[arg(long, value_name = "FILE", required_unless_present = "response", conflicts_with_all = ["request", "response", "at"])]
        event: Option<PathBuf>,
        /// The pre-flight request that was checked and sent (JSON).
        #[arg(long, value_name = "FILE", requires_all = ["response", "at"])]
        request: Option<PathBuf>,
        /// The JSON body of Klarna's 2xx answer to it.
        #[arg(long, value_name = "FILE", requires_all = ["request", "at"])]
        response: Option<PathBuf>,
        /// When the answer arrived (RFC 3339).
        #[arg(long, value_name = "T", requires_all = ["request", "response"])]
        at: Option<String>,
        /// Also write the bare record to FILE, atomically (it may be the
        /// --record file); nothing is written when the step is refused.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// List every rule: id, code, severity, adjustable, description.
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Explain one rule, by code or id, with an example.
    Explain {
        /// A rule code (SCOPE_MISMATCH) or id (301).
        rule: String,
    },
    /// Copy text to stdout with every customer token replaced by
    /// `[customer-token sha256:…]` (stdin when no FILE; `-` is stdin).
    ///
    /// The files are one stream, in order, exactly as `cat FILE ... |
    /// ctpolicy redact`: a token split across two files is still found.
    ///
    /// Exit status: 0, or 2 when a file could not be read (the others are
    /// still redacted).
    Redact {
        /// Files to redact, read one after the other as one stream.
        files: Vec<PathBuf>,
    },
    /// Find customer tokens that leaked into files: one JSON report a line
    /// (a table on a terminal), never the token itself.
    ///
    /// Exit status: 0 when none found, 1 when any, 2 when a file could not
    /// be read (the others are still scanned).
    Scan {
        /// Print counts on stderr.
        #[arg(long)]
        summary: bool,
        #[arg(long, value_enum, default_value_t = Format::Auto)]
        format: Format,
        /// Files to scan (stdin when none; `-` is stdin).
        files: Vec<PathBuf>,
    },
    /// Check an export of stored token records (docs/VAULT.md).
    #[command(subcommand)]
    Vault(VaultCommand),
}

#[derive(Subcommand)]
enum VaultCommand {
    /// Lint a JSON Lines export of token records (stdin when no FILE, `-`
    /// is stdin; several files are one export).
    ///
    /// Exit status: 0 when no finding is an error, 1 when any is, 2 when a
    /// file cannot be read, the policy does not load, or an option is invalid.
    Lint {
        /// Policy JSON file; only its allowed_regions is used.
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// The time to judge future and stale timestamps against (RFC 3339).
        #[arg(long, value_name = "T", allow_hyphen_values = true)]
        now: Option<String>,
        /// Flag ACTIVE records unused for more than N days (needs --now).
        #[arg(long, value_name = "N", allow_hyphen_values = true)]
        stale_days: Option<String>,
        /// Print records read, records without findings and counts per code on stderr.
        #[arg(long)]
        summary: bool,
        #[arg(long, value_enum, default_value_t = Format::Auto)]
        format: Format,
        /// Report only the findings of shard I of N (1 <= I <= N), as
        /// JSON Lines with `file_index` and a last line for `vault merge`.
        /// The N shards, run anywhere, report together exactly what one
        /// plain run reports, each with about 1/N of the memory.
        #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
        shard: Option<String>,
        /// Export files, one JSON record a line.
        files: Vec<PathBuf>,
    },
    /// Merge the outputs of the N shards of one `vault lint --shard I/N`
    /// run into the output of one plain run (same findings, same order).
    ///
    /// Exit status: as the plain run (0 or 1), or 2 when a shard is
    /// missing, repeated, from another run, unfinished or exited 2.
    Merge {
        /// The shards' outputs, in any order.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match parse_arguments() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let progress = progress(&cli.command, cli.quiet);
    let result = match cli.command {
        Command::Check { policy, summary, format, audit_log, audit_fsync, now, caller, files } => {
            let audit = audit_log.as_deref().map(|path| (path, AuditOptions { fsync_each: audit_fsync }));
            match check_fill(now.as_deref(), caller.as_deref()) {
                Ok(fill) => check(policy.as_deref(), summary, format, audit, &fill, &files),
                Err(code) => Ok(code),
            }
        }
        Command::Audit { command: AuditCommand::Verify { expect_head, format, file } } => {
            audit_verify(&file, expect_head.as_deref(), format)
        }
        Command::Audit { command: AuditCommand::Repair { format, file } } => audit_repair(&file, format),
        Command::Token => token(),
        Command::Apply { record, event, request, response, at, output } => match (event, request, response, at) {
            (Some(event), ..) => apply(record.as_deref(), &event, output.as_deref()),
            (None, Some(request), Some(response), Some(at)) => {
                apply_response(record.as_deref(), &request, &response, &at, output.as_deref())
            }
            _ => unreachable!("clap requires --event, or --request, --response and --at"),
        },
        Command::Rules { format } => print_rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::Redact { files } => {
            with_redacted_stderr(|err| redact::redact_files(&files, &mut io::stdout().lock(), err))
        }
        Command::Scan { summary, format, files } => scan(summary, format, &files),
        Command::Vault(VaultCommand::Lint { policy, now, stale_days, summary, format, shard, files }) => {
            let table = format == Format::Table || (format == Format::Auto && io::stdout().is_terminal());
            let args = vault::LintArgs { policy, now, stale_days, summary, table, files, shard };
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            with_redacted_stderr(|err| vault::run(&args, &mut out, err).map(|outcome| outcome.exit))
        }
        Command::Vault(VaultCommand::Merge { files }) => {
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            with_redacted_stderr(|err| vault::merge(&files, &mut out, err))
        }
    };
    drop(progress);
    match result {
        Ok(code) => ExitCode::from(code),
        // stdout was closed (`ctpolicy check … | head -1`): the command has
        // stopped, its audit entries are synced as at a normal end, and it
        // exits as a process killed by SIGPIPE is reported (128 + 13), so
        // that a pipeline's status shows the output was cut.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(EXIT_BROKEN_PIPE),
        Err(error) => {
            redacted_eprintln!("ctpolicy: {error}");
            ExitCode::from(2)
        }
    }
}

/// Progress on stderr for the commands that read long inputs.
fn progress(command: &Command, quiet: bool) -> Progress {
    let (label, inputs) = match command {
        Command::Check { files, .. } => ("check", Inputs::Files(files)),
        Command::Redact { files } => ("redact", Inputs::Files(files)),
        Command::Scan { files, .. } => ("scan", Inputs::Files(files)),
        Command::Vault(VaultCommand::Lint { files, .. }) => ("vault lint", Inputs::Files(files)),
        Command::Audit { command: AuditCommand::Verify { file, .. } } => ("audit verify", Inputs::One(file)),
        _ => return Progress::none(),
    };
    Progress::start(label, inputs, quiet)
}

/// The exit status of a command whose stdout was closed before it ended:
/// 141, what a shell reports for a process killed by SIGPIPE.
const EXIT_BROKEN_PIPE: u8 = 128 + 13;

/// The command line, or the exit status when there is none to run. Help
/// and version are clap's own (stdout, exit 0; help for a missing
/// subcommand on stderr, exit 2): they hold no argument. Every other
/// argument error quotes what was typed (`unexpected argument '<TOKEN>'`,
/// the most natural misuse of `ctpolicy token`), so it is rendered to
/// text, redacted and written here, with clap's exit status (2).
fn parse_arguments() -> Result<Cli, ExitCode> {
    let error = match Cli::try_parse() {
        Ok(cli) => return Ok(cli),
        Err(error) => error,
    };
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            error.exit()
        }
        _ => {
            redacted_eprint!("{}", error.render());
            Err(ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2)))
        }
    }
}

type RedactedStderr = ctpolicy::redact::RedactingWriter<io::StderrLock<'static>>;

/// Runs a command that writes its messages to a writer with stderr behind
/// the redaction, and writes the held-back tail at the end.
fn with_redacted_stderr(run: impl FnOnce(&mut RedactedStderr) -> io::Result<u8>) -> io::Result<u8> {
    let mut err = diagnostics::stderr();
    let result = run(&mut err);
    let finished = err.finish().map(drop);
    let code = result?;
    finished?;
    Ok(code)
}

/// The name errors give standard input.
const STDIN: &str = "<stdin>";

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| FileError::wrap(&display_name(path), e))
}

/// An error reading an input, with the name of the input it is about (a
/// path, or `<stdin>`): "Is a directory" alone does not say which of five
/// files was one. Kept as the source of the `io::Error` so `check` can tell
/// a bad input (report it, go on with the next file) from a failed write.
#[derive(Debug)]
struct FileError {
    name: String,
    source: io::Error,
}

impl FileError {
    fn wrap(name: &str, source: io::Error) -> io::Error {
        io::Error::new(source.kind(), FileError { name: name.to_owned(), source })
    }

    fn is_file_error(error: &io::Error) -> bool {
        error.get_ref().is_some_and(|inner| inner.is::<FileError>())
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.source)
    }
}

impl std::error::Error for FileError {}

/// A reader whose errors name what it reads.
struct NamedReader<R> {
    name: String,
    inner: R,
}

impl<R> NamedReader<R> {
    fn new(name: &str, inner: R) -> Self {
        NamedReader { name: name.to_owned(), inner }
    }
}

impl<R: Read> Read for NamedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| FileError::wrap(&self.name, e))
    }
}

impl<R: BufRead> BufRead for NamedReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let name = &self.name;
        self.inner.fill_buf().map_err(|e| FileError::wrap(name, e))
    }

    fn consume(&mut self, amount: usize) {
        self.inner.consume(amount);
    }
}

fn check(
    policy: Option<&Path>,
    summary: bool,
    format: Format,
    audit: Option<(&Path, AuditOptions)>,
    fill: &Fill,
    files: &[PathBuf],
) -> io::Result<u8> {
    let stdout = io::stdout();
    let table = match format {
        Format::Auto => stdout.is_terminal(),
        Format::Jsonl => false,
        Format::Table => true,
    };
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let policy_json = match policy {
        Some(path) => match read_file(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                redacted_eprintln!("ctpolicy: cannot read the policy: {error}");
                return Ok(2);
            }
        },
        None => Vec::new(),
    };
    let engine = match Engine::from_policy_json(&policy_json) {
        Ok(engine) => engine,
        Err(error) => {
            writeln!(out, "{}", error.to_json())?;
            out.flush()?;
            redacted_eprintln!("ctpolicy: the policy did not load, nothing was decided: {error}");
            return Ok(2);
        }
    };
    if let Some((path, options)) = audit {
        return check_audited(&engine, path, options, summary, table, fill, files, &mut out);
    }
    // (Progress is shown by cli::progress, for every long command alike.)
    let mut run = cli::CheckRun::new(&engine, table, false);
    let mut unreadable = false;
    let streamed = (|| {
        if files.is_empty() {
            let stdin = NamedReader::new(STDIN, io::stdin().lock());
            if let Err(error) = stream_input(STDIN, stdin, fill, |name, input| run.stream(name, input, &mut out)) {
                if !FileError::is_file_error(&error) {
                    return Err(error);
                }
                redacted_eprintln!("ctpolicy: {error}");
                unreadable = true;
            }
        } else {
            for path in files {
                let name = display_name(path);
                let streamed = File::open(path).map_err(|e| FileError::wrap(&name, e)).and_then(|file| {
                    let reader = NamedReader::new(&name, BufReader::with_capacity(1 << 16, file));
                    stream_input(&name, reader, fill, |name, input| run.stream(name, input, &mut out))
                });
                match streamed {
                    Ok(()) => {}
                    // An unreadable input (missing, a directory, an I/O error
                    // halfway) is reported by name; the other files still run.
                    Err(error) if FileError::is_file_error(&error) => {
                        redacted_eprintln!("ctpolicy: {error}");
                        unreadable = true;
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        out.flush()
    })();
    let totals: &Summary = run.finish();
    // The counts are of what was decided, also when stdout closed early.
    if summary {
        redacted_eprint!("{}", totals.render());
    }
    streamed?;
    Ok(if unreadable || totals.errors > 0 {
        2
    } else if totals.denied > 0 {
        1
    } else {
        0
    })
}

/// The members `check --now` and `--caller` add to requests that lack
/// them, or exit status 2 when `--now` is not a time.
fn check_fill(now: Option<&str>, caller: Option<&str>) -> Result<Fill, u8> {
    let now = match now.map(cli::input::now_argument).transpose() {
        Ok(now) => now,
        Err(message) => {
            redacted_eprintln!("ctpolicy: {message}; nothing was decided");
            return Err(2);
        }
    };
    Ok(Fill::new(now.as_deref(), caller))
}

fn scan(summary: bool, format: Format, files: &[PathBuf]) -> io::Result<u8> {
    let stdout = io::stdout();
    let table = match format {
        Format::Auto => stdout.is_terminal(),
        Format::Jsonl => false,
        Format::Table => true,
    };
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    with_redacted_stderr(|err| redact::scan_files(files, table, summary, &mut out, err))
}

/// `check --audit-log`: the log is opened (and its end verified) before
/// anything is decided; every decision is written after its entry.
#[allow(clippy::too_many_arguments)]
fn check_audited(
    engine: &Engine,
    path: &Path,
    options: AuditOptions,
    summary: bool,
    table: bool,
    fill: &Fill,
    files: &[PathBuf],
    out: &mut impl Write,
) -> io::Result<u8> {
    let log = match AuditLog::open(path, options) {
        Ok(log) => log,
        Err(failure) => {
            redacted_eprintln!("ctpolicy: the audit log cannot be appended to, nothing was decided: {failure}");
            return Ok(2);
        }
    };
    // With --audit-fsync every entry is its own append and reaches the disk
    // before its decision is written; else entries go in groups (one lock
    // hold and one write each) and the log is synced at the end.
    let group = if options.fsync_each { 1 } else { audit::GROUP_ENTRIES };
    let mut run = AuditedCheckRun::new(engine, &log, table, group);
    let mut unreadable = false;
    let streamed = (|| {
        if files.is_empty() {
            stream_input("<stdin>", io::stdin().lock(), fill, |name, input| run.stream(name, input, out))?;
        } else {
            for path in files {
                match File::open(path) {
                    Ok(file) => {
                        let name = display_name(path);
                        let reader = BufReader::with_capacity(1 << 16, file);
                        stream_input(&name, reader, fill, |name, input| run.stream(name, input, out))?;
                    }
                    Err(error) => {
                        redacted_eprintln!("ctpolicy: {}: {error}", display_name(path));
                        unreadable = true;
                    }
                }
            }
        }
        out.flush()
    })();
    let totals = run.finish();
    let rendered = totals.render();
    let code = if unreadable || totals.errors > 0 {
        2
    } else if totals.denied > 0 {
        1
    } else {
        0
    };
    drop(run);
    // The entries appended so far reach the disk whether the run ended,
    // stopped on a failed append, or stopped on a closed stdout.
    let closed = log.close();
    if summary {
        redacted_eprint!("{rendered}");
    }
    if let Err(failure) = closed {
        redacted_eprintln!("ctpolicy: the audit log could not be flushed to disk: {failure}");
        return match streamed {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Err(error),
            _ => Ok(2),
        };
    }
    streamed?;
    Ok(code)
}

fn audit_verify(file: &Path, expect_head: Option<&str>, format: VerifyFormat) -> io::Result<u8> {
    let json = match format {
        VerifyFormat::Auto => !io::stdout().is_terminal(),
        VerifyFormat::Json => true,
        VerifyFormat::Text => false,
    };
    let outcome = audit::verify_command(file, expect_head, json);
    io::stdout().lock().write_all(outcome.stdout.as_bytes())?;
    redacted_eprint!("{}", outcome.stderr);
    Ok(outcome.exit)
}

fn audit_repair(file: &Path, format: VerifyFormat) -> io::Result<u8> {
    let json = match format {
        VerifyFormat::Auto => !io::stdout().is_terminal(),
        VerifyFormat::Json => true,
        VerifyFormat::Text => false,
    };
    let outcome = audit::repair_command(file, json);
    io::stdout().lock().write_all(outcome.stdout.as_bytes())?;
    redacted_eprint!("{}", outcome.stderr);
    Ok(outcome.exit)
}

fn token() -> io::Result<u8> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut reader = LineReader::new(NamedReader::new(STDIN, io::stdin().lock()));
    let mut any_invalid = false;
    while let Some((_, line)) = reader.next_line(b'\n', false)? {
        let result = match line {
            cli::Line::Text(bytes) => ctpolicy::token::parse_token_json(bytes),
            cli::Line::TooLong => Err(cli::line_too_long()),
        };
        match result {
            Ok(info) => writeln!(out, "{info}")?,
            Err(error) => {
                any_invalid = true;
                writeln!(out, "{}", error.to_json())?;
            }
        }
    }
    out.flush()?;
    Ok(u8::from(any_invalid))
}

fn apply(record: Option<&Path>, event: &Path, output: Option<&Path>) -> io::Result<u8> {
    let record = record.map(read_file).transpose().map_err(|e| context("cannot read the record", e))?;
    let event = read_file(event).map_err(|e| context("cannot read the event", e))?;
    print_transition(ctpolicy::apply_event(record.as_deref(), &event), output)
}

/// One lifecycle step's outcome: the transition (and, with `--output`, the
/// bare record written to its file), or the error object and exit 2.
fn print_transition(result: Result<ctpolicy::Transition, ctpolicy::Error>, output: Option<&Path>) -> io::Result<u8> {
    match result {
        Ok(transition) => {
            if let Some(path) = output {
                write_record(path, &transition)?;
            }
            println!("{}", transition.json());
            Ok(0)
        }
        Err(error) => {
            println!("{}", error.to_json());
            Ok(2)
        }
    }
}

/// `apply --output`: the bare record, one line, replacing the file whole.
fn write_record(path: &Path, transition: &ctpolicy::Transition) -> io::Result<()> {
    let mut line = zeroize::Zeroizing::new(String::with_capacity(transition.record_json().len() + 1));
    line.push_str(transition.record_json());
    line.push('\n');
    cli::files::write_atomically(path, line.as_bytes())
        .map_err(|e| context(&format!("cannot write the record to {}", display_name(path)), e))
}

fn apply_response(
    record: Option<&Path>,
    request: &Path,
    response: &Path,
    at: &str,
    output: Option<&Path>,
) -> io::Result<u8> {
    let record = record.map(read_file).transpose().map_err(|e| context("cannot read the record", e))?;
    let request = read_file(request).map_err(|e| context("cannot read the request", e))?;
    let response = read_file(response).map_err(|e| context("cannot read the response", e))?;
    print_transition(ctpolicy::apply_response(record.as_deref(), &request, &response, at), output)
}

/// `what: error`, keeping the error's kind.
fn context(what: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

fn print_rules(format: RulesFormat) -> io::Result<u8> {
    let text = match format {
        RulesFormat::Text => cli::rules_text(),
        RulesFormat::Json => cli::rules_json(),
        RulesFormat::Markdown => cli::rules_markdown(),
    };
    io::stdout().lock().write_all(text.as_bytes())?;
    Ok(0)
}

fn explain(name: &str) -> io::Result<u8> {
    let rule = name.parse::<u32>().ok().and_then(rules::by_id).or_else(|| rules::by_code(&name.to_ascii_uppercase()));
    match rule {
        Some(rule) => {
            print!("{}", cli::explain(rule));
            Ok(0)
        }
        None => {
            // Redacted as given, before `{:?}` escapes it (docs/HYGIENE.md H4).
            let name = ctpolicy::redact::redact_str(name);
            redacted_eprintln!("ctpolicy: no rule {name:?}; `ctpolicy rules` lists them");
            Ok(2)
        }
    }
}
