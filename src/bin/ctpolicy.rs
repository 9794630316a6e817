//! The `ctpolicy` command line: a thin edge over the library for operators
//! and batch pre-flight runs. All policy logic lives in the library.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use ctpolicy::cli::{self, LineReader, Summary};
use ctpolicy::{rules, Engine};

#[derive(Parser)]
#[command(name = "ctpolicy", version, about = "Pre-flight policy checks for Klarna customer-token charges")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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

#[derive(Subcommand)]
enum Command {
    /// Check pre-flight requests (JSON Lines; stdin when no FILE).
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
        /// Request files, one JSON request a line.
        files: Vec<PathBuf>,
    },
    /// Parse tokens read from stdin, one a line (never from argv: it is
    /// visible to every user of the machine).
    Token,
    /// Apply one lifecycle event to a stored record.
    Apply {
        /// The stored record (JSON); leave out when there is none yet.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
        /// The event (JSON).
        #[arg(long, value_name = "FILE")]
        event: PathBuf,
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
    /// Check an export of stored token records (vault.md).
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
        /// Export files, one JSON record a line.
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { policy, summary, format, files } => check(policy.as_deref(), summary, format, &files),
        Command::Token => token(),
        Command::Apply { record, event } => apply(record.as_deref(), &event),
        Command::Rules { format } => print_rules(format),
        Command::Explain { rule } => explain(&rule),
        Command::Vault(VaultCommand::Lint { policy, now, stale_days, summary, format, files }) => {
            let table = format == Format::Table || (format == Format::Auto && io::stdout().is_terminal());
            let args = ctpolicy::vault::cli::LintArgs { policy, now, stale_days, summary, table, files };
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            ctpolicy::vault::cli::run(&args, &mut out, &mut io::stderr().lock()).map(|outcome| outcome.exit)
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(0),
        Err(error) => {
            eprintln!("ctpolicy: {error}");
            ExitCode::from(2)
        }
    }
}

fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

fn check(policy: Option<&Path>, summary: bool, format: Format, files: &[PathBuf]) -> io::Result<u8> {
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
                eprintln!("ctpolicy: cannot read the policy: {error}");
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
            eprintln!("ctpolicy: the policy did not load, nothing was decided: {error}");
            return Ok(2);
        }
    };
    let mut run = cli::CheckRun::new(&engine, table, io::stderr().is_terminal());
    let mut unreadable = false;
    if files.is_empty() {
        run.stream("<stdin>", LineReader::new(io::stdin().lock()), &mut out)?;
    } else {
        for path in files {
            match File::open(path) {
                Ok(file) => {
                    let name = path.display().to_string();
                    run.stream(&name, LineReader::new(BufReader::with_capacity(1 << 16, file)), &mut out)?;
                }
                Err(error) => {
                    eprintln!("ctpolicy: {}: {error}", path.display());
                    unreadable = true;
                }
            }
        }
    }
    out.flush()?;
    let totals: &Summary = run.finish();
    if summary {
        eprint!("{}", totals.render());
    }
    Ok(if unreadable || totals.errors > 0 {
        2
    } else if totals.denied > 0 {
        1
    } else {
        0
    })
}

fn token() -> io::Result<u8> {
    let mut out = BufWriter::new(io::stdout().lock());
    let mut reader = LineReader::new(io::stdin().lock());
    let mut any_invalid = false;
    while let Some((_, line)) = reader.next_line(b'\n', false)? {
        let result = match line {
            cli::Line::Text(bytes) => ctpolicy::ffi::parse_token_json(bytes),
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

fn apply(record: Option<&Path>, event: &Path) -> io::Result<u8> {
    let record = record.map(read_file).transpose()?;
    let event = read_file(event)?;
    match ctpolicy::apply_event(record.as_deref(), &event) {
        Ok(transition) => {
            println!("{}", transition.json());
            Ok(0)
        }
        Err(error) => {
            println!("{}", error.to_json());
            Ok(2)
        }
    }
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
            eprintln!("ctpolicy: no rule {name:?}; `ctpolicy rules` lists them");
            Ok(2)
        }
    }
}
