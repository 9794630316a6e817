package dev.ctpolicy;

import java.util.Objects;

/**
 * The outcome of one request of {@link Engine#checkMany(java.util.List)}: a {@link Decided}
 * decision (ALLOW or DENY), or a {@link Failed} request the engine could not decide (the
 * exception {@link Engine#check(String)} would have thrown for it). Sealed, so a
 * {@code switch} over it is exhaustive:
 *
 * <pre>{@code
 * switch (result) {
 *     case CheckResult.Decided(Decision d) -> ...;
 *     case CheckResult.Failed(CtPolicyException e) -> ...;   // treat as DENY
 * }
 * }</pre>
 */
public sealed interface CheckResult permits CheckResult.Decided, CheckResult.Failed {

    /** True only for a decided ALLOW; a failed request is not allowed (fail closed). */
    boolean allowed();

    /** The decision, or throws the exception of a failed request. */
    Decision decisionOrThrow();

    /** A decided request: the same {@link Decision} that {@link Engine#check(String)} returns. */
    record Decided(Decision decision) implements CheckResult {
        public Decided {
            Objects.requireNonNull(decision, "decision");
        }

        @Override
        public boolean allowed() {
            return decision.allowed();
        }

        @Override
        public Decision decisionOrThrow() {
            return decision;
        }
    }

    /** A request that could not be decided (envelope fault, not UTF-8, ...): treat as DENY. */
    record Failed(CtPolicyException error) implements CheckResult {
        public Failed {
            Objects.requireNonNull(error, "error");
        }

        @Override
        public boolean allowed() {
            return false;
        }

        @Override
        public Decision decisionOrThrow() {
            throw error;
        }
    }
}
