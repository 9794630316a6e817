package dev.ctpolicy;

import static dev.ctpolicy.TestSupport.CLI;
import static dev.ctpolicy.TestSupport.cases;
import static dev.ctpolicy.TestSupport.parse;
import static dev.ctpolicy.TestSupport.readVectors;
import static dev.ctpolicy.TestSupport.write;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The binding says exactly what the CLI says: every check vector (grouped by policy) goes
 * through {@code ctpolicy check --format jsonl --policy P FILE.jsonl}, and each output line
 * must equal, as parsed JSON, the binding's raw decision or error object for that request.
 */
class CliIdentityTest {

    @Test
    void bindingOutputEqualsCliOutput(@TempDir Path dir) throws Exception {
        assertTrue(Files.isExecutable(CLI), "the CLI is missing at " + CLI + ": run `make build` first");
        JsonNode root = readVectors("check.json");

        Map<String, List<JsonNode>> byPolicy = new LinkedHashMap<>();
        int skipped = 0;
        int total = 0;
        for (JsonNode c : cases(root)) {
            total++;
            byte[] line = lineBytes(c);
            if (!fitsOnALine(line)) {
                skipped++; // a request whose text holds a line break cannot be one JSONL line
                continue;
            }
            byPolicy.computeIfAbsent(c.has("policy") ? c.get("policy").asText() : "default", k -> new ArrayList<>())
                    .add(c);
        }
        assertTrue(total - skipped >= total * 9 / 10, "too few vectors fit on one line: " + (total - skipped));

        int compared = 0;
        for (Map.Entry<String, List<JsonNode>> group : byPolicy.entrySet()) {
            String policyJson = write(root.get("policies").get(group.getKey()));
            Path policyFile = dir.resolve(group.getKey() + ".policy.json");
            Files.writeString(policyFile, policyJson);
            Path requests = dir.resolve(group.getKey() + ".jsonl");
            ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
            for (JsonNode c : group.getValue()) {
                jsonl.write(lineBytes(c));
                jsonl.write('\n');
            }
            Files.write(requests, jsonl.toByteArray());

            Path stdout = dir.resolve(group.getKey() + ".out");
            Path stderr = dir.resolve(group.getKey() + ".err");
            Process p = new ProcessBuilder(CLI.toString(), "check", "--format", "jsonl", "--policy",
                    policyFile.toString(), requests.toString())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
            p.getOutputStream().close();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "CLI timed out");
            int exit = p.exitValue();
            List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
            assertEquals(group.getValue().size(), lines.size(),
                    "one output line per request (policy " + group.getKey() + "); stderr: " + Files.readString(stderr));

            boolean anyError = false;
            boolean anyDeny = false;
            try (Engine engine = Engine.create(policyJson)) {
                for (int i = 0; i < lines.size(); i++) {
                    JsonNode c = group.getValue().get(i);
                    String name = c.get("name").asText();
                    JsonNode binding = parse(TestSupport.rawOutcome(engine, TestSupport.request(c)));
                    JsonNode cli = parse(lines.get(i));
                    assertEquals(cli, binding, name + ": binding output differs from the CLI's");
                    anyError |= binding.has("error");
                    anyDeny |= binding.has("decision") && binding.get("decision").asText().equals("DENY");
                    compared++;
                }
            }
            int expectedExit = anyError ? 2 : anyDeny ? 1 : 0;
            assertEquals(expectedExit, exit, "CLI exit status for policy " + group.getKey());
        }
        assertEquals(total - skipped, compared);
    }

    private static byte[] lineBytes(JsonNode c) {
        Object request = TestSupport.request(c);
        return request instanceof byte[] b ? b : ((String) request).getBytes(StandardCharsets.UTF_8);
    }

    /** No line break inside, and not blank (the CLI skips blank lines). */
    private static boolean fitsOnALine(byte[] line) {
        boolean blank = true;
        for (byte b : line) {
            if (b == '\n' || b == '\r') {
                return false;
            }
            if (b != ' ' && b != '\t') {
                blank = false;
            }
        }
        return !blank;
    }
}
