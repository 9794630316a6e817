package dev.ctpolicy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.Version;
import com.fasterxml.jackson.core.json.PackageVersion;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the native library's JSON answers with Jackson's streaming parser ({@code jackson-core},
 * no data binding): the lexing, escapes, numbers and strictness are Jackson's, this class only
 * walks the tokens. It reads only text libctpolicy wrote, and is still strict (duplicate keys,
 * depth, anything after the value), so that a library bug shows up as an exception rather than
 * as a wrong decision. Needs jackson-core 2.15 or newer (2.x), checked when this class loads. Every fault is an {@link IllegalArgumentException} whose message gives a
 * position only: Jackson's own messages can quote the text, and the text may hold a token.
 *
 * <p>Generic values: objects become unmodifiable {@link LinkedHashMap}s in document order,
 * arrays unmodifiable lists, integers {@link Long} (or {@link java.math.BigInteger} beyond 64
 * bits), other numbers {@link java.math.BigDecimal}. {@link DecisionReader} walks the decision's
 * tokens itself, without building a map first.
 */
final class Json {
    private Json() {
    }

    /** Deeper than anything the library writes; the engine refuses requests deeper than 64. */
    private static final int MAX_DEPTH = 128;

    /**
     * Without Jackson's duplicate detection, which costs a hash set per object (a tenth of a
     * check, measured: BENCHMARKS.md): every reader here sees each member name anyway and
     * refuses a repeated one itself ({@link Members}).
     */
    private static final JsonFactory FACTORY = factory();

    private static JsonFactory factory() {
        // First, so that an older jackson-core on the classpath is named, not a missing method.
        Version found = PackageVersion.VERSION;
        if (found.getMajorVersion() != 2 || found.getMinorVersion() < 15) {
            throw new IllegalStateException("ctpolicy reads the library's answers with jackson-core 2.15 or newer (2.x);"
                    + " the classpath has jackson-core " + found);
        }
        return JsonFactory.builder()
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
                .build();
    }

    /**
     * The member names of one JSON object, to refuse a repeated one. The names a reader knows
     * are bits of a mask (no allocation); others, which today's library never writes, go to a
     * set made on first use.
     */
    static final class Members {
        private long known;
        private java.util.Set<String> others;

        /** Notes known name number {@code bit} (0 to 63). */
        void known(int bit) {
            if ((known & (1L << bit)) != 0) {
                throw new IllegalArgumentException("a repeated member in a JSON object");
            }
            known |= 1L << bit;
        }

        /** Notes a name the reader does not know. */
        void other(String name) {
            if (others == null) {
                others = new java.util.HashSet<>();
            }
            if (!others.add(name)) {
                throw new IllegalArgumentException("a repeated member in a JSON object");
            }
        }
    }

    /** A parser over {@code text}, not yet advanced; close it (try-with-resources). */
    static JsonParser parser(String text) {
        try {
            return FACTORY.createParser(text);
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /** A Jackson fault as this class's exception: the position, never the text around it. */
    static IllegalArgumentException malformed(IOException e) {
        long at = e instanceof JsonProcessingException j && j.getLocation() != null ? j.getLocation().getCharOffset() : -1;
        return new IllegalArgumentException(at >= 0 ? "not JSON as expected at character " + at : "not JSON as expected");
    }

    /** Parses one complete JSON value. */
    static Object parse(String text) {
        try (JsonParser p = parser(text)) {
            if (p.nextToken() == null) {
                throw new IllegalArgumentException("no JSON value");
            }
            Object value = value(p);
            end(p);
            return value;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    /**
     * Parses a top-level object and returns, for each member, the exact source text of its value
     * (used to hand back a record without re-serialising it).
     */
    static Map<String, String> memberTexts(String text) {
        try (JsonParser p = parser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            Map<String, String> members = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken token = p.nextToken();
                int start = offset(p.currentTokenLocation());
                if (token.isStructStart()) {
                    p.skipChildren();
                } else if (token == JsonToken.VALUE_STRING) {
                    p.getText(); // a string is read lazily: finish it, so the location is past it
                }
                if (members.put(key, text.substring(start, offset(p.currentLocation()))) != null) {
                    throw new IllegalArgumentException("a repeated member in a JSON object");
                }
            }
            end(p);
            return members;
        } catch (IOException e) {
            throw malformed(e);
        }
    }

    private static int offset(JsonLocation location) {
        long at = location.getCharOffset();
        if (at < 0 || at > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("no position for a JSON value");
        }
        return (int) at;
    }

    /** The value that starts at the parser's current token, read whole. */
    static Object value(JsonParser p) throws IOException {
        JsonToken token = p.currentToken();
        if (token == null) {
            throw new IllegalArgumentException("no JSON value");
        }
        switch (token) {
            case START_OBJECT: {
                Map<String, Object> map = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    if (map.containsKey(key)) {
                        throw new IllegalArgumentException("a repeated member in a JSON object");
                    }
                    map.put(key, value(p));
                }
                return Collections.unmodifiableMap(map);
            }
            case START_ARRAY: {
                List<Object> list = new ArrayList<>();
                for (JsonToken next = p.nextToken(); next != JsonToken.END_ARRAY; next = p.nextToken()) {
                    if (next == null) {
                        throw new IllegalArgumentException("unterminated JSON array");
                    }
                    list.add(value(p));
                }
                return Collections.unmodifiableList(list);
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getBigIntegerValue() : p.getLongValue();
            case VALUE_NUMBER_FLOAT:
                return p.getDecimalValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw new IllegalArgumentException("unexpected JSON token " + token);
        }
    }

    /** A string value, or null for a JSON null; anything else is a fault. */
    static String stringOrNull(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case VALUE_STRING -> p.getText();
            case VALUE_NULL -> null;
            default -> throw new IllegalArgumentException("expected a string at character "
                    + p.currentTokenLocation().getCharOffset());
        };
    }

    /** After the top-level value: nothing but white space may follow. */
    static void end(JsonParser p) throws IOException {
        if (p.nextToken() != null) {
            throw new IllegalArgumentException("more than one JSON value");
        }
    }
}
