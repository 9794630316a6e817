//go:build cgo

package ctpolicy

// BatchCounts says how many requests of a CheckMany were ALLOW, DENY and
// could not be decided.
type BatchCounts struct {
	Allowed, Denied, Invalid uint64
}

// Total is the number of requests decided or rejected.
func (c BatchCounts) Total() uint64 { return c.Allowed + c.Denied + c.Invalid }

// BatchResult is the answer to one request of CheckMany: exactly one of
// Decision and Err is set, each exactly what Check returns for it.
type BatchResult struct {
	Decision *Decision
	Err      error
}

// CheckMany decides many requests in one call into the library
// (ctp_check_many): results[i] is what Check gives for requests[i], and
// counts says how many were ALLOW, DENY and not decided. A request may be
// any bytes (newlines, blanks: no framing). The error is nil whenever
// every request was handled, whatever each answer; it is ErrClosed for a
// closed engine (then there are no results).
func (e *Engine) CheckMany(requests [][]byte) ([]BatchResult, BatchCounts, error) {
	var results []BatchResult
	var counts BatchCounts
	err := e.use(func(h engineHandle) error {
		raw, c, status := rawCheckMany(h, requests)
		if status != StatusOK {
			return errorFromOutput(status, nil)
		}
		results = make([]BatchResult, len(requests))
		for i, r := range raw {
			results[i].Decision, results[i].Err = decisionOrError(r.status, r.json)
		}
		counts = c
		return nil
	})
	if err != nil {
		return nil, BatchCounts{}, err
	}
	return results, counts, nil
}
