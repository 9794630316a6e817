//! The rules' checks, one file per family: each rule is one small, pure
//! function of the request's [`Facts`] and the partner's [`Policy`],
//! giving a [`Hit`] or not. The table of what rules exist is
//! [`crate::rules`]; this module evaluates it.

use std::borrow::Cow;

use crate::error::Error;
use crate::facts::Facts;
use crate::policy::Policy;
use crate::redact::redact_string;
use crate::rules::{Severity, RULES};

mod access;
mod headers;
mod partner;
mod record;
mod scope;
mod step_up;
mod token;
mod tokenization;
mod transaction;

/// A rule that fired: where, and why in words. Built only through
/// [`Hit::new`], which redacts the path and the message (docs/HYGIENE.md H4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// JSON Pointer into the request; a segment that held a token (a header
    /// named by one) is `[customer-token sha256:…]`, the others are kept.
    pub path: Cow<'static, str>,
    /// `TOKEN_MALFORMED` and `RECORD_INVALID` only.
    pub detail: Option<&'static str>,
    /// For people; may change between versions; never quotes the token.
    pub message: Cow<'static, str>,
}

impl Hit {
    /// A path or message built at run time can hold a token (a path is
    /// spelled from the caller's header name), so such text passes the
    /// redaction here, where every finding is built. A `'static` literal is
    /// text compiled into this library, never a caller's: it is kept as it
    /// is, unscanned, which also lets the writer copy it without an escape
    /// scan.
    pub fn new(path: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>) -> Self {
        Hit { path: redact_built(path.into()), detail: None, message: redact_built(message.into()) }
    }

    /// The hit with a `detail` (`TOKEN_MALFORMED`, `RECORD_INVALID`).
    pub fn with_detail(mut self, detail: &'static str) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Redacts text built at run time; a `'static` literal of this library
/// holds no caller text and is kept.
fn redact_built(text: Cow<'static, str>) -> Cow<'static, str> {
    match text {
        Cow::Borrowed(literal) => Cow::Borrowed(literal),
        Cow::Owned(built) => Cow::Owned(redact_string(built)),
    }
}

/// What a rule's check returns: a hit or not, or "cannot decide" when a
/// partner rule needs a field the request lacks (fail closed).
pub type Outcome = Result<Option<Hit>, Error>;

/// Builds the evaluator from the rule table's rows (`rules::rule_rows`),
/// resolving each row's check path here, among the family files.
macro_rules! evaluator {
    ($( $id:literal $code:ident $family:ident $severity:ident $adjustable:ident $check:path,
        $description:literal, $example:literal; )*) => {
        /// Runs every rule whose severity in `severities` (by position in
        /// `RULES`) is not `off`, in id order, calling `on_hit` for each hit.
        /// Generated from the same rows as `RULES`, with direct calls so the
        /// compiler can inline each check (the typed path depends on it).
        /// The checks it left out of line are marked `#[inline(always)]`:
        /// the caller of an out-of-line check copied its `Outcome` back in
        /// sixteen-byte loads over the callee's narrower stores, a stall
        /// that profiling put at a third of this evaluator's time.
        #[inline]
        pub(crate) fn evaluate_all(
            facts: &Facts<'_>,
            policy: &Policy,
            severities: &[Severity],
            mut on_hit: impl FnMut(usize, Severity, Hit),
        ) -> Result<(), Error> {
            let mut index = 0;
            $(
                let severity = severities[index];
                if severity != Severity::Off {
                    if let Some(hit) = $check(facts, policy)? {
                        on_hit(index, severity, hit);
                    }
                }
                index += 1;
            )*
            debug_assert_eq!(index, RULES.len());
            Ok(())
        }
    };
}

crate::rules::rule_rows!(evaluator);
