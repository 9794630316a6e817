package dev.ctpolicy;

/**
 * A charge was sent, but the token record it leads to could not be worked out or stored
 * (status {@code RECORD_NOT_STORED}, status number -2). The charge guard
 * ({@code dev.ctpolicy.http.ChargeGuard}) never throws this to the caller of the HTTP call
 * (the charge has happened, and an exception would invite a retry): it hands it to its
 * {@code onError} callback, so the host can keep the record elsewhere.
 *
 * <p>{@link #code()} says which step failed: {@code APPLY_FAILED} (turning Klarna's answer
 * into the next record failed: the cause is the {@link TransitionException} or
 * {@link InvalidRequestException}), {@code GET_FAILED} (reading the stored record again after
 * the answer raised: the record read before sending was used instead, and stored when the
 * answer changed it) or {@code PUT_FAILED} (storing the record raised). The message names the
 * step and the cause's class and redacted message; it never holds the record, the answer or a
 * token, and neither does {@link #toString()}. A cause that is not a ctpolicy exception (the
 * host's own, from its token store) is kept as a {@link RedactedCause}: its class name and
 * redacted message, with its stack trace, so that a printed stack trace holds no token either.
 */
public final class RecordNotStoredException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    /** Status number of this binding-side fault. */
    static final int STATUS = -2;

    private final transient String recordJson;
    private final transient byte[] responseBody;

    /**
     * @param code         {@code APPLY_FAILED}, {@code GET_FAILED} or {@code PUT_FAILED}
     * @param recordJson   the record that should have been stored, or null when it could not be
     *                     worked out
     * @param responseBody the body of Klarna's answer when the record could not be worked out
     *                     from it (it may hold a token Klarna just created), or null
     * @param cause        what failed (kept as the cause; its own text is the host's or the engine's)
     */
    public RecordNotStoredException(String code, String recordJson, byte[] responseBody, Throwable cause) {
        super(new Status(STATUS, "RECORD_NOT_STORED"), code, describe(code, cause), null, null, null,
                redacted(cause, 0));
        this.recordJson = recordJson;
        this.responseBody = responseBody == null ? null : responseBody.clone();
    }

    private static String describe(String code, Throwable cause) {
        String step = switch (String.valueOf(code)) {
            case "APPLY_FAILED" -> "Klarna's answer could not be turned into the next token record";
            case "GET_FAILED" -> "the stored token record could not be read again after the answer"
                    + " (the one read before sending was used)";
            case "PUT_FAILED" -> "the next token record could not be stored";
            default -> "the token record was not stored";
        };
        if (cause == null) {
            return step;
        }
        String text = cause.getMessage();
        // The cause's text goes through the redaction in the constructor, with the rest.
        return step + " (" + cause.getClass().getName() + (text == null ? "" : ": " + text) + ")";
    }

    /**
     * Stands in for a cause from outside ctpolicy: {@link #getMessage()} is the original's class
     * name and its message through the redaction; the stack trace is the original's.
     */
    public static final class RedactedCause extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private RedactedCause(String message) {
            super(message);
        }
    }

    private static Throwable redacted(Throwable cause, int depth) {
        if (cause == null || cause instanceof CtPolicyException) {
            return cause;
        }
        String text = cause.getMessage();
        String message = cause.getClass().getName() + (text == null ? "" : ": " + text);
        RedactedCause copy = new RedactedCause(Native.READY ? Redactor.redact(message) : message);
        copy.setStackTrace(cause.getStackTrace());
        if (depth < 8 && cause.getCause() != null && cause.getCause() != cause) {
            copy.initCause(redacted(cause.getCause(), depth + 1));
        }
        return copy;
    }

    /**
     * The record that should have been stored (JSON, holding {@code customer_token} verbatim: the
     * partner's own data), or null when it could not be worked out. Never printed by this class.
     */
    public String recordJson() {
        return recordJson;
    }

    /**
     * The body of Klarna's answer when the next record could not be worked out from it (it may
     * hold a token Klarna just created: keep it as safely as a record), or null. A copy.
     */
    public byte[] responseBody() {
        return responseBody == null ? null : responseBody.clone();
    }
}
