package ctpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// The apply_response vectors, tests/vectors/responses.json: each case is a
// stored record (absent or null: none), the pre-flight request that was
// sent, Klarna's answer (an object, or response_text for bytes that are
// not one) and the instant it arrived; the expectation is the transition
// (record compared as a JSON value, changed, events) or the error.

type responsesFile struct {
	Cases []responseCase `json:"cases"`
}

type responseCase struct {
	Name         string                     `json:"name"`
	Record       json.RawMessage            `json:"record"`
	RecordText   *string                    `json:"record_text"`
	Request      json.RawMessage            `json:"request"`
	RequestText  *string                    `json:"request_text"`
	Response     json.RawMessage            `json:"response"`
	ResponseText *string                    `json:"response_text"`
	At           json.RawMessage            `json:"at"`
	Expect       map[string]json.RawMessage `json:"expect"`
}

// inputs are the exact bytes the case gives to ApplyResponse.
func (c responseCase) inputs() (record, request, response []byte, at string, err error) {
	switch {
	case c.RecordText != nil:
		record = []byte(*c.RecordText)
	case len(c.Record) > 0 && !bytes.Equal(bytes.TrimSpace(c.Record), []byte("null")):
		record = c.Record
	}
	request = c.Request
	if c.RequestText != nil {
		request = []byte(*c.RequestText)
	}
	response = c.Response
	if c.ResponseText != nil {
		response = []byte(*c.ResponseText)
	}
	if err := json.Unmarshal(c.At, &at); err != nil {
		return nil, nil, nil, "", fmt.Errorf("at is not a string: %s", c.At)
	}
	return record, request, response, at, nil
}

func TestResponseVectors(t *testing.T) {
	path := filepath.Join(repoRoot(t), "tests", "vectors", "responses.json")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		// The only skip: the file is not in this checkout yet. Any other
		// problem with it fails below.
		t.Skip("tests/vectors/responses.json is not in this checkout")
	}
	var file responsesFile
	readVectors(t, "responses.json", &file)
	if len(file.Cases) == 0 {
		t.Fatal("responses.json has no cases")
	}
	seen := map[string]bool{}
	for _, c := range file.Cases {
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			record, request, response, at, err := c.inputs()
			if err != nil {
				t.Fatal(err)
			}
			tr, err := ApplyResponse(record, request, response, at)
			if want, ok := c.Expect["error"]; ok {
				if err == nil {
					t.Fatalf("got %v, want error %s", tr, want)
				}
				checkErrorExpectation(t, c.Name, want, err)
				assertNoSecret(t, c.Name, "the error", fmt.Sprintf("%v %+v %#v", err, err, err), customerTokenIn(request))
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want a transition", err)
			}
			for _, key := range sortedKeys(c.Expect) {
				w := mustDecode(t, c.Expect[key])
				switch key {
				case "record":
					var g any
					if tr.Record.Len() > 0 {
						g = mustDecode(t, tr.Record.Bytes())
					}
					if !jsonEqual(w, g) {
						t.Errorf("record = %s\n  want %s", tr.Record.Bytes(), show(w))
					}
				case "changed":
					if !jsonEqual(w, tr.Changed) {
						t.Errorf("changed = %v, want %s", tr.Changed, show(w))
					}
				case "events":
					events := make([]any, len(tr.Events))
					for i, e := range tr.Events {
						events[i] = map[string]any{"type": e.Type, "at": e.At}
					}
					if !jsonEqual(w, events) {
						t.Errorf("events = %s, want %s", show(events), show(w))
					}
				default:
					t.Errorf("unknown key %q in the expectation", key)
				}
			}
			// The record holds the token; printing the transition must not.
			var rec struct {
				CustomerToken string `json:"customer_token"`
			}
			_ = json.Unmarshal(tr.Record.Bytes(), &rec)
			if len(rec.CustomerToken) >= 12 {
				assertNoSecret(t, c.Name, "the printed Transition",
					fmt.Sprintf("%v %+v %#v %s %q", tr, tr, tr, tr, tr), rec.CustomerToken)
			}
		})
	}
	t.Logf("%d response vectors", len(file.Cases))
}

// TestApplyResponse: the shapes of the Go API, independent of the vectors
// file: a renewal approved, declined and asking for step-up; a
// tokenization with the first payment; a one-time payment (no record);
// and the errors.
func TestApplyResponse(t *testing.T) {
	record := []byte(`{"customer_token":"` + testToken + `","scopes":["payment:customer_not_present"],"state":"ACTIVE"}`)
	renewal := []byte(`{"customer_present":false,"headers":{"Klarna-Customer-Token":"` + testToken + `"},` +
		`"body":{"currency":"EUR","request_payment_transaction":{"amount":1299}}}`)
	const at = "2026-11-30T12:00:00.000Z"
	answer := func(result string) []byte {
		return []byte(`{"payment_transaction_response":{"result":"` + result + `"}}`)
	}
	tr, err := ApplyResponse(record, renewal, answer("APPROVED"), at)
	if err != nil || !tr.Changed || len(tr.Events) != 1 || tr.Events[0] != (Event{"CHARGED", at}) {
		t.Fatalf("approved: %v %v", tr, err)
	}
	var got struct {
		LastUsedAt string   `json:"last_used_at"`
		Attempts   []string `json:"attempts"`
	}
	if err := json.Unmarshal(tr.Record.Bytes(), &got); err != nil || got.LastUsedAt != at || len(got.Attempts) != 1 {
		t.Errorf("approved record: %+v %v", got, err)
	}
	tr, err = ApplyResponse(record, renewal, answer("DECLINED"), at)
	if err != nil || !tr.Changed || len(tr.Events) != 1 || tr.Events[0].Type != "DECLINED" {
		t.Errorf("declined: %v %v", tr, err)
	}
	tr, err = ApplyResponse(record, renewal, answer("STEP_UP_REQUIRED"), at)
	if err != nil || tr.Changed || len(tr.Events) != 0 || tr.Events == nil || !bytes.Equal(tr.Record.Bytes(), record) {
		t.Errorf("step-up: %v %v", tr, err)
	}
	oneTime := []byte(`{"customer_present":true,"body":{"currency":"EUR","request_payment_transaction":{"amount":1299}}}`)
	tr, err = ApplyResponse(nil, oneTime, answer("APPROVED"), at)
	if err != nil || tr.Changed || tr.Record.Len() != 0 || len(tr.Events) != 0 {
		t.Errorf("one-time payment: %v %v (record %d bytes)", tr, err, tr.Record.Len())
	}
	tokenize := []byte(`{"customer_present":true,"body":{"currency":"EUR","request_payment_transaction":{"amount":1299},` +
		`"step_up_config":{},"request_customer_token":{"scopes":["payment:customer_not_present"],"customer_token_reference":"sub-1"}}}`)
	tokenized := []byte(`{"payment_transaction_response":{"result":"APPROVED"},"customer_token_response":{"result":"APPROVED",` +
		`"customer_token":{"customer_token":"` + testToken + `","scopes":["payment:customer_not_present"],"customer_token_reference":"sub-1"}}}`)
	tr, err = ApplyResponse(nil, tokenize, tokenized, at)
	if err != nil || !tr.Changed || len(tr.Events) != 2 || tr.Events[0].Type != "TOKENIZED" || tr.Events[1].Type != "CHARGED" {
		t.Fatalf("tokenization with the first payment: %v %v", tr, err)
	}
	assertNoSecret(t, "tokenization", "the printed Transition", fmt.Sprintf("%v %+v %#v %s %q", tr, tr, tr, tr, tr), testToken)
	if !bytes.Contains(tr.Record.Bytes(), []byte(testToken)) {
		t.Error("the new record does not hold its token")
	}

	_, err = ApplyResponse(record, []byte(`{"body":{}}`), answer("APPROVED"), at)
	if !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("bad request: %v", err)
	}
	var ce *Error
	_, err = ApplyResponse(record, renewal, []byte(`[1]`), at)
	if !errors.As(err, &ce) || ce.Status != StatusTransitionRejected || ce.Code != CodeResponseInvalid {
		t.Errorf("response not an object: %v", err)
	}
	_, err = ApplyResponse(record, renewal, answer("APPROVED"), "yesterday")
	if !errors.As(err, &ce) || ce.Code != CodeInvalidEvent {
		t.Errorf("bad at: %v", err)
	}
	_, err = ApplyResponse(nil, renewal, answer("APPROVED"), at)
	if !errors.As(err, &ce) || ce.Code != CodeRecordRequired {
		t.Errorf("no record: %v", err)
	}
	// ApplyEvent takes DECLINED too, and leaves Events nil.
	tr, err = ApplyEvent(record, []byte(`{"type":"DECLINED","at":"`+at+`"}`))
	if err != nil || !tr.Changed || tr.Events != nil {
		t.Errorf("ApplyEvent DECLINED: %v %v", tr, err)
	}
}

// TestDecodeTransition: the hand-written reader of the library's
// transition JSON gives what encoding/json gives, and leaves to it what
// it does not recognise.
func TestDecodeTransition(t *testing.T) {
	outputs := []string{
		`{"record":{"customer_token":"t","state":"ACTIVE"},"changed":true}`,
		`{"record":{"customer_token":"t","meta":{"changed":false,"events":[1]}},"changed":false}`,
		`{"record":{"customer_token":"t","note":",\"changed\":true"},"changed":true,"events":[]}`,
		`{"record":null,"changed":false,"events":[]}`,
		`{"record":{"customer_token":"t"},"changed":true,"events":[{"type":"TOKENIZED","at":"2026-11-30T12:00:00Z"},{"type":"CHARGED","at":"2026-11-30T12:00:00Z"}]}`,
		`{"record":{"customer_token":"t"},"changed":true,"events":[{"type":"CHARGED","at":"2026-11-30T12:00:00\u005a"}]}`,
		`{"record": {"customer_token":"t"}, "changed": true}`,
		`{"changed":true,"record":{"customer_token":"t"}}`,
		`{"record":{"customer_token":"t"},"changed":true,"events":[`,
		`{"record":{"customer_token":"t"},"changed":true,"events":[]`,
	}
	for _, out := range outputs {
		var fast, slow Transition
		fastErr := decodeTransition([]byte(out), &fast)
		slowErr := json.Unmarshal([]byte(out), &slow)
		if (fastErr != nil) != (slowErr != nil) {
			t.Errorf("%s: errors %v / %v", out, fastErr, slowErr)
			continue
		}
		if fastErr != nil {
			continue
		}
		if !bytes.Equal(fast.Record.Bytes(), slow.Record.Bytes()) || fast.Changed != slow.Changed ||
			fmt.Sprint(fast.Events) != fmt.Sprint(slow.Events) || (fast.Events == nil) != (slow.Events == nil) {
			t.Errorf("%s:\n  fast %s %v %v\n  slow %s %v %v", out, fast.Record.Bytes(), fast.Changed, fast.Events,
				slow.Record.Bytes(), slow.Changed, slow.Events)
		}
	}
	for record, want := range map[string]string{
		`{"customer_token":"krn:a","state":"ACTIVE"}`:      "krn:a",
		`{"state":"ACTIVE","customer_token":"krn:b"}`:      "krn:b",
		`{"customer_token":"krn:\u0063","state":"ACTIVE"}`: "krn:c",
	} {
		if got, err := recordToken([]byte(record)); err != nil || got != want {
			t.Errorf("recordToken(%s) = %q %v", record, got, err)
		}
	}
	if _, err := recordToken([]byte(`{"state":"ACTIVE"}`)); err == nil {
		t.Error("recordToken without customer_token")
	}
}
