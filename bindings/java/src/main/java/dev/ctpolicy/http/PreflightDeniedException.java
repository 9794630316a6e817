package dev.ctpolicy.http;

import dev.ctpolicy.Decision;
import java.io.IOException;
import java.util.Objects;

/**
 * The pre-flight check denied a guarded request, so it was not sent: no byte reached the
 * network. A subclass of {@link IOException}, which {@code HttpClient.send} already declares;
 * {@code sendAsync} completes its future exceptionally with it. The message names the
 * violated rules' codes; neither it nor {@link #decision()}'s text holds the token.
 */
public final class PreflightDeniedException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Decision decision;

    public PreflightDeniedException(Decision decision) {
        super("the pre-flight check denied the request; it was not sent: "
                + String.join(", ", Objects.requireNonNull(decision, "decision").codes()));
        this.decision = decision;
    }

    /** The DENY decision (violations, warnings, receipt). */
    public Decision decision() {
        return decision;
    }
}
