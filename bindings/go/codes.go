//go:build cgo

package ctpolicy

// The reason codes of the rules (CodeTokenMalformed ...) and ruleCodes are
// generated from the engine's rule table into tables_gen.go (`make tables`).
// TestReasonCodesMatchLibrary checks them against the library's own
// (ctp_reason_code).

// Codes of failed calls (Error.Code), from docs/DECISIONS.md and docs/RULES.md
// ("Lifecycle"). Token errors reuse CodeTokenMalformed / CodeTokenWrongType.
const (
	// Envelope faults (StatusInvalidRequest, StatusInvalidPolicy).
	CodeJSONSyntax        = "JSON_SYNTAX"
	CodeUnpairedSurrogate = "UNPAIRED_SURROGATE"
	CodeTooLarge          = "TOO_LARGE"
	CodeTooDeep           = "TOO_DEEP"
	CodeDuplicateKey      = "DUPLICATE_KEY"
	CodeWrongType         = "WRONG_TYPE"
	CodeMissingField      = "MISSING_FIELD"
	CodeUnknownField      = "UNKNOWN_FIELD"
	CodeInvalidValue      = "INVALID_VALUE"
	CodeNeededByRule      = "NEEDED_BY_RULE"
	// Policy only.
	CodeUnknownRule       = "UNKNOWN_RULE"
	CodeRuleNotAdjustable = "RULE_NOT_ADJUSTABLE"
	// Lifecycle (StatusTransitionRejected); CodeRecordInvalid and
	// CodeTokenRevoked are shared with the rules above.
	CodeInvalidEvent       = "INVALID_EVENT"
	CodeInvalidTransition  = "INVALID_TRANSITION"
	CodeResponseInvalid    = "RESPONSE_INVALID"
	CodeNotApproved        = "NOT_APPROVED"
	CodeScopeGrantMismatch = "SCOPE_GRANT_MISMATCH"
	CodeReferenceMismatch  = "REFERENCE_MISMATCH"
	CodeRecordRequired     = "RECORD_REQUIRED"
)
