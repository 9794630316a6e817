//go:build cgo

package ctpolicy

// The reason codes of the rules (CodeTokenMalformed ...) and ruleCodes, and
// the codes of failed calls (Error.Code: CodeJSONSyntax, CodeNotApproved ...)
// are generated from the engine's rule and code tables into tables_gen.go
// (`make tables`). A code that is both (CodeRecordInvalid, CodeTokenRevoked)
// is defined once, with the rules. TestReasonCodesMatchLibrary checks the
// rule codes against the library's own (ctp_reason_code).
