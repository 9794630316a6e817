package dev.ctpolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds the typed values from the library's JSON. */
final class DecisionReader {
    private DecisionReader() {
    }

    /**
     * The decision, redacted first (hygiene.md H4): a token a caller put in {@code decision_id},
     * a key or a header name comes out as {@code [customer-token sha256:…]} in every field and
     * in {@link Decision#rawJson()}. The library redacts what it writes; this is idempotent, and
     * costs nothing on a decision without {@code "krn"}.
     */
    static Decision read(String raw) {
        String json = Redactor.redact(raw);
        try {
            Map<?, ?> root = (Map<?, ?>) Json.parse(json);
            String decision = (String) root.get("decision");
            if (!"ALLOW".equals(decision) && !"DENY".equals(decision)) {
                throw new IllegalArgumentException("unknown decision " + decision);
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> receipt = (Map<String, Object>) root.get("receipt");
            return new Decision("ALLOW".equals(decision), decision, (String) root.get("required_scope"),
                    hits(root.get("violations")), hits(root.get("warnings")), token(root.get("token")),
                    receipt == null ? Map.of() : receipt, json);
        } catch (ClassCastException | IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("unexpected decision JSON from the library"); // no cause: it may quote the JSON
        }
    }

    static TokenInfo readToken(String json) {
        try {
            TokenInfo info = token(Json.parse(json));
            if (info == null) {
                throw new IllegalArgumentException("null token info");
            }
            return info;
        } catch (ClassCastException | IllegalArgumentException e) {
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

    private static List<Violation> hits(Object value) {
        List<?> list = (List<?>) value;
        List<Violation> out = new ArrayList<>(list.size());
        for (Object o : list) {
            Map<?, ?> m = (Map<?, ?>) o;
            out.add(new Violation(((Long) m.get("id")).intValue(), (String) m.get("code"),
                    (String) m.get("severity"), (String) m.get("message"), (String) m.get("path"),
                    (String) m.get("detail")));
        }
        return out;
    }

    private static TokenInfo token(Object value) {
        if (value == null) {
            return null;
        }
        Map<?, ?> m = (Map<?, ?>) value;
        return new TokenInfo((String) m.get("form"), (String) m.get("region"), (String) m.get("environment"),
                (String) m.get("fingerprint"));
    }
}
