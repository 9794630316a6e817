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
     * Checks the format of a customer token (rules.md section 2); no engine needed.
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
     * One lifecycle step (docs/RULES.md, "Lifecycle"): TOKENIZED, CHARGED, DECLINED or REVOKED.
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

    /**
     * Klarna's answer to an {@code authorizePayment} call turned into lifecycle events and
     * applied to the stored record (docs/RULES.md, "From Klarna's answer to the next record"):
     * an approved tokenization makes the record; a payment result keeps the attempt
     * ({@code CHARGED} for {@code APPROVED}, nothing for {@code STEP_UP_REQUIRED},
     * {@code DECLINED} for anything else).
     *
     * @param recordJson   the stored record as JSON, or {@code null} when there is none
     * @param requestJson  the pre-flight request that was checked and then sent
     * @param responseJson the JSON body of the 2xx answer
     * @param at           when the answer arrived, RFC 3339
     * @return the record to store ({@link Transition#recordJson()} null when no record results),
     *         whether it changed, and the events applied
     * @throws InvalidRequestException when the request fails the envelope checks or the record is
     *                                 not acceptable JSON
     * @throws TransitionException     code {@code RECORD_INVALID}, {@code RESPONSE_INVALID},
     *                                 {@code INVALID_EVENT} (for {@code at}), or a lifecycle code
     *                                 ({@code RECORD_REQUIRED}, {@code INVALID_TRANSITION}, ...)
     * @throws NullPointerException    when {@code requestJson}, {@code responseJson} or {@code at} is null
     */
    public static Transition applyResponse(String recordJson, String requestJson, String responseJson, String at) {
        Objects.requireNonNull(requestJson, "requestJson");
        Objects.requireNonNull(responseJson, "responseJson");
        Objects.requireNonNull(at, "at");
        return applyResponse(recordJson == null ? null : Utf8.encode(recordJson), Utf8.encode(requestJson),
                Utf8.encode(responseJson), at);
    }

    /**
     * As {@link #applyResponse(String, String, String, String)}, from the exact bytes of the
     * record, request and response (invalid UTF-8 reaches the engine as it is).
     */
    public static Transition applyResponse(byte[] recordJson, byte[] requestJson, byte[] responseJson, String at) {
        Objects.requireNonNull(requestJson, "requestJson");
        Objects.requireNonNull(responseJson, "responseJson");
        Objects.requireNonNull(at, "at");
        return DecisionReader.readResponseTransition(Errors.okText(Errors.Call.APPLY_EVENT,
                Native.applyResponse(recordJson, requestJson, responseJson, Utf8.encode(at))));
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
