//go:build cgo

package ctpolicy

import (
	"bytes"
	"encoding/json"
)

// decodeTransition reads what ctp_apply_event_json and
// ctp_apply_response_json write: {"record":…,"changed":…} with
// ,"events":[{"type":…,"at":…},…] for the latter, compact, in that
// order. The record is copied out as it stands (it is any JSON object, or
// null), the rest read by hand (encoding/json's reflection was most of
// the cost of ApplyEvent and ApplyResponse); splitTransition, which the
// guard reads alone, does the splitting. Anything that does not look
// exactly like that goes through encoding/json.
func decodeTransition(out []byte, t *Transition) error {
	if decodeTransitionFast(out, t) {
		return nil
	}
	*t = Transition{}
	return json.Unmarshal(out, t)
}

func decodeTransitionFast(out []byte, t *Transition) bool {
	parts, ok := splitTransition(out)
	if !ok {
		return false
	}
	var events []Event
	if parts.hasEvents {
		list := parts.events
		events = make([]Event, 0, 2)
		for len(list) > 0 {
			var typ, at string
			if list, ok = cutString(list, `{"type":"`); !ok {
				return false
			}
			if typ, list, ok = readPlainString(list); !ok {
				return false
			}
			if list, ok = cutString(list, `,"at":"`); !ok {
				return false
			}
			if at, list, ok = readPlainString(list); !ok {
				return false
			}
			if list, ok = cutString(list, `}`); !ok {
				return false
			}
			events = append(events, Event{Type: typ, At: at})
			if len(list) > 0 {
				if list, ok = cutString(list, `,`); !ok || len(list) == 0 {
					return false
				}
			}
		}
	}
	t.Record = recordJSONOf(parts.recordCopy())
	t.Changed = parts.changed
	t.Events = events
	return true
}

// transitionParts is the library's transition output split where it
// writes its fields, {"record":…,"changed":…} and, from
// ctp_apply_response_json, ,"events":[…]: views of the output, nothing
// decoded. decodeTransition reads the events from it; the guard, which
// needs only the record and changed, reads nothing more.
type transitionParts struct {
	record  []byte // the record as written: an object, or null
	changed bool
	// events is the text between the events list's brackets; hasEvents is
	// false when the output has no events field (ctp_apply_event_json).
	events    []byte
	hasEvents bool
}

// splitTransition splits out as the library writes it; ok is false for
// any other layout (left to encoding/json). The record is written before
// "changed" and may hold that key itself (an unknown field of the
// partner's), so the last one is the transition's: the events after it
// hold only types and instants.
func splitTransition(out []byte) (parts transitionParts, ok bool) {
	const prefix = `{"record":`
	const changedKey = `,"changed":`
	if !bytes.HasPrefix(out, []byte(prefix)) || out[len(out)-1] != '}' {
		return transitionParts{}, false
	}
	i := bytes.LastIndex(out, []byte(changedKey))
	if i <= len(prefix) {
		return transitionParts{}, false
	}
	parts.record = out[len(prefix):i]
	rest := out[i+len(changedKey) : len(out)-1]
	switch {
	case bytes.HasPrefix(rest, []byte("true")):
		parts.changed, rest = true, rest[4:]
	case bytes.HasPrefix(rest, []byte("false")):
		rest = rest[5:]
	default:
		return transitionParts{}, false
	}
	if len(rest) > 0 {
		list, ok := bytes.CutPrefix(rest, []byte(`,"events":[`))
		if !ok || len(list) == 0 || list[len(list)-1] != ']' {
			return transitionParts{}, false
		}
		parts.events, parts.hasEvents = list[:len(list)-1], true
	}
	return parts, true
}

// recordCopy is the record in Go memory of its own (the output it was
// read from is wiped), nil for null.
func (p transitionParts) recordCopy() []byte {
	if bytes.Equal(p.record, []byte("null")) {
		return nil
	}
	return bytes.Clone(p.record)
}

func cutString(b []byte, prefix string) ([]byte, bool) {
	return bytes.CutPrefix(b, []byte(prefix))
}

// readPlainString reads a JSON string's text up to its closing quote; ok
// is false for one with an escape (left to encoding/json).
func readPlainString(b []byte) (string, []byte, bool) {
	for i, c := range b {
		switch c {
		case '"':
			return string(b[:i]), b[i+1:], true
		case '\\':
			return "", nil, false
		}
	}
	return "", nil, false
}

// recordToken is the record's customer_token, the key it is stored under.
// The library writes customer_token first; a record that starts
// otherwise, or whose token holds an escape, is read by encoding/json.
func recordToken(record []byte) (string, error) {
	if rest, ok := bytes.CutPrefix(record, []byte(`{"customer_token":"`)); ok {
		if token, _, ok := readPlainString(rest); ok {
			return token, nil
		}
	}
	var r struct {
		CustomerToken *string `json:"customer_token"`
	}
	if err := json.Unmarshal(record, &r); err != nil || r.CustomerToken == nil {
		return "", badOutput("a record without customer_token")
	}
	return *r.CustomerToken, nil
}
