package dev.ctpolicy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Finds libctpolicy: the system property {@value #PROPERTY}, then the environment variable
 * {@value #ENV}, then the copy packed in the jar at {@value #RESOURCE}.
 */
final class NativeLoader {
    static final String PROPERTY = "ctpolicy.library.path";
    static final String ENV = "CTPOLICY_LIB";
    static final String RESOURCE = "native/linux-x86_64/libctpolicy.so";

    private NativeLoader() {
    }

    /** Where the library was found, and whether it is a temporary copy to delete after loading. */
    record Location(Path path, String source, boolean temporary) {
    }

    static Location locate() throws IOException {
        return locate(System.getProperty(PROPERTY), System.getenv(ENV), NativeLoader.class.getClassLoader());
    }

    static Location locate(String property, String env, ClassLoader loader) throws IOException {
        // An explicit setting that points nowhere is an error, not a reason to try the next one:
        // silently loading another build than the one configured would be worse.
        if (property != null && !property.isBlank()) {
            return explicit(Path.of(property), "system property " + PROPERTY);
        }
        if (env != null && !env.isBlank()) {
            return explicit(Path.of(env), "environment variable " + ENV);
        }
        String platform = platform();
        if ("linux-x86_64".equals(platform) && loader != null) {
            try (InputStream in = loader.getResourceAsStream(RESOURCE)) {
                if (in != null) {
                    return new Location(extract(in), "class path resource " + RESOURCE, true);
                }
            }
        }
        throw new IOException("libctpolicy was not found. Set the system property " + PROPERTY
                + " (-D" + PROPERTY + "=/path/to/libctpolicy.so), or the environment variable " + ENV
                + " to the library's path, or put a ctpolicy jar that packs the class path resource "
                + RESOURCE + " on the class path (this platform is " + platform
                + "; the jar packs linux-x86_64 only). Build the library with `cargo build --release`.");
    }

    private static Location explicit(Path path, String source) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IOException(source + " names " + path + ", which is not a readable file");
        }
        if (platform().startsWith("linux-") && !isElf(path)) {
            // Refused here rather than by dlopen: the JVM's own warning about a file it failed to
            // load quotes the path verbatim, where this binding cannot redact it.
            throw new IOException(source + " names " + path + ", which is not a shared library (no ELF header)");
        }
        return new Location(path, source, false);
    }

    private static boolean isElf(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        }
    }

    /**
     * Copies the packed library to a new file that only this user can read or write (never a
     * fixed name another user could have planted), so dlopen loads exactly the jar's bytes.
     */
    private static Path extract(InputStream in) throws IOException {
        Path file = Files.createTempFile("libctpolicy-", ".so",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        file.toFile().deleteOnExit();
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            in.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        return file;
    }

    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            arch = "x86_64";
        }
        return os + "-" + arch;
    }
}
