package dev.ctpolicy;

import java.util.Objects;

/**
 * The result of one lifecycle step ({@link CtPolicy#applyEvent(String, String)}).
 *
 * <p>The record holds {@code customer_token} verbatim (it is the partner's own stored
 * data), so {@link #toString()} never prints it: only its size and {@link #changed()}.
 *
 * @param recordJson the record to store, as JSON text exactly as the engine wrote it
 * @param changed    whether the record differs from the input record
 */
public record Transition(String recordJson, boolean changed) {

    public Transition {
        Objects.requireNonNull(recordJson, "recordJson");
    }

    @Override
    public String toString() {
        return "Transition[changed=" + changed + ", recordJson=<redacted, " + recordJson.length() + " chars>]";
    }
}
