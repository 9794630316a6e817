package dev.ctpolicy.http;

/**
 * Recognises the grammar of one JSON value in bytes (RFC 8259), without building it: the
 * guard splices a body or a stored record into the pre-flight request as it is, and must know
 * first that the bytes are exactly one value, so that no bytes can close the value early and
 * add fields of their own to the request. Duplicate keys, depth, size and UTF-8 are left to
 * the engine, whose reader is strict about all of them.
 */
final class JsonShape {
    private static final int MAX_DEPTH = 512;

    private final byte[] b;
    private int pos;

    private JsonShape(byte[] b) {
        this.b = b;
    }

    /** Whether {@code bytes} hold exactly one JSON value, white space around it allowed. */
    static boolean isOneValue(byte[] bytes) {
        JsonShape r = new JsonShape(bytes);
        try {
            r.space();
            r.value(0);
            r.space();
            return r.pos == bytes.length;
        } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
            return false;
        }
    }

    /** Whether {@code bytes} hold exactly one JSON value, and it is an object. */
    static boolean isObject(byte[] bytes) {
        int i = 0;
        while (i < bytes.length && isSpace(bytes[i])) {
            i++;
        }
        return i < bytes.length && bytes[i] == '{' && isOneValue(bytes);
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private void space() {
        while (pos < b.length && isSpace(b[pos])) {
            pos++;
        }
    }

    private static IllegalArgumentException bad() {
        return new IllegalArgumentException("not JSON");
    }

    private void expect(byte c) {
        if (b[pos] != c) {
            throw bad();
        }
        pos++;
    }

    private void value(int depth) {
        if (depth > MAX_DEPTH) {
            throw bad();
        }
        switch (b[pos]) {
            case '{' -> {
                pos++;
                space();
                if (b[pos] == '}') {
                    pos++;
                    return;
                }
                while (true) {
                    space();
                    string();
                    space();
                    expect((byte) ':');
                    space();
                    value(depth + 1);
                    space();
                    if (b[pos] == ',') {
                        pos++;
                    } else {
                        expect((byte) '}');
                        return;
                    }
                }
            }
            case '[' -> {
                pos++;
                space();
                if (b[pos] == ']') {
                    pos++;
                    return;
                }
                while (true) {
                    space();
                    value(depth + 1);
                    space();
                    if (b[pos] == ',') {
                        pos++;
                    } else {
                        expect((byte) ']');
                        return;
                    }
                }
            }
            case '"' -> string();
            case 't' -> literal("true");
            case 'f' -> literal("false");
            case 'n' -> literal("null");
            default -> number();
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            expect((byte) word.charAt(i));
        }
    }

    private void string() {
        expect((byte) '"');
        while (true) {
            int c = b[pos++] & 0xFF;
            if (c == '"') {
                return;
            }
            if (c < 0x20) {
                throw bad();
            }
            if (c == '\\') {
                int e = b[pos++];
                switch (e) {
                    case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> {
                    }
                    case 'u' -> {
                        for (int i = 0; i < 4; i++) {
                            int h = b[pos++];
                            if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                                throw bad();
                            }
                        }
                    }
                    default -> throw bad();
                }
            }
        }
    }

    private void number() {
        if (b[pos] == '-') {
            pos++;
        }
        if (b[pos] == '0') {
            pos++;
        } else {
            digits();
        }
        if (pos < b.length && b[pos] == '.') {
            pos++;
            digits();
        }
        if (pos < b.length && (b[pos] == 'e' || b[pos] == 'E')) {
            pos++;
            if (b[pos] == '+' || b[pos] == '-') {
                pos++;
            }
            digits();
        }
    }

    private void digits() {
        if (!(b[pos] >= '0' && b[pos] <= '9')) {
            throw bad();
        }
        while (pos < b.length && b[pos] >= '0' && b[pos] <= '9') {
            pos++;
        }
    }
}
