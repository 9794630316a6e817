package dev.ctpolicy;

/**
 * The policy did not load (status `INVALID_POLICY`, or `INVALID_UTF8`).
 */
public final class PolicyException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    PolicyException(Status status, String code, String reason, String path, String detail, String errorJson) {
        super(status, code, reason, path, detail, errorJson, null);
    }
}
