package dev.ctpolicy;

/**
 * The value is not a customer token (status `TOKEN_INVALID`: code `TOKEN_MALFORMED` with its detail, or `TOKEN_WRONG_TYPE`; or `INVALID_UTF8`).
 */
public final class TokenFormatException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    TokenFormatException(Status status, String code, String reason, String path, String detail, String errorJson) {
        super(status, code, reason, path, detail, errorJson, null);
    }
}
