package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Reading the shared vectors (tests/vectors/*.json) with Jackson, keeping key order and exact numbers. */
final class TestSupport {
    private TestSupport() {
    }

    static final Path REPO_ROOT = Path.of(System.getProperty("ctpolicy.repo.root", "../..")).toAbsolutePath()
            .normalize();
    static final Path VECTORS = REPO_ROOT.resolve("tests/vectors");
    static final Path CLI = REPO_ROOT.resolve("target/release/ctpolicy");

    /**
     * Objects keep document order (ObjectNode is a LinkedHashMap); integers of any size stay
     * exact; a duplicate key in a vector file is an error rather than a silent overwrite.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** A request to check after a policy loads (its receipt gives the digest). */
    static final String MINIMAL_REQUEST = "{\"customer_present\":true,\"body\":{}}";

    static JsonNode readVectors(String file) {
        Path path = VECTORS.resolve(file);
        assertTrue(Files.isRegularFile(path), "missing vector file " + path);
        try {
            JsonNode root = MAPPER.readTree(path.toFile());
            assertTrue(root.get("cases").isArray() && root.get("cases").size() > 0, file + " has no cases");
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode parse(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + e.getMessage(), e);
        }
    }

    static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The input of a case: {@code <prefix>} as a JSON value, {@code <prefix>_text}, or {@code <prefix>_base64}. */
    static byte[] input(JsonNode c, String prefix) {
        if (c.has(prefix + "_base64")) {
            return Base64.getDecoder().decode(c.get(prefix + "_base64").asText());
        }
        if (c.has(prefix + "_text")) {
            return Utf8.encode(c.get(prefix + "_text").asText());
        }
        if (c.has(prefix)) {
            return Utf8.encode(write(c.get(prefix)));
        }
        return null;
    }

    /** The request of a check case as the binding gets it: a String unless base64 (bytes). */
    static Object request(JsonNode c) {
        if (c.has("request_base64")) {
            return Base64.getDecoder().decode(c.get("request_base64").asText());
        }
        if (c.has("request_text")) {
            return c.get("request_text").asText();
        }
        return write(c.get("request"));
    }

    static List<JsonNode> cases(JsonNode root) {
        List<JsonNode> out = new ArrayList<>();
        root.get("cases").forEach(out::add);
        return out;
    }

    static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    /** Compares an error expectation: status always, code/detail/path when given. */
    static void assertError(JsonNode expected, CtPolicyException e, String name) {
        assertEquals(expected.get("status").asText(), e.status(), name + ": status (" + e.getMessage() + ")");
        for (String key : List.of("code", "detail", "path")) {
            if (expected.has(key)) {
                String actual = switch (key) {
                    case "code" -> e.code();
                    case "detail" -> e.detail();
                    default -> e.path();
                };
                assertEquals(textOrNull(expected.get(key)), actual, name + ": " + key + " (" + e.getMessage() + ")");
            }
        }
        Class<? extends CtPolicyException> kind = switch (e.status()) {
            case "INVALID_REQUEST" -> InvalidRequestException.class;
            case "INVALID_POLICY" -> PolicyException.class;
            case "TOKEN_INVALID" -> TokenFormatException.class;
            case "TRANSITION_REJECTED" -> TransitionException.class;
            default -> e.getClass();
        };
        assertEquals(kind, e.getClass(), name + ": exception class for " + e.status());
        // The exception's fields and its error object agree.
        JsonNode error = parse(e.errorJson()).get("error");
        assertEquals(error.get("status").asText(), e.status(), name);
        assertEquals(textOrNull(error.get("code")), e.code(), name);
        assertEquals(textOrNull(error.get("path")), e.path(), name);
        assertEquals(textOrNull(error.get("detail")), e.detail(), name);
    }

    /** JSON value equality with numbers compared by value (lifecycle records). */
    static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!b.has(e.getKey()) || !sameValue(e.getValue(), b.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameValue(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** The raw output of the binding for one request: the decision or the error object. */
    static String rawOutcome(Engine engine, Object request) {
        try {
            Decision d = request instanceof byte[] bytes ? engine.check(bytes) : engine.check((String) request);
            return d.rawJson();
        } catch (CtPolicyException e) {
            if (e.errorJson() == null) {
                fail("binding-side error without an error object: " + e);
            }
            return e.errorJson();
        }
    }
}
