package dev.ctpolicy;

/**
 * The redaction every text of this binding goes through (docs/HYGIENE.md H4): the library's matcher
 * once it is loaded, and before that (or when it could not be loaded) the same rule read in
 * Java ({@link FallbackRedactor}), so a library path a setting names is redacted too.
 */
final class Texts {
    private Texts() {
    }

    /** {@code text} redacted; null stays null. */
    static String redact(String text) {
        if (text == null) {
            return null;
        }
        return Native.READY ? Redactor.redact(text) : FallbackRedactor.redact(text);
    }

    /** {@code String.valueOf(value)} redacted. */
    static String redact(Object value) {
        return redact(String.valueOf(value));
    }
}
