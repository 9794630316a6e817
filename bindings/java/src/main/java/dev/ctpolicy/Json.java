package dev.ctpolicy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for the output of the native library.
 *
 * <p>It only ever reads text that libctpolicy produced (decision, error, token and
 * transition objects), so it is deliberately small: objects become unmodifiable
 * {@link LinkedHashMap}s in document order, arrays unmodifiable lists, integers
 * {@link Long} (or {@link BigInteger} beyond 64 bits), other numbers {@link BigDecimal}.
 * It is still strict (it rejects anything that is not JSON) so that a library bug
 * shows up as an {@link EngineException} rather than as a wrong decision.
 */
final class Json {
    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one complete JSON value. */
    static Object parse(String text) {
        Json reader = new Json(text);
        Object value = reader.value(1);
        reader.end();
        return value;
    }

    /**
     * Parses a top-level object and returns, for each member, the exact source text
     * of its value (used to hand back a record without re-serialising it).
     */
    static Map<String, String> memberTexts(String text) {
        Json reader = new Json(text);
        reader.skipSpace();
        reader.expect('{');
        Map<String, String> members = new LinkedHashMap<>();
        reader.skipSpace();
        if (reader.peek() == '}') {
            reader.pos++;
        } else {
            while (true) {
                reader.skipSpace();
                String key = reader.string();
                reader.skipSpace();
                reader.expect(':');
                reader.skipSpace();
                int start = reader.pos;
                reader.value(2);
                members.put(key, text.substring(start, reader.pos));
                reader.skipSpace();
                char c = reader.next();
                if (c == '}') {
                    break;
                }
                if (c != ',') {
                    throw reader.fail("expected ',' or '}'");
                }
            }
        }
        reader.end();
        return members;
    }

    private static final int MAX_DEPTH = 128;

    private Object value(int depth) {
        if (depth > MAX_DEPTH) {
            throw fail("nested too deeply");
        }
        skipSpace();
        char c = peek();
        switch (c) {
            case '{':
                return object(depth);
            case '[':
                return array(depth);
            case '"':
                return string();
            case 't':
                literal("true");
                return Boolean.TRUE;
            case 'f':
                literal("false");
                return Boolean.FALSE;
            case 'n':
                literal("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return number();
                }
                throw fail("unexpected character");
        }
    }

    private Map<String, Object> object(int depth) {
        expect('{');
        Map<String, Object> map = new LinkedHashMap<>();
        skipSpace();
        if (peek() == '}') {
            pos++;
            return Collections.unmodifiableMap(map);
        }
        while (true) {
            skipSpace();
            String key = string();
            skipSpace();
            expect(':');
            Object value = value(depth + 1);
            if (map.containsKey(key)) {
                throw fail("duplicate key");
            }
            map.put(key, value);
            skipSpace();
            char c = next();
            if (c == '}') {
                return Collections.unmodifiableMap(map);
            }
            if (c != ',') {
                throw fail("expected ',' or '}'");
            }
        }
    }

    private List<Object> array(int depth) {
        expect('[');
        List<Object> list = new ArrayList<>();
        skipSpace();
        if (peek() == ']') {
            pos++;
            return Collections.unmodifiableList(list);
        }
        while (true) {
            list.add(value(depth + 1));
            skipSpace();
            char c = next();
            if (c == ']') {
                return Collections.unmodifiableList(list);
            }
            if (c != ',') {
                throw fail("expected ',' or ']'");
            }
        }
    }

    private String string() {
        expect('"');
        int start = pos;
        // Fast path: no escapes.
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '"') {
                return text.substring(start, pos++);
            }
            if (c == '\\') {
                break;
            }
            if (c < 0x20) {
                throw fail("control character in string");
            }
            pos++;
        }
        StringBuilder sb = new StringBuilder(text.length() - start);
        sb.append(text, start, pos);
        while (true) {
            char c = next();
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                pos--;
                throw fail("control character in string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = next();
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> {
                    pos--;
                    throw fail("invalid escape");
                }
            }
        }
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw fail("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) {
                throw fail("invalid \\u escape");
            }
            v = (v << 4) | d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        boolean integral = true;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else {
            digits();
        }
        if (pos < text.length() && text.charAt(pos) == '.') {
            integral = false;
            pos++;
            digits();
        }
        if (pos < text.length() && (text.charAt(pos) == 'e' || text.charAt(pos) == 'E')) {
            integral = false;
            pos++;
            if (pos < text.length() && (text.charAt(pos) == '+' || text.charAt(pos) == '-')) {
                pos++;
            }
            digits();
        }
        String literal = text.substring(start, pos);
        if (!integral) {
            return new BigDecimal(literal);
        }
        if (literal.length() <= 18) {
            return Long.parseLong(literal);
        }
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private void digits() {
        int start = pos;
        while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
            pos++;
        }
        if (pos == start) {
            throw fail("expected a digit");
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw fail("invalid literal");
        }
        pos += word.length();
    }

    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private char peek() {
        if (pos >= text.length()) {
            throw fail("unexpected end of input");
        }
        return text.charAt(pos);
    }

    private char next() {
        char c = peek();
        pos++;
        return c;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw fail("expected '" + c + "'");
        }
        pos++;
    }

    private void end() {
        skipSpace();
        if (pos != text.length()) {
            throw fail("trailing data");
        }
    }

    /** The message names the offset only: the text may hold a token. */
    private IllegalArgumentException fail(String what) {
        return new IllegalArgumentException("malformed JSON from the native library: " + what + " at offset " + pos);
    }
}
