package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the library comes from: property, then environment, then the jar. */
class NativeLoaderTest {
    private static final Path BUILT = TestSupport.REPO_ROOT.resolve("target/release/libctpolicy.so");

    @Test
    void propertyComesFirst() throws IOException {
        NativeLoader.Location l = NativeLoader.locate(BUILT.toString(), "/nonexistent/env.so", getClass().getClassLoader());
        assertEquals(BUILT, l.path());
        assertTrue(l.source().contains(NativeLoader.PROPERTY));
        assertFalse(l.temporary());
    }

    @Test
    void environmentComesSecond() throws IOException {
        NativeLoader.Location l = NativeLoader.locate(null, BUILT.toString(), getClass().getClassLoader());
        assertEquals(BUILT, l.path());
        assertTrue(l.source().contains(NativeLoader.ENV));
    }

    @Test
    void aSettingThatPointsNowhereIsAnError() {
        IOException e = assertThrows(IOException.class,
                () -> NativeLoader.locate("/nonexistent/libctpolicy.so", null, getClass().getClassLoader()));
        assertTrue(e.getMessage().contains(NativeLoader.PROPERTY), e.getMessage());
    }

    @Test
    void jarResourceIsExtractedToAPrivateFile() throws IOException {
        NativeLoader.Location l = NativeLoader.locate(null, null, getClass().getClassLoader());
        try {
            assertTrue(l.temporary());
            assertTrue(l.source().contains(NativeLoader.RESOURCE));
            assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE), Files.getPosixFilePermissions(l.path()));
            // The packed copy (stripped by build-native.sh), byte for byte.
            try (var in = getClass().getClassLoader().getResourceAsStream(NativeLoader.RESOURCE)) {
                assertNotNull(in);
                assertArrayEquals(in.readAllBytes(), Files.readAllBytes(l.path()));
            }
        } finally {
            Files.deleteIfExists(l.path());
        }
    }

    @Test
    void nothingFoundNamesAllThreePlaces(@TempDir Path empty) {
        ClassLoader noResources = new ClassLoader(null) {
        };
        IOException e = assertThrows(IOException.class, () -> NativeLoader.locate(null, null, noResources));
        assertTrue(e.getMessage().contains(NativeLoader.PROPERTY), e.getMessage());
        assertTrue(e.getMessage().contains(NativeLoader.ENV), e.getMessage());
        assertTrue(e.getMessage().contains(NativeLoader.RESOURCE), e.getMessage());
    }

    @Test
    void libraryIsLoaded() {
        assertTrue(Native.LIBRARY_SOURCE.contains(NativeLoader.RESOURCE), Native.LIBRARY_SOURCE);
    }
}
