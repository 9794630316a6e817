package dev.ctpolicy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the typed values from the library's JSON. */
final class DecisionReader {
    private DecisionReader() {
    }

    /**
     * The decision, redacted first (docs/HYGIENE.md H4): a token a caller put in {@code decision_id},
     * a key or a header name comes out as {@code [customer-token sha256:…]} in every field and
     * in {@link Decision#rawJson()}. The library redacts what it writes; this is idempotent, and
     * costs nothing on a decision without {@code "krn"}.
     */
    static Decision read(String raw) {
        String json = Redactor.redact(raw);
        try (JsonParser p = Json.parser(json)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            String decision = null;
            String requiredScope = null;
            List<Violation> violations = null;
            List<Violation> warnings = null;
            TokenInfo token = null;
            Map<String, Object> receipt = Map.of();
            Json.Members seen = new Json.Members();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "decision" -> {
                        seen.known(0);
                        decision = Json.stringOrNull(p);
                    }
                    case "required_scope" -> {
                        seen.known(1);
                        requiredScope = Json.stringOrNull(p);
                    }
                    case "violations" -> {
                        seen.known(2);
                        violations = hits(p);
                    }
                    case "warnings" -> {
                        seen.known(3);
                        warnings = hits(p);
                    }
                    case "token" -> {
                        seen.known(4);
                        token = token(p);
                    }
                    case "receipt" -> {
                        seen.known(5);
                        receipt = receipt(Json.value(p));
                    }
                    default -> { // a field of a newer library: not ours to read
                        seen.other(name);
                        p.skipChildren();
                    }
                }
            }
            Json.end(p);
            if (!"ALLOW".equals(decision) && !"DENY".equals(decision)) {
                throw new IllegalArgumentException("unknown decision");
            }
            if (violations == null || warnings == null) {
                throw new IllegalArgumentException("a decision without violations or warnings");
            }
            return new Decision("ALLOW".equals(decision), decision, requiredScope, violations, warnings, token, receipt,
                    json);
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new IllegalStateException("unexpected decision JSON from the library"); // no cause: it may quote the JSON
        }
    }

    static TokenInfo readToken(String json) {
        try (JsonParser p = Json.parser(json)) {
            p.nextToken();
            TokenInfo info = token(p);
            Json.end(p);
            if (info == null) {
                throw new IllegalArgumentException("null token info");
            }
            return info;
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalStateException("unexpected token JSON from the library"); // no cause: it may quote the JSON
        }
    }

    static Transition readTransition(String json) {
        try {
            Map<String, String> members = Json.memberTexts(json);
            String record = members.get("record");
            String changed = members.get("changed");
            if (record == null || !("true".equals(changed) || "false".equals(changed))) {
                throw new IllegalArgumentException("missing record or changed");
            }
            return new Transition(record, Boolean.parseBoolean(changed));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("unexpected transition JSON from the library"); // no cause: it may quote the JSON
        }
    }

    /** {@code {"record": … or null, "changed": …, "events": [{"type", "at"}, …]}}. */
    static Transition readResponseTransition(String json) {
        Transition fast = responseTransitionAsWritten(json);
        if (fast != null) {
            return fast;
        }
        try {
            Map<String, String> members = Json.memberTexts(json);
            String record = members.get("record");
            String changed = members.get("changed");
            String events = members.get("events");
            if (record == null || events == null || !("true".equals(changed) || "false".equals(changed))) {
                throw new IllegalArgumentException("missing record, changed or events");
            }
            List<Event> list = new ArrayList<>(2);
            for (Object o : (List<?>) Json.parse(events)) {
                Map<?, ?> m = (Map<?, ?>) o;
                list.add(new Event((String) m.get("type"), (String) m.get("at")));
            }
            return new Transition("null".equals(record) ? null : record, Boolean.parseBoolean(changed), list);
        } catch (IllegalArgumentException | ClassCastException | NullPointerException e) {
            throw new IllegalStateException("unexpected transition JSON from the library"); // no cause: it may quote the JSON
        }
    }

    /**
     * The transition in the layout the library writes, {@code {"record":…,"changed":…,
     * "events":[{"type":"…","at":"…"},…]}}, read by position (the general reader parsed the
     * whole text into a map and the events into a list of maps, the largest part of reading
     * an answer); null for any other layout, which the general reader then reads. The events
     * after the last {@code ,"changed":} hold only types and instants, so that key is the
     * transition's own (the record may hold one of the partner's).
     */
    static Transition responseTransitionAsWritten(String json) {
        final String prefix = "{\"record\":";
        final String changedKey = ",\"changed\":";
        final String eventsKey = ",\"events\":[";
        if (!json.startsWith(prefix) || !json.endsWith("]}")) {
            return null;
        }
        int changedAt = json.lastIndexOf(changedKey);
        if (changedAt <= prefix.length()) {
            return null;
        }
        int at = changedAt + changedKey.length();
        boolean changed;
        if (json.startsWith("true", at)) {
            changed = true;
            at += 4;
        } else if (json.startsWith("false", at)) {
            changed = false;
            at += 5;
        } else {
            return null;
        }
        if (!json.startsWith(eventsKey, at)) {
            return null;
        }
        at += eventsKey.length();
        int end = json.length() - 2; // the closing ]
        List<Event> events = new ArrayList<>(2);
        while (at < end) {
            if (!events.isEmpty()) {
                if (json.charAt(at) != ',') {
                    return null;
                }
                at++;
            }
            if (!json.startsWith("{\"type\":\"", at)) {
                return null;
            }
            int typeStart = at + 9;
            int typeEnd = plainStringEnd(json, typeStart, end);
            if (typeEnd < 0 || !json.startsWith(",\"at\":\"", typeEnd + 1)) {
                return null;
            }
            int atStart = typeEnd + 8;
            int atEnd = plainStringEnd(json, atStart, end);
            if (atEnd < 0 || json.charAt(atEnd + 1) != '}') {
                return null;
            }
            events.add(new Event(json.substring(typeStart, typeEnd), json.substring(atStart, atEnd)));
            at = atEnd + 2;
        }
        if (at != end) {
            return null;
        }
        String record = json.substring(prefix.length(), changedAt);
        return new Transition("null".equals(record) ? null : record, changed, events);
    }

    /** The index of the quote that closes a string starting at {@code from}; -1 for one with an escape. */
    private static int plainStringEnd(String json, int from, int limit) {
        for (int i = from; i < limit; i++) {
            char c = json.charAt(i);
            if (c == '"') {
                return i;
            }
            if (c == '\\') {
                return -1;
            }
        }
        return -1;
    }

    /** The rule hits: an array of {@code {"id", "code", "severity", "message", "path", "detail"}}. */
    private static List<Violation> hits(JsonParser p) throws IOException {
        expect(p.currentToken(), JsonToken.START_ARRAY);
        List<Violation> out = new ArrayList<>(2);
        for (JsonToken next = p.nextToken(); next != JsonToken.END_ARRAY; next = p.nextToken()) {
            expect(next, JsonToken.START_OBJECT);
            Integer id = null;
            String code = null;
            String severity = null;
            String message = null;
            String path = null;
            String detail = null;
            Json.Members seen = new Json.Members();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "id" -> {
                        seen.known(0);
                        expect(p.currentToken(), JsonToken.VALUE_NUMBER_INT);
                        id = p.getIntValue();
                    }
                    case "code" -> {
                        seen.known(1);
                        code = Json.stringOrNull(p);
                    }
                    case "severity" -> {
                        seen.known(2);
                        severity = Json.stringOrNull(p);
                    }
                    case "message" -> {
                        seen.known(3);
                        message = Json.stringOrNull(p);
                    }
                    case "path" -> {
                        seen.known(4);
                        path = Json.stringOrNull(p);
                    }
                    case "detail" -> {
                        seen.known(5);
                        detail = Json.stringOrNull(p);
                    }
                    default -> {
                        seen.other(name);
                        p.skipChildren();
                    }
                }
            }
            if (id == null) {
                throw new IllegalArgumentException("a rule hit without an id");
            }
            out.add(new Violation(id, code, severity, message, path, detail));
        }
        return out;
    }

    /** {@code {"form", "region", "environment", "fingerprint"}}, or null for a JSON null. */
    private static TokenInfo token(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        expect(p.currentToken(), JsonToken.START_OBJECT);
        String form = null;
        String region = null;
        String environment = null;
        String fingerprint = null;
        Json.Members seen = new Json.Members();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            switch (name) {
                case "form" -> {
                    seen.known(0);
                    form = Json.stringOrNull(p);
                }
                case "region" -> {
                    seen.known(1);
                    region = Json.stringOrNull(p);
                }
                case "environment" -> {
                    seen.known(2);
                    environment = Json.stringOrNull(p);
                }
                case "fingerprint" -> {
                    seen.known(3);
                    fingerprint = Json.stringOrNull(p);
                }
                default -> {
                    seen.other(name);
                    p.skipChildren();
                }
            }
        }
        return new TokenInfo(form, region, environment, fingerprint);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> receipt(Object value) {
        return value == null ? Map.of() : (Map<String, Object>) (Map<?, ?>) value;
    }

    private static void expect(JsonToken actual, JsonToken expected) {
        if (actual != expected) {
            throw new IllegalArgumentException("expected " + expected + ", found " + actual);
        }
    }
}
