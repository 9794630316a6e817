//! The stable codes of failed calls: the `code` of every error object the
//! engine gives (docs/RULES.md section 6, docs/ABI.md, the audit log's
//! errors). One table, `codes!` below: the enum, its names, and what each
//! means come from it, and so do the docs' code table and the bindings'
//! code constants (tests/binding_tables.rs renders them). A code is a
//! [`Code`] everywhere in the source, so a mistyped one does not compile.
//!
//! The reason codes of the rules (`SCOPE_MISMATCH`, …) are not here: they
//! live in the rule table (`crate::rules::RULES`). A few names are both: a
//! lifecycle step refused for an invalid record is `RECORD_INVALID`, as is
//! rule 204.

use serde::{Serialize, Serializer};

/// Declares [`Code`] from one row per code: the variant, the name the
/// engine writes, and what the code means (for the docs and bindings).
macro_rules! codes {
    ($($variant:ident => $name:literal, $meaning:literal;)*) => {
        /// A stable error code, written as its name (`"DUPLICATE_KEY"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $meaning] $variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: [Code; [$(Code::$variant),*].len()] = [$(Code::$variant),*];

            /// The code as the engine writes it (`"DUPLICATE_KEY"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What the code means, one line for the docs and bindings.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    // The strict JSON reader (docs/RULES.md section 1).
    JsonSyntax => "JSON_SYNTAX", "not JSON: a syntax error, a control character in a string, an invalid escape or number";
    UnpairedSurrogate => "UNPAIRED_SURROGATE", "a unicode escape leaves a UTF-16 surrogate unpaired";
    TooLarge => "TOO_LARGE", "the input is over its size limit";
    TooDeep => "TOO_DEEP", "arrays and objects nest deeper than 64 levels";
    DuplicateKey => "DUPLICATE_KEY", "an object holds the same key twice";
    // Typed inputs: the request envelope, the policy, the vault options.
    WrongType => "WRONG_TYPE", "a value has the wrong JSON type";
    MissingField => "MISSING_FIELD", "a required field is absent (or `null` where that means absent)";
    UnknownField => "UNKNOWN_FIELD", "a field the input does not define";
    InvalidValue => "INVALID_VALUE", "a value of the right type outside what the field allows";
    NeededByRule => "NEEDED_BY_RULE", "a partner rule of the policy needs a field the request lacks";
    // The policy (docs/RULES.md section 5).
    UnknownRule => "UNKNOWN_RULE", "`severity` names a rule code that does not exist";
    RuleNotAdjustable => "RULE_NOT_ADJUSTABLE", "`severity` names a rule whose severity may not change";
    // A customer token (`ctp_token_parse`, a granted token).
    TokenMalformed => "TOKEN_MALFORMED", "the value is not a well-formed customer token (`detail` says why)";
    TokenWrongType => "TOKEN_WRONG_TYPE", "the value is a KRN of another type than customer-token";
    // The lifecycle (docs/RULES.md section 7).
    RecordInvalid => "RECORD_INVALID", "the stored record breaks docs/RULES.md section 3 (`detail` says how)";
    InvalidEvent => "INVALID_EVENT", "the event is not an object, or its type, `at` or `by` does not read";
    InvalidTransition => "INVALID_TRANSITION", "the event does not apply to the record (TOKENIZED on an existing one)";
    ResponseInvalid => "RESPONSE_INVALID", "Klarna's response does not read as the contract describes it";
    NotApproved => "NOT_APPROVED", "Klarna did not approve the tokenization";
    ScopeGrantMismatch => "SCOPE_GRANT_MISMATCH", "Klarna granted another payment scope than the one requested";
    ReferenceMismatch => "REFERENCE_MISMATCH", "the granted token reference differs from the one requested";
    RecordRequired => "RECORD_REQUIRED", "CHARGED, DECLINED and REVOKED need the stored record";
    TokenRevoked => "TOKEN_REVOKED", "a REVOKED token cannot be charged";
    // The vault lint's options (docs/VAULT.md V2).
    InvalidNow => "INVALID_NOW", "`now` is not an RFC 3339 timestamp";
    StaleDaysNeedNow => "STALE_DAYS_NEED_NOW", "stale days are given without `now`";
    InvalidStaleDays => "INVALID_STALE_DAYS", "stale days are not a decimal integer of 0 to 18446744073709551615";
    InvalidShard => "INVALID_SHARD", "a shard is not I/N with 1 <= I <= N";
    ShardAfterFeed => "SHARD_AFTER_FEED", "the shard is set after the first record was fed";
    // The audit log.
    IoError => "IO_ERROR", "a file could not be opened, read, written, locked or synced";
    InvalidArgument => "INVALID_ARGUMENT", "an argument of an audit call is not acceptable";
    TornLine => "TORN_LINE", "the log's last line has no newline (a write was cut short)";
    LineTooLong => "LINE_TOO_LONG", "a line of the log is longer than any entry";
    NotJson => "NOT_JSON", "a line of the log is not a JSON object";
    NotAnEntry => "NOT_AN_ENTRY", "a line of the log is JSON but not an audit entry";
    NotCanonical => "NOT_CANONICAL", "an entry is not written in its one canonical form";
    SeqMismatch => "SEQ_MISMATCH", "an entry's `seq` is not its place in the chain";
    PrevMismatch => "PREV_MISMATCH", "an entry's `prev` is not the hash of the entry before it";
    HeadMismatch => "HEAD_MISMATCH", "the chain verifies but ends in another head than the one expected";
    LogReplaced => "LOG_REPLACED", "the log's path names another file than the one a writer holds, or none";
    LogTruncated => "LOG_TRUNCATED", "the log is shorter than its writer left it";
    NotARegularFile => "NOT_A_REGULAR_FILE", "the log's path is not a regular file";
}

impl Code {
    /// The code whose name is `name`, if any.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|code| code.name() == name)
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Written as its name (`"DUPLICATE_KEY"`).
impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn names_are_unique_and_read_back() {
        for code in Code::ALL {
            assert_eq!(Code::from_name(code.name()), Some(code));
            assert_eq!(Code::ALL.iter().filter(|other| other.name() == code.name()).count(), 1, "{code}");
            assert!(code.name().bytes().all(|b| b.is_ascii_uppercase() || b == b'_'), "{code}");
        }
        assert_eq!(Code::from_name("NOT_A_CODE"), None);
    }
}
