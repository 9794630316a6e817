package dev.ctpolicy;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The result of a lifecycle step ({@link CtPolicy#applyEvent(String, String)}) or of Klarna's
 * answer turned into lifecycle steps ({@link CtPolicy#applyResponse(String, String, String, String)}).
 *
 * <p>The record holds {@code customer_token} verbatim (it is the partner's own stored
 * data), so {@link #toString()} never prints it: only its size, {@link #changed()} and the
 * events.
 *
 * @param recordJson the record to store, as JSON text exactly as the engine wrote it; null when
 *                   no record results ({@code applyResponse} without a record and without an
 *                   approved tokenization); never null from {@code applyEvent}
 * @param changed    whether the record differs from the input record (a new record included)
 * @param events     the lifecycle events applied, in order ({@code applyResponse}); empty for
 *                   {@code applyEvent}
 */
public record Transition(String recordJson, boolean changed, List<Event> events) {

    /** @throws NullPointerException when {@code events} is null */
    public Transition {
        events = List.copyOf(Objects.requireNonNull(events, "events"));
    }

    /** A transition without events (what {@code applyEvent} returns). */
    public Transition(String recordJson, boolean changed) {
        this(Objects.requireNonNull(recordJson, "recordJson"), changed, List.of());
    }

    /**
     * The record's {@code customer_token} (the key to store it under), or empty when there is
     * no record or its {@code customer_token} is not a string. A secret: do not log it.
     */
    public Optional<String> customerToken() {
        if (recordJson == null) {
            return Optional.empty();
        }
        try {
            if (Json.parse(recordJson) instanceof Map<?, ?> record && record.get("customer_token") instanceof String s) {
                return Optional.of(s);
            }
        } catch (IllegalArgumentException notJson) {
            // the engine always writes JSON; a hand-made Transition may not hold any
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return "Transition[changed=" + changed + ", recordJson="
                + (recordJson == null ? "null" : "<redacted, " + recordJson.length() + " chars>") + ", events="
                + events + "]";
    }
}
