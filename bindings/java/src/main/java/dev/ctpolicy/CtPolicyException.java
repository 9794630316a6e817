package dev.ctpolicy;

/**
 * A call that could not decide. Hosts treat any of these as DENY (fail closed).
 *
 * <p>Every field comes from the engine's error object
 * {@code {"error": {"status", "code", "detail", "message", "path"}}}; {@link #code()},
 * {@link #path()} and {@link #detail()} are {@code null} where the engine gave none.
 * No message ever contains a raw token (the engine names the fault instead).
 *
 * <p>The hierarchy is sealed, so a {@code switch} over it is exhaustive:
 * {@link InvalidRequestException}, {@link PolicyException}, {@link TokenFormatException},
 * {@link TransitionException}, {@link AuditLogException}, {@link EngineException},
 * {@link RecordNotStoredException}.
 */
public abstract sealed class CtPolicyException extends RuntimeException
        permits InvalidRequestException, PolicyException, TokenFormatException, TransitionException,
                AuditLogException, EngineException, RecordNotStoredException {

    private static final long serialVersionUID = 1L;

    private final int statusCode;
    private final String status;
    private final String code;
    private final String path;
    private final String detail;
    private final String reason;
    private final String errorJson;

    /**
     * Every text field goes through the redaction (docs/HYGIENE.md H4) here, once: the library
     * already redacts what it writes, and this keeps a token out of the message even where a
     * text did not come from it.
     */
    CtPolicyException(Status status, String code, String reason, String path, String detail, String errorJson,
            Throwable cause) {
        super(compose(status.name, redact(code), redact(detail), redact(path), redact(reason)), cause);
        this.statusCode = status.number;
        this.status = status.name;
        this.code = redact(code);
        this.path = redact(path);
        this.detail = redact(detail);
        this.reason = redact(reason);
        this.errorJson = redact(errorJson);
    }

    private static String redact(String text) {
        return Texts.redact(text);
    }

    private static String compose(String status, String code, String detail, String path, String reason) {
        StringBuilder sb = new StringBuilder(status);
        if (code != null) {
            sb.append(' ').append(code);
            if (detail != null) {
                sb.append('(').append(detail).append(')');
            }
        }
        if (path != null) {
            sb.append(" at ").append(path);
        }
        if (reason != null && !reason.isEmpty()) {
            sb.append(": ").append(reason);
        }
        return sb.toString();
    }

    /** The status name without {@code CTP_}, e.g. {@code "INVALID_REQUEST"}. */
    public String status() {
        return status;
    }

    /**
     * The status number of the C ABI ({@code CTP_INVALID_REQUEST} = 100, ...), or a negative
     * number for a fault found by this binding before any native call (see {@link EngineException}).
     */
    public int statusCode() {
        return statusCode;
    }

    /** The error code, e.g. {@code "DUPLICATE_KEY"} or {@code "TOKEN_MALFORMED"}; may be null. */
    public String code() {
        return code;
    }

    /** The JSON Pointer of the fault; may be null. */
    public String path() {
        return path;
    }

    /** The detail, e.g. {@code "BAD_REGION"}; may be null. */
    public String detail() {
        return detail;
    }

    /** The engine's message, for people (it may change between versions). */
    public String reason() {
        return reason;
    }

    /**
     * The error object exactly as the library returned it ({@code {"error": {...}}}), or null
     * when the fault was found by this binding (closed engine, library not loaded).
     */
    public String errorJson() {
        return errorJson;
    }

    /** A status with its number and name. */
    record Status(int number, String name) {
    }
}
