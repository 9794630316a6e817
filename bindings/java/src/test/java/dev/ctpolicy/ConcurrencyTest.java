package dev.ctpolicy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One engine shared by 16 platform threads, and by many virtual threads, gives for every
 * request exactly what a single-threaded run gave.
 */
class ConcurrencyTest {
    private static final int PLATFORM_THREADS = 16;
    private static final int VIRTUAL_THREADS = 512;
    private static final int ROUNDS = 3;

    private static Engine engine;
    private static List<Object> requests;
    private static List<String> expected;

    @BeforeAll
    static void singleThreadedRun() {
        JsonNode root = TestSupport.readVectors("check.json");
        // A policy with most rules switched on, so errors (NEEDED_BY_RULE) are exercised too.
        engine = Engine.create(TestSupport.write(root.get("policies").get("strict")));
        requests = new ArrayList<>();
        for (JsonNode c : TestSupport.cases(root)) {
            requests.add(TestSupport.request(c));
        }
        requests.add(Samples.RENEWAL);
        requests.add(Samples.RENEWAL_REVOKED);
        expected = new ArrayList<>();
        for (Object r : requests) {
            expected.add(TestSupport.rawOutcome(engine, r));
        }
        assertTrue(expected.stream().anyMatch(s -> s.startsWith("{\"error\"")), "some errors");
        assertTrue(expected.stream().anyMatch(s -> s.contains("\"ALLOW\"")), "some ALLOWs");
        assertTrue(expected.stream().anyMatch(s -> s.contains("\"DENY\"")), "some DENYs");
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    /** Checks every request in a shuffled order; returns how many results differed. */
    private static Callable<Integer> worker(long seed, CountDownLatch start) {
        return () -> {
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                order.add(i);
            }
            Collections.shuffle(order, new Random(seed));
            start.countDown();
            start.await();
            int mismatches = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (int i : order) {
                    if (!expected.get(i).equals(TestSupport.rawOutcome(engine, requests.get(i)))) {
                        mismatches++;
                    }
                }
            }
            return mismatches;
        };
    }

    private static void runAll(ExecutorService pool, int workers) throws Exception {
        CountDownLatch start = new CountDownLatch(workers);
        List<Future<Integer>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            futures.add(pool.submit(worker(w, start)));
        }
        int mismatches = 0;
        for (Future<Integer> f : futures) {
            mismatches += f.get();
        }
        assertEquals(0, mismatches, "results that differ from the single-threaded run");
    }

    @Test
    void sixteenPlatformThreads() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(PLATFORM_THREADS)) {
            runAll(pool, PLATFORM_THREADS);
        }
    }

    @Test
    void virtualThreads() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            runAll(pool, VIRTUAL_THREADS);
        }
    }
}
