package dev.ctpolicy;

import java.util.Objects;

/**
 * One lifecycle event that {@link CtPolicy#applyResponse(String, String, String, String)}
 * applied: its {@code type} ({@code TOKENIZED}, {@code CHARGED} or {@code DECLINED}) and
 * {@code at} (RFC 3339, as given). Never the response itself, which holds the token.
 *
 * @param type the event type
 * @param at   when it happened, RFC 3339 as given
 */
public record Event(String type, String at) {

    /** @throws NullPointerException for a null type or instant */
    public Event {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(at, "at");
    }

    /** Both fields go through the redaction, whatever a caller stored in them. */
    @Override
    public String toString() {
        return "Event[type=" + Redactor.redact(type) + ", at=" + Redactor.redact(at) + "]";
    }
}
