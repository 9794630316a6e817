package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** dev.ctpolicy.Json (over Jackson's streaming parser) reads what Jackson's tree model reads, as strictly. */
class JsonTest {

    /** Jackson's tree as plain Java values, in the shapes Json produces. */
    private static Object plain(JsonNode n) {
        if (n.isObject()) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), plain(e.getValue()));
            }
            return m;
        }
        if (n.isArray()) {
            List<Object> l = new ArrayList<>();
            n.forEach(x -> l.add(plain(x)));
            return l;
        }
        if (n.isIntegralNumber()) {
            BigInteger b = n.bigIntegerValue();
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (n.isNumber()) {
            return n.decimalValue();
        }
        if (n.isTextual()) {
            return n.asText();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        return null;
    }

    @Test
    void vectorFilesReadTheSameAsWithJackson() throws Exception {
        try (Stream<Path> files = Files.list(TestSupport.VECTORS)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                String text = Files.readString(f);
                assertEquals(plain(TestSupport.parse(text)), Json.parse(text), f.toString());
            }
        }
    }

    @Test
    void scalarsAndEscapes() {
        assertEquals("a\"\\/\b\f\n\r\t\u00e9\ud83d\ude00", Json.parse("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\""));
        assertEquals(-12L, Json.parse("-12"));
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(new BigInteger("9223372036854775808"), Json.parse("9223372036854775808"));
        assertEquals(new BigDecimal("1.5e3"), Json.parse("1.5e3"));
        assertEquals(List.of(true, false), Json.parse(" [true , false] "));
        assertEquals(null, Json.parse("null"));
        assertEquals(Map.of(), Json.parse("{}"));
    }

    @Test
    void memberTextsKeepTheExactSource() {
        Map<String, String> m = Json.memberTexts("{\"record\": {\"a\" : [1, 2],\"b\":\"\\u0041\"} ,\"changed\":true}");
        assertEquals("{\"a\" : [1, 2],\"b\":\"\\u0041\"}", m.get("record"));
        assertEquals("true", m.get("changed"));
    }

    @Test
    void everyReaderRefusesARepeatedMember() {
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":{\"b\":1,\"b\":1}}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[{\"b\":null,\"b\":null}]"));
        assertThrows(IllegalArgumentException.class, () -> Json.memberTexts("{\"record\":null,\"record\":null}"));
        String ok = "{\"decision\":\"DENY\",\"violations\":[{\"id\":301,\"code\":\"SCOPE_MISMATCH\"}],"
                + "\"warnings\":[],\"token\":{\"form\":\"network\"},\"receipt\":{\"decision_id\":null},\"later\":1}";
        assertEquals(301, DecisionReader.read(ok).violations().get(0).id());
        for (String repeated : List.of(
                ok.replace("{\"decision\":\"DENY\",", "{\"decision\":\"DENY\",\"decision\":\"ALLOW\","),
                ok.replace("{\"id\":301,", "{\"id\":301,\"id\":302,"),
                ok.replace("{\"form\":\"network\"}", "{\"form\":\"network\",\"form\":\"identity\"}"),
                ok.replace("{\"decision_id\":null}", "{\"decision_id\":null,\"decision_id\":\"x\"}"),
                ok.replace("\"later\":1", "\"later\":1,\"later\":2"))) {
            assertThrows(IllegalStateException.class, () -> DecisionReader.read(repeated), repeated);
        }
    }

    @Test
    void faultsNameAPositionNeverTheText() {
        for (String bad : List.of("krn:customer-token:eu1:secret77", "{\"a\":krn-secret77}", "[\"secret77\"",
                "{\"k\":1,\"k\":\"secret77\"}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
            assertEquals(false, e.getMessage().contains("secret77"), e.getMessage());
            assertEquals(null, e.getCause(), bad);
        }
    }

    @Test
    void rejectsWhatIsNotJson() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "\"\\x\"", "\"a", "tru", "{} x",
                "{\"a\":1,\"a\":2}", "\"\u0001\"", "[" .repeat(200) + "]".repeat(200))) {
            assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
        }
    }
}
