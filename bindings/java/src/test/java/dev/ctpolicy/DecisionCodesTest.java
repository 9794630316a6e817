package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Decision.codes() and warningCodes(): the reason codes, as Verdict gives them. */
class DecisionCodesTest {

    @Test
    void codesOfADenialAreTheViolationCodesInOrder() {
        try (Engine engine = Engine.create()) {
            Decision d = engine.check(Samples.RENEWAL_WITH_STEP_UP.replace("\"state\":\"ACTIVE\"", "\"state\":\"REVOKED\""));
            assertFalse(d.allowed());
            assertEquals(List.of("TOKEN_REVOKED", "STEP_UP_NOT_ALLOWED"), d.codes());
            assertEquals(d.violations().stream().map(Violation::code).toList(), d.codes());
            assertEquals(List.of(), d.warningCodes());
            assertThrows(UnsupportedOperationException.class, () -> d.codes().add("X"));
        }
    }

    @Test
    void codesAreEmptyOnAllow() {
        try (Engine engine = Engine.create()) {
            Decision d = engine.check(Samples.RENEWAL);
            assertEquals(List.of(), d.codes());
        }
    }

    @Test
    void codesAgreeWithTheTypedFastPath() {
        try (Engine engine = Engine.create()) {
            Charge charge = Charge.builder().customerPresent(false).token(Samples.TOKEN)
                    .idempotencyKey("renewal-sub_8842-2024-06").amount(1299).currency("EUR")
                    .record(new StoredRecord(Samples.TOKEN, StoredRecord.State.REVOKED,
                            java.util.List.of("payment:customer_not_present"), null))
                    .build();
            Verdict v = engine.checkCharge(charge);
            assertFalse(v.allowed());
            assertEquals(v.codes(), engine.check(Samples.RENEWAL_REVOKED).codes());
            assertEquals(v.warningCodes(), engine.check(Samples.RENEWAL_REVOKED).warningCodes());
        }
    }
}
