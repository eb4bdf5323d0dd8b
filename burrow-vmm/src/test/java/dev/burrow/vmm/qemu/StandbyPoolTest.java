package dev.burrow.vmm.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.HostProfile;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The standby pool's logic against a fake maker: no QEMU, every standby a numbered token. */
class StandbyPoolTest {

    private static final Duration T = Duration.ofSeconds(10);

    private final FakeMaker maker = new FakeMaker();
    private final StandbyPool<Integer> pool = new StandbyPool<>(maker);
    private final Template a = template("a");
    private final Template b = template("b");

    @AfterEach
    void close() {
        maker.gate.release(1000);
        pool.close();
    }

    private static Template template(String name) {
        HostProfile p = new HostProfile("qemu", "9.0", "microvm", "max", Accelerator.TCG, "k", 1);
        return new Template(name, MachineSpec.DEFAULT, p, Instant.EPOCH, "memory", "state", "disk.qcow2", "overlay.qcow2",
                null, null, Path.of("/templates", name));
    }

    /** Standbys are numbered tokens; each make waits for a permit when {@link #gated}, and may be told to fail. */
    private static final class FakeMaker implements StandbyPool.Maker<Integer> {
        final AtomicInteger made = new AtomicInteger();
        final AtomicInteger attempts = new AtomicInteger();
        final AtomicInteger making = new AtomicInteger();
        final AtomicInteger mostAtOnce = new AtomicInteger();
        final Set<Integer> dead = ConcurrentHashMap.newKeySet();
        final Set<Integer> ended = ConcurrentHashMap.newKeySet();
        final Semaphore gate = new Semaphore(0);
        volatile boolean gated;
        volatile boolean failing;

        @Override
        public Integer make(Template t) throws VmmException {
            attempts.incrementAndGet();
            int now = making.incrementAndGet();
            mostAtOnce.accumulateAndGet(now, Math::max);
            try {
                if (gated && !gate.tryAcquire(10, TimeUnit.SECONDS)) {
                    throw new VmmException("the test never let this make finish");
                }
                if (failing) {
                    throw new VmmException("no VMM today");
                }
                return made.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmmException("interrupted");
            } finally {
                making.decrementAndGet();
            }
        }

        @Override
        public boolean alive(Integer standby) {
            return !dead.contains(standby);
        }

        @Override
        public void end(Integer standby) {
            ended.add(standby);
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(2);
        }
    }

    @Test
    void aTargetIsFilledInTheBackgroundOneStandbyAtATimePerTemplate() throws Exception {
        pool.target(a, 4);
        await("4 standbys of a", () -> pool.ready(a) == 4);
        assertThat(maker.made.get()).isEqualTo(4);
        assertThat(maker.mostAtOnce.get()).isEqualTo(1);
        assertThat(pool.ready(b)).isZero();
    }

    @Test
    void eachStandbyIsHandedOutOnceUnderConcurrentClaims() throws Exception {
        pool.target(a, 8);
        await("8 standbys", () -> pool.ready(a) == 8);
        int claimers = 12;
        CyclicBarrier start = new CyclicBarrier(claimers);
        List<Integer> taken = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger empty = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < claimers; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                Integer s = pool.take(a);
                if (s == null) {
                    empty.incrementAndGet();
                } else {
                    taken.add(s);
                }
            }));
        }
        for (Thread t : threads) {
            assertThat(t.join(T)).isTrue();
        }
        assertThat(taken).hasSize(8).doesNotHaveDuplicates();
        assertThat(empty.get()).isEqualTo(4);
    }

    @Test
    void aClaimNeverWaitsForAStandbyBeingMadeAndStartsNoRefillItself() throws Exception {
        maker.gated = true;
        pool.target(a, 1);
        await("the first make started", () -> maker.making.get() == 1);

        long t0 = System.nanoTime();
        assertThat(pool.take(a)).isNull();
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));

        maker.gate.release();
        await("the standby made", () -> pool.ready(a) == 1);
        assertThat(pool.take(a)).isEqualTo(1);
        assertThat(maker.making.get()).isZero();
        assertThat(pool.ready(a)).isZero();

        pool.refill(a); // what the engine asks once its claim returned
        await("the refill started", () -> maker.making.get() == 1);
        maker.gate.release();
        await("refilled", () -> pool.ready(a) == 1);
        assertThat(maker.made.get()).isEqualTo(2);
    }

    @Test
    void aDeadStandbyIsEndedAndTheNextLiveOneHandedOut() throws Exception {
        pool.target(a, 3);
        await("3 standbys", () -> pool.ready(a) == 3);
        maker.dead.add(1);
        maker.dead.add(2);

        assertThat(pool.take(a)).isEqualTo(3);
        assertThat(maker.ended).containsExactlyInAnyOrder(1, 2);
        assertThat(pool.take(a)).isNull();
    }

    @Test
    void aFailingMakeEndsTheRefillUntilTheNextAskInsteadOfSpinning() throws Exception {
        maker.failing = true;
        pool.target(a, 2);
        await("the refill gave up", () -> !pool.refilling(a));
        assertThat(maker.attempts.get()).isEqualTo(1);
        assertThat(pool.ready(a)).isZero();

        maker.failing = false;
        pool.refill(a);
        await("refilled once makes work again", () -> pool.ready(a) == 2);
        assertThat(maker.attempts.get()).isEqualTo(3);
    }

    @Test
    void loweringTheTargetEndsTheStandbysAboveIt() throws Exception {
        pool.target(a, 3);
        await("3 standbys", () -> pool.ready(a) == 3);

        pool.target(a, 1);
        assertThat(pool.ready(a)).isEqualTo(1);
        assertThat(maker.ended).hasSize(2);

        pool.target(a, 0);
        assertThat(pool.ready(a)).isZero();
        assertThat(maker.ended).containsExactlyInAnyOrder(1, 2, 3);
    }

    @Test
    void droppingATemplateEndsItsReadyStandbysAndTheOneBeingMadeBeforeItReturns() throws Exception {
        pool.target(a, 2);
        await("2 standbys", () -> pool.ready(a) == 2);
        maker.gated = true;
        pool.take(a);
        pool.refill(a);
        await("a make in progress", () -> maker.making.get() == 1);
        CountDownLatch dropped = new CountDownLatch(1);
        Thread.ofVirtual().start(() -> {
            pool.drop(a);
            dropped.countDown();
        });
        assertThat(dropped.await(200, TimeUnit.MILLISECONDS)).as("drop waits for the standby being made").isFalse();

        maker.gate.release();
        assertThat(dropped.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(maker.ended).containsExactlyInAnyOrder(2, 3);
        assertThat(pool.ready(a)).isZero();
    }

    @Test
    void closingEndsEveryStandbyOfEveryTemplateAndMakesNoMore() throws Exception {
        pool.target(a, 2);
        pool.target(b, 1);
        await("3 standbys", () -> pool.ready(a) == 2 && pool.ready(b) == 1);

        pool.close();

        assertThat(maker.ended).containsExactlyInAnyOrder(1, 2, 3);
        pool.target(a, 2);
        pool.refill(a);
        assertThat(maker.making.get()).isZero();
        assertThat(pool.ready(a)).isZero();
        assertThat(maker.made.get()).isEqualTo(3);
        assertThat(new HashSet<>(maker.ended)).hasSize(3);
    }

    @Test
    void aCountOutsideTheLimitIsRefused() {
        assertThatThrownBy(() -> pool.target(a, StandbyPool.MAX_PER_TEMPLATE + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> pool.target(a, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
