package dev.ctpolicy;

import java.nio.charset.StandardCharsets;

/** Encodes Java strings for the library without ever changing what they say. */
final class Utf8 {
    private Utf8() {
    }

    /**
     * UTF-8 of {@code s}. {@link String#getBytes} would turn an unpaired surrogate into
     * {@code '?'}, which can change the meaning of a request (or turn garbage into a valid
     * token), so such a string takes the slow path below instead: each unpaired surrogate is
     * written as its 3-byte generalized UTF-8 form, which is not valid UTF-8, and the library
     * rejects the input with status {@code INVALID_UTF8} and the byte offset.
     */
    static byte[] encode(String s) {
        byte[] fast = s.getBytes(StandardCharsets.UTF_8);
        // A replaced surrogate shows up as '?'; a string without '?' had none.
        for (byte b : fast) {
            if (b == '?') {
                return hasUnpairedSurrogate(s) ? encodeSlow(s) : fast;
            }
        }
        return fast;
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static byte[] encodeSlow(String s) {
        byte[] out = new byte[s.length() * 3];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            int c = s.charAt(i);
            if (Character.isHighSurrogate((char) c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint((char) c, s.charAt(++i));
                out[n++] = (byte) (0xF0 | (cp >> 18));
                out[n++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                out[n++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (cp & 0x3F));
            } else if (c < 0x80) {
                out[n++] = (byte) c;
            } else if (c < 0x800) {
                out[n++] = (byte) (0xC0 | (c >> 6));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            } else {
                // Includes unpaired surrogates (U+D800..U+DFFF): invalid UTF-8 on purpose.
                out[n++] = (byte) (0xE0 | (c >> 12));
                out[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
