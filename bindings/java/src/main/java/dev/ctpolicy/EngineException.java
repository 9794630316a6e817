package dev.ctpolicy;

/**
 * The engine could not run the call: a panic caught in the library ({@code PANIC}), an
 * argument the library refused ({@code INVALID_ARGUMENT}), a closed engine (status
 * {@code INVALID_ARGUMENT}, code {@code ENGINE_CLOSED}), or a native library that could not be
 * found or loaded (status {@code LIBRARY_UNAVAILABLE}).
 */
public final class EngineException extends CtPolicyException {
    private static final long serialVersionUID = 1L;

    /** Status number of faults found in Java before any native call. */
    static final int BINDING_STATUS = -1;

    EngineException(Status status, String code, String reason, String path, String detail, String errorJson,
            Throwable cause) {
        super(status, code, reason, path, detail, errorJson, cause);
    }

    static EngineException closed() {
        return new EngineException(new Status(1, "INVALID_ARGUMENT"), "ENGINE_CLOSED", "the engine is closed",
                null, null, null, null);
    }

    static EngineException unavailable(String message, Throwable cause) {
        return new EngineException(new Status(BINDING_STATUS, "LIBRARY_UNAVAILABLE"), null, message, null, null,
                null, cause);
    }

    static EngineException internal(String message, Throwable cause) {
        return new EngineException(new Status(BINDING_STATUS, "BINDING_ERROR"), null, message, null, null, null,
                cause);
    }
}
