package dev.ctpolicy;

/**
 * The lifecycle step is not allowed (status `TRANSITION_REJECTED`), with the code of docs/RULES.md section 7 (`RECORD_REQUIRED`, `TOKEN_REVOKED`, ...) and its detail where there is one.
 */
public final class TransitionException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    TransitionException(Status status, String code, String reason, String path, String detail, String errorJson) {
        super(status, code, reason, path, detail, errorJson, null);
    }
}
