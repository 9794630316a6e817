package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No package of the binding uses one that uses it back. There are two: {@code dev.ctpolicy}
 * (the engine, one package, whose classes may use each other freely) and
 * {@code dev.ctpolicy.http} (the charge guard, which uses it). So no class of
 * {@code dev.ctpolicy} may name a class of {@code dev.ctpolicy.http}: read from the compiled
 * classes' constant pools, where every class a class uses is named (and comments are not).
 */
class PackagesTest {

    private static Path classesOf(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).resolve("dev/ctpolicy");
    }

    @Test
    void theEnginePackageNeverUsesTheGuardPackage() throws Exception {
        Path engine = classesOf(Engine.class);
        List<Path> classes;
        try (Stream<Path> files = Files.list(engine)) {
            classes = files.filter(p -> p.toString().endsWith(".class")).toList();
        }
        assertTrue(classes.size() > 30, "classes found: " + classes.size());
        assertTrue(Files.isDirectory(engine.resolve("http")), "dev/ctpolicy/http is missing");
        List<String> users = classes.stream().filter(PackagesTest::namesTheGuardPackage)
                .map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of(), users, "classes of dev.ctpolicy that use dev.ctpolicy.http");
    }

    @Test
    void theCheckFindsAUse() throws Exception {
        Path guard = classesOf(Engine.class).resolve("http/ChargeGuard.class");
        assertTrue(namesTheGuardPackage(guard), "ChargeGuard names its own package");
    }

    private static boolean namesTheGuardPackage(Path classFile) {
        try {
            // The constant pool holds class names as modified UTF-8, the same bytes for ASCII.
            return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1).contains("dev/ctpolicy/http/");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
