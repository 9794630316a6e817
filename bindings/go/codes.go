package ctpolicy

// Reason codes of the rules (rules.md section 4), as they appear in
// Violation.Code. A code never changes meaning. TestReasonCodesMatchLibrary
// checks this table against the library's own (ctp_reason_code), so the two
// cannot drift apart.
const (
	CodeTokenMalformed                 = "TOKEN_MALFORMED"                   // 101
	CodeTokenWrongType                 = "TOKEN_WRONG_TYPE"                  // 102
	CodeTokenRegionNotAllowed          = "TOKEN_REGION_NOT_ALLOWED"          // 103
	CodeTokenHeaderMissing             = "TOKEN_HEADER_MISSING"              // 104
	CodeTokenRequired                  = "TOKEN_REQUIRED"                    // 105
	CodeRecordMissing                  = "RECORD_MISSING"                    // 201
	CodeRecordTokenMismatch            = "RECORD_TOKEN_MISMATCH"             // 202
	CodeTokenRevoked                   = "TOKEN_REVOKED"                     // 203
	CodeRecordInvalid                  = "RECORD_INVALID"                    // 204
	CodeUnknownScope                   = "UNKNOWN_SCOPE"                     // 205
	CodeScopeMismatch                  = "SCOPE_MISMATCH"                    // 301
	CodeStepUpNotAllowed               = "STEP_UP_NOT_ALLOWED"               // 401
	CodeStepUpRecommended              = "STEP_UP_RECOMMENDED"               // 402
	CodeStepUpConfigInvalid            = "STEP_UP_CONFIG_INVALID"            // 403
	CodeTokenizationCustomerNotPresent = "TOKENIZATION_CUSTOMER_NOT_PRESENT" // 501
	CodeTokenizationStepUpMissing      = "TOKENIZATION_STEP_UP_MISSING"      // 502
	CodeTokenizationScopesInvalid      = "TOKENIZATION_SCOPES_INVALID"       // 503
	CodeTokenizationWithToken          = "TOKENIZATION_WITH_TOKEN"           // 504
	CodeSubscriptionsRequired          = "SUBSCRIPTIONS_REQUIRED"            // 505
	CodeOndemandServiceRequired        = "ONDEMAND_SERVICE_REQUIRED"         // 506
	CodeTokenReferenceInvalid          = "TOKEN_REFERENCE_INVALID"           // 507
	CodeTokenReferenceMissing          = "TOKEN_REFERENCE_MISSING"           // 508
	CodeCurrencyInvalid                = "CURRENCY_INVALID"                  // 601
	CodeAmountInvalid                  = "AMOUNT_INVALID"                    // 602
	CodeTransactionReferenceInvalid    = "TRANSACTION_REFERENCE_INVALID"     // 603
	CodePaymentTransactionMissing      = "PAYMENT_TRANSACTION_MISSING"       // 604
	CodeNothingRequested               = "NOTHING_REQUESTED"                 // 605
	CodeIdempotencyKeyMissing          = "IDEMPOTENCY_KEY_MISSING"           // 701
	CodeIdempotencyKeyInvalid          = "IDEMPOTENCY_KEY_INVALID"           // 702
	CodeHeaderDuplicate                = "HEADER_DUPLICATE"                  // 703
	CodeCurrencyNotAllowed             = "CURRENCY_NOT_ALLOWED"              // 801
	CodeAmountLimitExceeded            = "AMOUNT_LIMIT_EXCEEDED"             // 802
	CodeChargeTooSoon                  = "CHARGE_TOO_SOON"                   // 803
	CodeAttemptLimitExceeded           = "ATTEMPT_LIMIT_EXCEEDED"            // 804
)

// ruleCodes maps every rule id to its code; the test compares it with the
// library's table over ids 0..999.
var ruleCodes = map[int]string{
	101: CodeTokenMalformed,
	102: CodeTokenWrongType,
	103: CodeTokenRegionNotAllowed,
	104: CodeTokenHeaderMissing,
	105: CodeTokenRequired,
	201: CodeRecordMissing,
	202: CodeRecordTokenMismatch,
	203: CodeTokenRevoked,
	204: CodeRecordInvalid,
	205: CodeUnknownScope,
	301: CodeScopeMismatch,
	401: CodeStepUpNotAllowed,
	402: CodeStepUpRecommended,
	403: CodeStepUpConfigInvalid,
	501: CodeTokenizationCustomerNotPresent,
	502: CodeTokenizationStepUpMissing,
	503: CodeTokenizationScopesInvalid,
	504: CodeTokenizationWithToken,
	505: CodeSubscriptionsRequired,
	506: CodeOndemandServiceRequired,
	507: CodeTokenReferenceInvalid,
	508: CodeTokenReferenceMissing,
	601: CodeCurrencyInvalid,
	602: CodeAmountInvalid,
	603: CodeTransactionReferenceInvalid,
	604: CodePaymentTransactionMissing,
	605: CodeNothingRequested,
	701: CodeIdempotencyKeyMissing,
	702: CodeIdempotencyKeyInvalid,
	703: CodeHeaderDuplicate,
	801: CodeCurrencyNotAllowed,
	802: CodeAmountLimitExceeded,
	803: CodeChargeTooSoon,
	804: CodeAttemptLimitExceeded,
}

// Codes of failed calls (Error.Code), from docs/DECISIONS.md and rules.md
// section 7. Token errors reuse CodeTokenMalformed / CodeTokenWrongType.
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
