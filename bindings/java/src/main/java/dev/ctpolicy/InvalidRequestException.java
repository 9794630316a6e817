package dev.ctpolicy;

/**
 * The request (or a lifecycle record or event) is not acceptable input: an envelope fault such as bad JSON, a duplicate key, a missing field (status `INVALID_REQUEST`), or bytes that are not UTF-8 (status `INVALID_UTF8`).
 */
public final class InvalidRequestException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    InvalidRequestException(Status status, String code, String reason, String path, String detail, String errorJson) {
        super(status, code, reason, path, detail, errorJson, null);
    }
}
