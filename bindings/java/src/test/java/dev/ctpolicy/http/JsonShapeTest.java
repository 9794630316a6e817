package dev.ctpolicy.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The guard's check that bytes are exactly one JSON value (so that splicing them adds nothing). */
class JsonShapeTest {

    @ParameterizedTest(name = "[{index}] {0} -> one value {1}, object {2}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{}|true|true",
        "` {\"a\": [1, -2.5e+3, true, false, null, \"x\\\"y\\u00e9\"]}\n`|true|true",
        "[]|true|false",
        "\"text\"|true|false",
        "0|true|false",
        "-0.0E-0|true|false",
        "``|false|false",
        "` `|false|false",
        "{|false|false",
        "{}}|false|false",
        "{} {}|false|false",
        "`{\"a\":1},\"counters\":{}`|false|false",
        "`{\"a\":1}, \"b\"`|false|false",
        "01|false|false",
        "1.|false|false",
        "+1|false|false",
        ".5|false|false",
        "tru|false|false",
        "nul|false|false",
        "`{\"a\" 1}`|false|false",
        "`{\"a\":1,}`|false|false",
        "`[1,]`|false|false",
        "`{\"a\\x\":1}`|false|false",
        "`{\"a\\u12g4\":1}`|false|false",
        "`{'a':1}`|false|false",
        "`{\"a\":\"unterminated}`|false|false",
    })
    void recognisesOneValue(String text, boolean one, boolean object) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertEquals(one, JsonShape.isOneValue(bytes), text);
        assertEquals(object, JsonShape.isObject(bytes), text);
    }

    @org.junit.jupiter.api.Test
    void controlCharactersInStringsAndDeepNesting() {
        assertEquals(false, JsonShape.isOneValue("\"a\nb\"".getBytes(StandardCharsets.UTF_8)));
        assertEquals(true, JsonShape.isOneValue("[".repeat(500).concat("]".repeat(500)).getBytes(StandardCharsets.UTF_8)));
        assertEquals(false, JsonShape.isOneValue("[".repeat(600).concat("]".repeat(600)).getBytes(StandardCharsets.UTF_8)));
        // Bytes that are not UTF-8 inside a string are the engine's to refuse; the shape is one value.
        assertEquals(true, JsonShape.isObject(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE9, '"', '}'}));
    }
}
