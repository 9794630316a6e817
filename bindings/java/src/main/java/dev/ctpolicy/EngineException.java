package dev.ctpolicy;

/**
 * The library could not run the call: a panic caught in it ({@code PANIC}) or another status
 * without a more specific exception, or a native library that could not be found or loaded
 * (status {@code LIBRARY_UNAVAILABLE}, status number -1). Misuse of the binding (a closed engine
 * or log, a bad argument) is an {@link IllegalStateException} or
 * {@link IllegalArgumentException} instead.
 */
public final class EngineException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    /** Status number of faults found in Java before any native call. */
    static final int BINDING_STATUS = -1;

    EngineException(Status status, String code, String reason, String path, String detail, String errorJson,
            Throwable cause) {
        super(status, code, reason, path, detail, errorJson, cause);
    }

    static EngineException unavailable(String message, Throwable cause) {
        return new EngineException(new Status(BINDING_STATUS, "LIBRARY_UNAVAILABLE"), null, message, null, null,
                null, cause);
    }
}
