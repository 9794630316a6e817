package dev.ctpolicy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The layer above {@link Native}: turns a raw reply (status and bytes) into a result or the
 * matching exception. Every exception field comes from the library's error object; this class
 * adds no caller value of its own.
 */
final class Errors {
    private Errors() {
    }

    /** Which call failed decides the exception class for {@code INVALID_UTF8}. */
    enum Call {
        ENGINE_NEW, CHECK, APPLY_EVENT, TOKEN_PARSE, AUDIT
    }

    /** The reply's text on {@code CTP_OK}, else the exception of its error object. */
    static String okText(Call call, Native.Reply reply) {
        if (reply.ok()) {
            String text = text(reply.bytes());
            if (text == null) {
                throw new IllegalStateException("the library returned CTP_OK with an empty buffer");
            }
            return text;
        }
        throw of(call, reply.status(), reply.bytes());
    }

    /** UTF-8 text of library bytes, which are then wiped. */
    static String text(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        String s = new String(bytes, StandardCharsets.UTF_8);
        Arrays.fill(bytes, (byte) 0);
        return s;
    }

    /** Turns a non-OK status and its error object into the matching exception. */
    static CtPolicyException of(Call call, int status, byte[] errorBytes) {
        String json = text(errorBytes);
        Map<?, ?> e = null;
        if (json != null) {
            try {
                if (Json.parse(json) instanceof Map<?, ?> root && root.get("error") instanceof Map<?, ?> body) {
                    e = body;
                }
            } catch (IllegalArgumentException malformed) {
                throw new IllegalStateException("status " + status + " with an unreadable error object");
            }
        }
        String statusName = e == null ? null : asString(e.get("status"));
        if (statusName == null) {
            statusName = Native.statusName(status);
        }
        String code = e == null ? null : asString(e.get("code"));
        String message = e == null ? null : asString(e.get("message"));
        String path = e == null ? null : asString(e.get("path"));
        String detail = e == null ? null : asString(e.get("detail"));
        if (message == null) {
            message = "the library returned status " + statusName + " without an error object";
        }
        CtPolicyException.Status s = new CtPolicyException.Status(status, statusName);
        return switch (status) {
            case Statuses.CTP_INVALID_REQUEST -> new InvalidRequestException(s, code, message, path, detail, json);
            case Statuses.CTP_INVALID_POLICY -> new PolicyException(s, code, message, path, detail, json);
            case Statuses.CTP_TOKEN_INVALID -> new TokenFormatException(s, code, message, path, detail, json);
            case Statuses.CTP_TRANSITION_REJECTED -> new TransitionException(s, code, message, path, detail, json);
            case Statuses.CTP_IO_ERROR, Statuses.CTP_AUDIT_LOG_INVALID, Statuses.CTP_AUDIT_HEAD_MISMATCH ->
                new AuditLogException(s, code, message, json, asLong(e, "line"), asLong(e, "seq"));
            case Statuses.CTP_INVALID_UTF8 -> switch (call) {
                case ENGINE_NEW -> new PolicyException(s, code, message, path, detail, json);
                case TOKEN_PARSE -> new TokenFormatException(s, code, message, path, detail, json);
                case CHECK, APPLY_EVENT, AUDIT -> new InvalidRequestException(s, code, message, path, detail, json);
            };
            default -> new EngineException(s, code, message, path, detail, json, null);
        };
    }

    private static String asString(Object o) {
        return o instanceof String s ? s : null;
    }

    private static Long asLong(Map<?, ?> e, String key) {
        return e != null && e.get(key) instanceof Number n ? n.longValue() : null;
    }
}
