//! `ctpolicy redact` and `ctpolicy scan` (docs/HYGIENE.md H2), read in 1 MiB
//! pieces and written out as they go, so memory stays flat however large
//! the input. `redact` takes its files (or stdin, `-`) as one stream, in
//! order, exactly as `cat FILE ... | ctpolicy redact` would give them, so a
//! token split across two files is still found; `scan` takes each file on
//! its own, so its lines and columns are per file.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use serde::Serialize;
use zeroize::Zeroizing;

use ctpolicy::redact::{display_name, Redactor, Report, Scanner};

/// How much is read at a time.
const READ_PIECE: usize = 1 << 20;

/// The inputs as given: stdin (`-`) when none.
fn inputs(files: &[std::path::PathBuf]) -> Vec<&Path> {
    if files.is_empty() {
        vec![Path::new("-")]
    } else {
        files.iter().map(|f| f.as_path()).collect()
    }
}

/// Reads `path` (`-` is stdin) piece by piece into `each`. An error is
/// given back as a sentence that names the file and never quotes content.
fn read_pieces(path: &Path, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> Result<(), ReadFailure> {
    let name = display_name(path);
    let mut source: Box<dyn Read> = if path == Path::new("-") {
        Box::new(io::stdin().lock())
    } else {
        match File::open(path) {
            Ok(file) => Box::new(file),
            Err(error) => return Err(ReadFailure::Input(format!("{name}: cannot open: {error}"))),
        }
    };
    // The pieces may hold tokens: the buffer is wiped when dropped.
    let mut buffer = Zeroizing::new(vec![0u8; READ_PIECE]);
    loop {
        match source.read(&mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => each(&buffer[..n]).map_err(ReadFailure::Output)?,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(ReadFailure::Input(format!("{name}: cannot read: {error}"))),
        }
    }
}

enum ReadFailure {
    /// The input could not be read: reported, the other files go on.
    Input(String),
    /// Writing the output failed: the command stops.
    Output(io::Error),
}

/// `ctpolicy redact [FILE ...]`: the files as one stream, as `cat` joins
/// them; exit 0, or 2 when a file could not be read (whatever was read of
/// it stays in the stream, and the other files are still redacted).
pub fn redact_files(files: &[std::path::PathBuf], out: &mut impl Write, err: &mut impl Write) -> io::Result<u8> {
    let mut unreadable = false;
    let mut redactor = Redactor::new();
    let mut redacted = Vec::with_capacity(READ_PIECE + READ_PIECE / 2);
    for path in inputs(files) {
        let result = read_pieces(path, |piece| {
            redactor.write(piece, &mut redacted);
            out.write_all(&redacted)?;
            redacted.clear();
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(ReadFailure::Output(error)) => return Err(error),
            Err(ReadFailure::Input(message)) => {
                writeln!(err, "ctpolicy redact: {message}")?;
                unreadable = true;
            }
        }
    }
    // The end of the last file is the end of the stream.
    redactor.finish(&mut redacted);
    out.write_all(&redacted)?;
    out.flush()?;
    Ok(if unreadable { 2 } else { 0 })
}

/// What `--summary` prints, on stderr.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSummary {
    pub files: u64,
    pub unreadable: u64,
    pub bytes: u64,
    pub occurrences: u64,
    pub well_formed: u64,
    pub files_with_occurrences: u64,
}

impl ScanSummary {
    pub fn render(&self) -> String {
        format!(
            "scanned {} file(s), {} bytes: {} token occurrence(s) ({} well-formed) in {} file(s); {} file(s) unreadable\n",
            self.files, self.bytes, self.occurrences, self.well_formed, self.files_with_occurrences, self.unreadable
        )
    }
}

const TABLE_HEADER: &str =
    "FILE                           LINE     COL  LENGTH  WELL-FORMED  FORM      REGION  FINGERPRINT";

/// One table row; the file name is shortened from the left to fit.
pub fn table_row(report: &Report) -> String {
    let file = report.file.as_deref().unwrap_or("");
    let file = if file.chars().count() > 30 {
        let tail: String = file.chars().rev().take(29).collect::<Vec<_>>().into_iter().rev().collect();
        format!("…{tail}")
    } else {
        file.to_owned()
    };
    format!(
        "{file:<30} {:>5} {:>7} {:>7}  {:<11}  {:<8}  {:<6}  {}",
        report.line,
        report.column,
        report.length,
        if report.well_formed { "yes" } else { "no" },
        report.form.unwrap_or("-"),
        report.region.as_deref().unwrap_or("-"),
        report.fingerprint
    )
}

/// `ctpolicy scan [FILE ...]`: reports as JSON Lines (or a table); exit 0
/// when none found, 1 when any, 2 when any file could not be read.
pub fn scan_files(
    files: &[std::path::PathBuf],
    table: bool,
    summary: bool,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<u8> {
    let mut totals = ScanSummary::default();
    let mut reports = Vec::new();
    if table {
        writeln!(out, "{TABLE_HEADER}")?;
    }
    fn write_reports(
        reports: &mut Vec<Report>,
        table: bool,
        out: &mut impl Write,
        totals: &mut ScanSummary,
    ) -> io::Result<()> {
        for report in reports.drain(..) {
            totals.occurrences += 1;
            totals.well_formed += u64::from(report.well_formed);
            let line = if table { table_row(&report) } else { report.to_json() };
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
    for path in inputs(files) {
        totals.files += 1;
        let found_before = totals.occurrences;
        let mut scanner = Scanner::new(Some(display_name(path)));
        let result = read_pieces(path, |piece| {
            totals.bytes += piece.len() as u64;
            scanner.write(piece, &mut reports);
            write_reports(&mut reports, table, out, &mut totals)
        });
        scanner.finish(&mut reports);
        write_reports(&mut reports, table, out, &mut totals)?;
        if totals.occurrences > found_before {
            totals.files_with_occurrences += 1;
        }
        match result {
            Ok(()) => {}
            Err(ReadFailure::Output(error)) => return Err(error),
            Err(ReadFailure::Input(message)) => {
                writeln!(err, "ctpolicy scan: {message}")?;
                totals.unreadable += 1;
            }
        }
    }
    out.flush()?;
    if summary {
        err.write_all(totals.render().as_bytes())?;
    }
    Ok(if totals.unreadable > 0 {
        2
    } else if totals.occurrences > 0 {
        1
    } else {
        0
    })
}
