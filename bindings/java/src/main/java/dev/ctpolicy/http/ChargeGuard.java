package dev.ctpolicy.http;

import dev.ctpolicy.AuditLog;
import dev.ctpolicy.CtPolicy;
import dev.ctpolicy.Decision;
import dev.ctpolicy.Engine;
import dev.ctpolicy.RecordNotStoredException;
import dev.ctpolicy.Redactor;
import dev.ctpolicy.Transition;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The charge guard: the pre-flight check inside {@link HttpClient}. {@link #wrap(HttpClient)}
 * gives a client whose {@code send} and {@code sendAsync} check every guarded request (by
 * default a {@code POST} to Klarna's {@code authorizePayment}, see {@link #isAuthorizePayment})
 * exactly as it is sent, refuse to send it on DENY ({@link PreflightDeniedException}), and turn
 * Klarna's answer into the token record's next state in {@link TokenRecords}. Every other
 * request passes through untouched.
 *
 * <p>Before sending: the body publisher is read once and a copy of the request carrying those
 * bytes is sent, so the bytes checked are the bytes sent (a built request whose body is
 * {@code BodyPublishers.ofString}, which cannot publish other bytes, is sent as it is); the
 * pre-flight request is built with
 * the body bytes placed in it as they are (never parsed and re-written), every
 * {@code Klarna-*} header as it will be sent (a {@code Klarna-*} header with more than one
 * value fails the check as rule 703's duplicate does; no other header, never
 * {@code Authorization}), the stored record of the {@code Klarna-Customer-Token} value,
 * {@code now} from the clock and the configured {@code caller}. It is checked through the audit
 * log when one is set (so the entry is written before the request leaves). A failed check
 * (an {@code InvalidRequestException}, an {@code AuditLogException}, a {@link TokenRecords#get}
 * that raises) is thrown as it is, and nothing is sent.
 *
 * <p>After sending: the caller gets Klarna's response unchanged (status, headers, the body
 * bytes as received, fed to the caller's own {@code BodyHandler}). Then a 2xx answer whose body
 * is a JSON object goes through {@link CtPolicy#applyResponse}; any other outcome of a sent
 * token charge (another status, a body that is not a JSON object, a connection lost after
 * sending, a timeout) is a {@code DECLINED} event, since an attempt whose outcome is unknown
 * still counts against the retry caps. A connect failure ({@link ConnectException},
 * {@link HttpConnectTimeoutException}) sent nothing and counts nothing. A changed record is
 * {@link TokenRecords#put} under its {@code customer_token}. Nothing after sending ever fails
 * the caller's call: a fault there goes to {@code onError} as a {@link RecordNotStoredException}
 * carrying the record that should have been stored.
 *
 * <p>Guarded requests for one token are serialised within one guard, from the first
 * {@code get} to the {@code put} (for {@code send} and {@code sendAsync} alike), so two threads
 * cannot both pass the retry caps on one record and lose each other's attempt. A guard is
 * immutable and safe to share between threads, as its engine is.
 *
 * <p>Retries: {@link #wrap} refuses a client that could send a guarded {@code POST} a second
 * time after it was sent: one that follows redirects, one with an {@code Authenticator} (it
 * resends after a 401), and any client while the system property
 * {@code jdk.httpclient.enableAllMethodRetry} is true.
 */
public final class ChargeGuard {
    /** The two fixed parts of Klarna's {@code authorizePayment} path (see {@link #isAuthorizePayment}). */
    private static final String VERSION_PREFIX = "/v2/";
    private static final String ACCOUNTS = "accounts/";
    private static final String AUTHORIZE = "payment/authorize";
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final String TOKEN_HEADER = "Klarna-Customer-Token";
    private static final System.Logger LOG = System.getLogger(ChargeGuard.class.getName());

    private final Engine engine;
    private final TokenRecords records;
    private final Predicate<HttpRequest> customerPresent;
    private final String caller;
    private final byte[] callerJson;
    private final AuditLog audit;
    private final Clock clock;
    private final Consumer<Throwable> onError;
    private final Predicate<HttpRequest> match;
    final TokenLocks locks = new TokenLocks();

    private ChargeGuard(Builder b) {
        this.engine = Objects.requireNonNull(b.engine, "engine");
        this.records = Objects.requireNonNull(b.records, "records");
        this.customerPresent = Objects.requireNonNull(b.customerPresent, "customerPresent");
        this.caller = b.caller;
        this.callerJson = b.caller == null ? null : jsonString(b.caller);
        this.audit = b.audit;
        this.clock = b.clock == null ? Clock.systemUTC() : b.clock;
        this.onError = b.onError == null ? ChargeGuard::logError : b.onError;
        this.match = b.match == null ? ChargeGuard::isAuthorizePayment : b.match;
    }

    /** A builder; {@code engine}, {@code records} and {@code customerPresent} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The default match: a {@code POST} whose raw URL path is {@code /v2/payment/authorize} or
     * {@code /v2/accounts/{account}/payment/authorize} (one or more characters other than
     * {@code /}), with an optional trailing {@code /}, on any host and port.
     */
    public static boolean isAuthorizePayment(HttpRequest request) {
        if (!"POST".equals(request.method())) {
            return false;
        }
        String path = request.uri().getRawPath();
        return path != null && isAuthorizePath(path);
    }

    /**
     * Whether {@code path} is {@code /v2/payment/authorize} or
     * {@code /v2/accounts/{account}/payment/authorize}, with an optional trailing {@code /}.
     * Matched by hand: every request the wrapped client sends asks this, and a regular
     * expression allocated a {@code Matcher} per request (1.7-2.0 µs a guarded request in
     * a loaded process, against under 1 µs for this).
     */
    static boolean isAuthorizePath(String path) {
        if (!path.startsWith(VERSION_PREFIX)) {
            return false;
        }
        int at = VERSION_PREFIX.length();
        if (path.startsWith(ACCOUNTS, at)) {
            int accountEnd = path.indexOf('/', at + ACCOUNTS.length());
            if (accountEnd <= at + ACCOUNTS.length()) {
                return false; // no account segment, or an empty one
            }
            at = accountEnd + 1;
        }
        if (!path.startsWith(AUTHORIZE, at)) {
            return false;
        }
        int end = at + AUTHORIZE.length();
        return path.length() == end || (path.length() == end + 1 && path.charAt(end) == '/');
    }

    /**
     * A client that behaves as {@code client} in every way, but whose {@code send} and
     * {@code sendAsync} guard the requests this guard matches.
     *
     * @throws IllegalArgumentException when {@code client} could send a guarded {@code POST}
     *                                  twice: it follows redirects, has an authenticator, or the
     *                                  system property {@code jdk.httpclient.enableAllMethodRetry}
     *                                  is true
     */
    public HttpClient wrap(HttpClient client) {
        Objects.requireNonNull(client, "client");
        if (client.followRedirects() != HttpClient.Redirect.NEVER) {
            throw new IllegalArgumentException("the client follows redirects, which would send a guarded POST again"
                    + " unchecked; build it with followRedirects(HttpClient.Redirect.NEVER)");
        }
        if (client.authenticator().isPresent()) {
            throw new IllegalArgumentException("the client has an Authenticator, which resends a POST after a 401;"
                    + " send the Authorization header yourself");
        }
        if (Boolean.getBoolean("jdk.httpclient.enableAllMethodRetry")) {
            throw new IllegalArgumentException("jdk.httpclient.enableAllMethodRetry is set: the client would retry a"
                    + " guarded POST after it was sent");
        }
        return new GuardedHttpClient(this, client);
    }

    boolean matches(HttpRequest request) {
        return match.test(request);
    }

    @Override
    public String toString() {
        return "ChargeGuard[caller=" + (caller == null ? "absent" : Redactor.redact(caller)) + ", audit="
                + (audit == null ? "none" : "set") + ", clock=" + clock + "]";
    }

    // ---------------------------------------------------------------- before sending

    /** What the guard knows about one guarded request before it is checked. */
    record Prepared(HttpRequest original, byte[] body, String token, boolean present, byte[] headersJson) {
    }

    /** A checked request: what was sent, the record read before sending, and what the answer is applied with. */
    record Checked(Prepared prepared, byte[] preflight, int bodyEnd, String recordBefore) {
        String token() {
            return prepared.token();
        }

        /**
         * What {@code applyResponse} reads of the request: {@code customer_present}, the headers
         * and the body, the bytes that were checked. The stored record is its own argument (the
         * library would read it twice), and the rest the answer does not depend on.
         */
        byte[] answerRequest() {
            byte[] request = java.util.Arrays.copyOf(preflight, bodyEnd + 1);
            request[bodyEnd] = '}';
            return request;
        }
    }

    Prepared prepare(HttpRequest request, byte[] body) {
        String token = null;
        HeaderWriter out = new HeaderWriter();
        out.write('{');
        boolean first = true;
        for (Map.Entry<String, List<String>> e : request.headers().map().entrySet()) {
            String name = e.getKey();
            List<String> values = e.getValue();
            if (!name.regionMatches(true, 0, "Klarna-", 0, 7) || values.isEmpty()) {
                continue;
            }
            if (name.equalsIgnoreCase(TOKEN_HEADER)) {
                token = values.get(0); // what headers.firstValue would give: the map is keyed without case
            }
            first = out.member(first, name, values.get(0));
            if (values.size() > 1) {
                // Two values of one header: sent as two header lines. Given to the engine under two
                // names equal but for case, so rule 703 (HEADER_DUPLICATE) denies it.
                String lower = name.toLowerCase(Locale.ROOT);
                first = out.member(first, lower.equals(name) ? name.toUpperCase(Locale.ROOT) : lower, values.get(1));
            }
        }
        out.write('}');
        return new Prepared(request, body, token, customerPresent.test(request), out.toByteArray());
    }

    /**
     * The {@code Klarna-*} headers as a JSON object, written straight into one growing array:
     * a name or value of printable ASCII without {@code "} or {@code \} (every header Klarna
     * documents) is copied as it is; any other goes through {@link #jsonString}. A
     * {@code ByteArrayOutputStream} (synchronized) and a {@code String} per name and value
     * were most of what the guard allocated before the check.
     */
    private static final class HeaderWriter {
        private byte[] bytes = new byte[256];
        private int size;

        boolean member(boolean first, String name, String value) {
            if (!first) {
                write(',');
            }
            string(name);
            write(':');
            string(value);
            return false;
        }

        void write(int b) {
            room(1);
            bytes[size++] = (byte) b;
        }

        private void string(String s) {
            room(s.length() + 2);
            int start = size;
            bytes[size++] = '"';
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') {
                    size = start; // needs escapes or UTF-8: written again, the general way
                    byte[] escaped = jsonString(s);
                    room(escaped.length);
                    System.arraycopy(escaped, 0, bytes, size, escaped.length);
                    size += escaped.length;
                    return;
                }
                bytes[size++] = (byte) c;
            }
            bytes[size++] = '"';
        }

        private void room(int more) {
            if (size + more > bytes.length) {
                bytes = java.util.Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return java.util.Arrays.copyOf(bytes, size);
        }
    }

    /**
     * Reads the stored record, builds the pre-flight request and checks it (through the audit
     * log when set). Throws {@link PreflightDeniedException} on DENY, and the check's own
     * exception when it could not decide.
     */
    Checked check(Prepared p) throws PreflightDeniedException {
        String record = p.token() == null ? null : records.get(p.token()).orElse(null);
        byte[] body = spliced(p.body());
        byte[] preflight = preflight(p, body, record, clock.instant());
        if (audit != null) {
            Decision decision = audit.check(engine, preflight);
            if (!decision.allowed()) {
                throw new PreflightDeniedException(decision);
            }
        } else if (!engine.checkVerdict(preflight).allowed()) {
            // The full decision (messages, paths) is read only for a DENY.
            throw new PreflightDeniedException(engine.check(preflight));
        }
        return new Checked(p, preflight, bodyEnd(p, body), record);
    }

    private static final byte[] PRESENT = ascii("{\"customer_present\":true,\"headers\":");
    private static final byte[] ABSENT = ascii("{\"customer_present\":false,\"headers\":");
    private static final byte[] BODY = ascii(",\"body\":");
    private static final byte[] TOKEN_RECORD = ascii(",\"token_record\":");
    private static final byte[] NOW = ascii(",\"now\":\"");
    private static final byte[] CALLER = ascii(",\"caller\":");
    private static final int INSTANT_LENGTH = "2026-11-30T12:00:00.000Z".length();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The pre-flight request, written once into an array of its exact size: customer_present,
     * the headers, the body (spliced), the record, now and the caller.
     */
    private byte[] preflight(Prepared p, byte[] body, String record, Instant now) {
        byte[] recordBytes = record == null ? null : spliced(record.getBytes(StandardCharsets.UTF_8));
        byte[] at = instantText(now);
        int size = bodyEnd(p, body) + NOW.length + at.length + 2
                + (recordBytes == null ? 0 : TOKEN_RECORD.length + recordBytes.length)
                + (callerJson == null ? 0 : CALLER.length + callerJson.length);
        byte[] out = new byte[size];
        int i = put(out, 0, p.present() ? PRESENT : ABSENT);
        i = put(out, i, p.headersJson());
        i = put(out, i, BODY);
        i = put(out, i, body);
        if (recordBytes != null) {
            i = put(out, i, TOKEN_RECORD);
            i = put(out, i, recordBytes);
        }
        i = put(out, i, NOW);
        i = put(out, i, at);
        out[i++] = '"';
        if (callerJson != null) {
            i = put(out, i, CALLER);
            i = put(out, i, callerJson);
        }
        out[i] = '}';
        return out;
    }

    /** Where the (spliced) body ends in the pre-flight request. */
    private static int bodyEnd(Prepared p, byte[] body) {
        return PRESENT.length + (p.present() ? 0 : 1) + p.headersJson().length + BODY.length + body.length;
    }

    private static int put(byte[] out, int at, byte[] bytes) {
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return at + bytes.length;
    }

    /** {@code value} when it is exactly one JSON value, else as {@link #splice} writes it. */
    private static byte[] spliced(byte[] value) {
        if (JsonShape.isOneValue(value)) {
            return value;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 16);
        splice(out, value);
        return out.toByteArray();
    }

    /**
     * Places {@code value} in the request as it is when it is exactly one JSON value; otherwise
     * as a JSON string of the same bytes, which the engine refuses (the field has the wrong
     * type): bytes that are not one value must not add fields of their own to the request.
     */
    private static void splice(ByteArrayOutputStream out, byte[] value) {
        if (JsonShape.isOneValue(value)) {
            out.writeBytes(value);
            return;
        }
        out.write('"');
        for (byte b : value) {
            int c = b & 0xFF;
            if (c == '"' || c == '\\') {
                out.write('\\');
                out.write(c);
            } else if (c < 0x20) {
                out.writeBytes(String.format("\\u%04x", c).getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write(c); // other bytes as they are: invalid UTF-8 reaches the engine as it is
            }
        }
        out.write('"');
    }

    static byte[] jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString().getBytes(StandardCharsets.UTF_8);
    }

    private String now() {
        return new String(instantText(clock.instant()), StandardCharsets.ISO_8859_1);
    }

    /**
     * {@code at} as RFC 3339 UTC with milliseconds, written by hand (twice a guarded request);
     * a year outside 0000-9999 (which the engine refuses) through the formatter.
     */
    static byte[] instantText(Instant at) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(at.getEpochSecond(), at.getNano(), ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            return RFC3339.format(at.truncatedTo(ChronoUnit.MILLIS)).getBytes(StandardCharsets.US_ASCII);
        }
        byte[] b = new byte[INSTANT_LENGTH];
        digits(b, 0, year, 4);
        b[4] = '-';
        digits(b, 5, t.getMonthValue(), 2);
        b[7] = '-';
        digits(b, 8, t.getDayOfMonth(), 2);
        b[10] = 'T';
        digits(b, 11, t.getHour(), 2);
        b[13] = ':';
        digits(b, 14, t.getMinute(), 2);
        b[16] = ':';
        digits(b, 17, t.getSecond(), 2);
        b[19] = '.';
        digits(b, 20, t.getNano() / 1_000_000, 3);
        b[23] = 'Z';
        return b;
    }

    private static void digits(byte[] b, int at, int value, int width) {
        for (int i = at + width - 1; i >= at; i--) {
            b[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
    }

    // ---------------------------------------------------------------- after sending

    /** Whether an IOException from sending means the request may have left (then it counts). */
    static boolean maybeSent(Throwable e) {
        return !(e instanceof ConnectException || e instanceof HttpConnectTimeoutException);
    }

    /**
     * Klarna answered: the next record from the answer. A body sent with
     * {@code Content-Encoding: gzip} is decoded for this reading only (the caller gets the bytes
     * as received); one that does not decode is not a JSON object. Never throws.
     */
    void answered(Checked c, int status, HttpHeaders headers, byte[] received) {
        try {
            byte[] body = decoded(headers, received);
            if (status >= 200 && status < 300 && body != null && JsonShape.isObject(body)) {
                applyResponse(c, body);
            } else if (c.token() != null) {
                declined(c);
            }
        } catch (Throwable t) {
            report(new RecordNotStoredException("APPLY_FAILED", null, null, t));
        }
    }

    /** The body as the guard reads it: gunzipped when so encoded; null when it does not decode. */
    private static byte[] decoded(HttpHeaders headers, byte[] body) {
        // allValues, not firstValue: the header is nearly always absent, and firstValue
        // streams over the list to find its first element.
        List<String> encodings = headers.allValues("Content-Encoding");
        if (encodings.isEmpty()) {
            return body;
        }
        String encoding = encodings.get(0).trim();
        if (encoding.equalsIgnoreCase("identity") || encoding.isEmpty()) {
            return body;
        }
        if (!encoding.equalsIgnoreCase("gzip") && !encoding.equalsIgnoreCase("x-gzip")) {
            return null; // an encoding the guard does not read: not a JSON object to it
        }
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(
                new java.io.ByteArrayInputStream(body))) {
            return in.readNBytes(2 * 1024 * 1024); // the engine refuses more than 1 MiB anyway
        } catch (IOException e) {
            return null;
        }
    }

    /** The request may have been sent, but no answer came: a DECLINED attempt. Never throws. */
    void lost(Checked c) {
        if (c.token() == null) {
            return;
        }
        try {
            declined(c);
        } catch (Throwable t) {
            report(new RecordNotStoredException("APPLY_FAILED", null, null, t));
        }
    }

    private void applyResponse(Checked c, byte[] body) {
        String record = reread(c);
        Transition t;
        try {
            t = CtPolicy.applyResponse(record == null ? null : record.getBytes(StandardCharsets.UTF_8),
                    c.answerRequest(), body, now());
        } catch (RuntimeException e) {
            report(new RecordNotStoredException("APPLY_FAILED", null, body, e));
            return;
        }
        store(c, t);
    }

    private void declined(Checked c) {
        String record = reread(c);
        Transition t;
        try {
            t = CtPolicy.applyEvent(record, "{\"type\":\"DECLINED\",\"at\":\"" + now() + "\"}");
        } catch (RuntimeException e) {
            report(new RecordNotStoredException("APPLY_FAILED", null, null, e));
            return;
        }
        store(c, t);
    }

    /**
     * The record read again after the answer. When that read raises, the fault is reported and
     * the record read before sending is used: the attempt must still be counted.
     */
    private String reread(Checked c) {
        if (c.token() == null) {
            return null;
        }
        try {
            return records.get(c.token()).orElse(null);
        } catch (RuntimeException e) {
            report(new RecordNotStoredException("GET_FAILED", null, null, e));
            return c.recordBefore();
        }
    }

    private void store(Checked c, Transition t) {
        if (!t.changed() || t.recordJson() == null) {
            return;
        }
        // A charge's record is the header's token (rule 202 allowed nothing else); only a
        // tokenization's new record is read for its key.
        String key = c.token() != null ? c.token() : t.customerToken().orElse(null);
        try {
            if (key == null) {
                throw new IllegalStateException("the new record has no customer_token to store it under");
            }
            records.put(key, t.recordJson());
        } catch (RuntimeException e) {
            report(new RecordNotStoredException("PUT_FAILED", t.recordJson(), null, e));
        }
    }

    private void report(RecordNotStoredException e) {
        try {
            onError.accept(e);
        } catch (Throwable ignored) {
            logError(e); // a failing callback must not fail the caller's call either
        }
    }

    /** The default {@code onError}: one ERROR record through System.Logger, redacted. */
    static void logError(Throwable t) {
        LOG.log(System.Logger.Level.ERROR, Redactor.redact("ctpolicy charge guard: " + t));
    }

    Instant instant() {
        return clock.instant();
    }

    /** Builds a {@link ChargeGuard}; not thread-safe. */
    public static final class Builder {
        private Engine engine;
        private TokenRecords records;
        private Predicate<HttpRequest> customerPresent;
        private String caller;
        private AuditLog audit;
        private Clock clock;
        private Consumer<Throwable> onError;
        private Predicate<HttpRequest> match;

        private Builder() {
        }

        /** The engine (and so the policy) that decides. Required. */
        public Builder engine(Engine engine) {
            this.engine = engine;
            return this;
        }

        /** The host's token store. Required. */
        public Builder records(TokenRecords records) {
            this.records = records;
            return this;
        }

        /** Whether the customer is present, as a function of the outgoing request. Required (or the boolean form). */
        public Builder customerPresent(Predicate<HttpRequest> customerPresent) {
            this.customerPresent = customerPresent;
            return this;
        }

        /** Whether the customer is present, for every request of this guard. */
        public Builder customerPresent(boolean customerPresent) {
            this.customerPresent = request -> customerPresent;
            return this;
        }

        /** The caller name sent as {@code caller} in every pre-flight request (policy {@code access}); optional. */
        public Builder caller(String caller) {
            this.caller = caller;
            return this;
        }

        /** An audit log every guarded check goes through; optional. */
        public Builder audit(AuditLog audit) {
            this.audit = audit;
            return this;
        }

        /** The source of "now" (default: the system clock, UTC). */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Receives what fails after a request was sent (a {@link RecordNotStoredException});
         * default: one ERROR record through {@link System.Logger}, redacted. Called on the thread
         * that handled the answer; it must not block for long.
         */
        public Builder onError(Consumer<Throwable> onError) {
            this.onError = onError;
            return this;
        }

        /** Which requests are guarded (default {@link ChargeGuard#isAuthorizePayment}). */
        public Builder match(Predicate<HttpRequest> match) {
            this.match = match;
            return this;
        }

        /** @throws NullPointerException when engine, records or customerPresent is missing */
        public ChargeGuard build() {
            return new ChargeGuard(this);
        }
    }
}
