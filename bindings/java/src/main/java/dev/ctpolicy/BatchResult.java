package dev.ctpolicy;

import java.util.List;

/**
 * The answer of {@link Engine#checkMany(List)}: one {@link CheckResult} per request, in order,
 * and the counts the library gave for them.
 *
 * @param results   result {@code i} is for request {@code i}: a {@link CheckResult.Decided} with the
 *                  {@link Decision} {@link Engine#check(String)} gives, or a {@link CheckResult.Failed}
 *                  with the exception it throws
 * @param allowed   how many were decided ALLOW
 * @param denied    how many were decided DENY
 * @param undecided how many could not be decided (failed: treat as DENY)
 */
public record BatchResult(List<CheckResult> results, long allowed, long denied, long undecided) {
    public BatchResult {
        results = List.copyOf(results);
    }

    /** Whether every request was decided ALLOW. */
    public boolean allAllowed() {
        return denied == 0 && undecided == 0;
    }
}
