package dev.ctpolicy;

import java.util.Objects;

/**
 * The engine-free calls: token format, lifecycle steps, versions.
 * Every method throws {@link NullPointerException} for a null argument unless it says otherwise.
 */
public final class CtPolicy {
    private CtPolicy() {
    }

    /**
     * Checks the format of a customer token (docs/RULES.md section 2); no engine needed.
     *
     * @param token the header value
     * @return its form, region, environment and fingerprint
     * @throws TokenFormatException code {@code TOKEN_MALFORMED} with a {@link CtPolicyException#detail()}
     *                              ({@code EMPTY}, {@code BAD_REGION}, ...), or {@code TOKEN_WRONG_TYPE}.
     *                              The message never holds the token.
     */
    public static TokenInfo parseToken(String token) {
        Objects.requireNonNull(token, "token");
        return DecisionReader.readToken(Errors.okText(Errors.Call.TOKEN_PARSE, Native.tokenParse(Utf8.encode(token))));
    }

    /** As {@link #parseToken(String)}, from the exact bytes of the header value. */
    public static TokenInfo parseToken(byte[] token) {
        Objects.requireNonNull(token, "token");
        return DecisionReader.readToken(Errors.okText(Errors.Call.TOKEN_PARSE, Native.tokenParse(token)));
    }

    /**
     * One lifecycle step (docs/RULES.md section 7): TOKENIZED, CHARGED or REVOKED.
     *
     * @param recordJson the stored record as JSON, or {@code null} when there is none yet
     * @param eventJson  the event as JSON
     * @return the record to store and whether it changed
     * @throws TransitionException     when the step is not allowed (code {@code RECORD_REQUIRED},
     *                                 {@code TOKEN_REVOKED}, {@code NOT_APPROVED}, ...)
     * @throws InvalidRequestException when the record or event is not acceptable JSON
     * @throws NullPointerException    when {@code eventJson} is null
     */
    public static Transition applyEvent(String recordJson, String eventJson) {
        Objects.requireNonNull(eventJson, "eventJson");
        byte[] record = recordJson == null ? null : Utf8.encode(recordJson);
        return DecisionReader.readTransition(Errors.okText(Errors.Call.APPLY_EVENT, Native.applyEvent(record, Utf8.encode(eventJson))));
    }

    /** The native library's version, e.g. {@code "0.1.0"}. */
    public static String libraryVersion() {
        return Native.version();
    }

    /** The ABI version of the loaded library (checked at load to be the one this binding needs). */
    public static int abiVersion() {
        return Native.abiVersion();
    }

    /** The reason code of a rule id as the library knows it ({@code 301 -> "SCOPE_MISMATCH"}), or null. */
    public static String reasonCode(int id) {
        return Native.reasonCode(id);
    }
}
