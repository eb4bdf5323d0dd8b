package dev.burrow.daemon.standby;

import dev.burrow.daemon.metrics.Metrics;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.Template;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides how many standbys each version keeps and tells the engine when that changes. What is
 * wanted comes from {@code wanted} (the demo's newest version first, then every version whose
 * settings ask for some); each sweep shares the budget out one standby per version per round,
 * so every version gets one before any gets two, charging each standby its version's memory
 * size. A standby that would take the host's free memory below {@code reserveMiB} is not
 * started. A version no longer wanted (INACTIVE, deleted, superseded, its count lowered) gets
 * {@code keepStandby(t, 0)}. Sweeps run every {@link #SWEEP_INTERVAL} and soon after
 * {@link #changed()}; what does not fit is logged once per change, not per sweep.
 */
public final class StandbyPool implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyPool.class);
    /** How often the pool looks again at what is wanted (image events make it look sooner). */
    public static final Duration SWEEP_INTERVAL = Duration.ofSeconds(5);

    /** Loads a version's template (only when its count changes). */
    @FunctionalInterface
    public interface TemplateSource {
        Template load() throws IOException;
    }

    /**
     * A version that asks for {@code count} standbys of {@code memoryMiB} each; {@code key}
     * names it in the log (tenant id, image, version), never in a metric.
     */
    public record Want(String key, int count, int memoryMiB, TemplateSource template) {}

    /** What one sweep decided: standbys kept per version key, the memory they are charged. */
    public record Plan(Map<String, Integer> kept, long chargedMiB) {}

    private record Held(Template template, int count, int memoryMiB) {}

    private final Hypervisor engine;
    private final Supplier<List<Want>> wanted;
    private final LongSupplier availableMiB;
    private final long budgetMiB;
    private final long reserveMiB;
    /** What the engine was last told, by version key (guarded by this). */
    private final Map<String, Held> held = new LinkedHashMap<>();
    /** The last "keeps fewer than asked" line logged per key, so it is logged once per change. */
    private final Map<String, String> reported = new HashMap<>();
    private final AtomicBoolean sweepQueued = new AtomicBoolean();
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("standby-pool").daemon().factory());
    private volatile boolean closed;

    /**
     * {@code budgetMiB}: the memory budget (0 = no standbys); {@code reserveMiB}: the host's free
     * memory a new standby never goes below ({@code availableMiB} reads it).
     */
    public StandbyPool(Hypervisor engine, Supplier<List<Want>> wanted, long budgetMiB, long reserveMiB, LongSupplier availableMiB) {
        this.engine = engine;
        this.wanted = wanted;
        this.budgetMiB = budgetMiB;
        this.reserveMiB = reserveMiB;
        this.availableMiB = availableMiB;
    }

    /** Sweeps now and every {@link #SWEEP_INTERVAL} (tests call {@link #sweep()} themselves). */
    public void start() {
        sweeper.scheduleWithFixedDelay(this::sweepQuietly, 0, SWEEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Something that may change what is wanted happened (a version built, deactivated, deleted, its count changed): sweep soon. */
    public void changed() {
        if (!closed && sweepQueued.compareAndSet(false, true)) {
            try {
                sweeper.execute(() -> {
                    sweepQueued.set(false);
                    sweepQuietly();
                });
            } catch (RuntimeException rejected) {
                sweepQueued.set(false); // closing
            }
        }
    }

    private void sweepQuietly() {
        try {
            sweep();
        } catch (RuntimeException e) {
            LOG.warn("standby pool: {}", e.toString());
        }
    }

    /** Decides the counts from what is wanted now and tells the engine what changed. */
    public synchronized Plan sweep() {
        if (closed) {
            return new Plan(Map.of(), 0);
        }
        Map<String, Want> wants = new LinkedHashMap<>();
        for (Want w : wanted.get()) {
            if (w.count() > 0 && w.memoryMiB() > 0) {
                wants.putIfAbsent(w.key(), w); // the first says it (the demo before a configured count)
            }
        }
        Map<String, Integer> allot = allot(wants);
        // lower first, so what one version gives up is free before another takes it
        for (String key : List.copyOf(held.keySet())) {
            int n = allot.getOrDefault(key, 0);
            if (n == 0) {
                release(key);
            } else if (n < held.get(key).count()) {
                keep(wants.get(key), n);
            }
        }
        for (Map.Entry<String, Integer> a : allot.entrySet()) {
            Want w = wants.get(a.getKey());
            report(w, a.getValue());
            if (a.getValue() > 0) {
                keep(w, a.getValue());
            }
        }
        reported.keySet().retainAll(wants.keySet());
        Map<String, Integer> kept = new LinkedHashMap<>();
        held.forEach((k, h) -> kept.put(k, h.count()));
        return new Plan(kept, chargedMiB());
    }

    /** One standby per version per round while the budget and the host's free memory allow. */
    private Map<String, Integer> allot(Map<String, Want> wants) {
        Map<String, Integer> allot = new LinkedHashMap<>();
        wants.keySet().forEach(k -> allot.put(k, 0));
        long budgetLeft = budgetMiB;
        long hostRoom = Math.max(0, availableMiB.getAsLong() - reserveMiB); // only new standbys take from it
        boolean gave = true;
        for (int round = 1; gave; round++) {
            gave = false;
            for (Want w : wants.values()) {
                if (w.count() < round || w.memoryMiB() > budgetLeft) {
                    continue;
                }
                Held h = held.get(w.key());
                boolean isNew = h == null || h.count() < round;
                if (isNew && w.memoryMiB() > hostRoom) {
                    continue;
                }
                if (isNew) {
                    hostRoom -= w.memoryMiB();
                }
                budgetLeft -= w.memoryMiB();
                allot.merge(w.key(), 1, Integer::sum);
                gave = true;
            }
        }
        return allot;
    }

    private void keep(Want w, int count) {
        Held h = held.get(w.key());
        if (h != null && h.count() == count) {
            return;
        }
        Template t;
        try {
            t = h != null ? h.template() : w.template().load();
        } catch (IOException | RuntimeException e) {
            LOG.warn("no standbys for {}: its template cannot be read: {}", w.key(), e.getMessage());
            return;
        }
        engine.keepStandby(t, count);
        held.put(w.key(), new Held(t, count, w.memoryMiB()));
        LOG.info("keeping {} standby(s) of {}", count, w.key());
    }

    private void release(String key) {
        Held h = held.remove(key);
        if (h != null) {
            engine.keepStandby(h.template(), 0);
            LOG.info("no more standbys of {}", key);
        }
    }

    private void report(Want w, int kept) {
        if (kept >= w.count()) {
            reported.remove(w.key());
            return;
        }
        String line = kept + " of " + w.count();
        if (!line.equals(reported.put(w.key(), line))) {
            LOG.info("{} asks for {} standby(s) of {} MiB; keeping {}: the standby memory budget ({} MiB, BURROW_STANDBY_MEMORY_MIB) "
                    + "or the host's free memory (keeping {} MiB free) does not fit more", w.key(), w.count(), w.memoryMiB(), kept,
                    budgetMiB, reserveMiB);
        }
    }

    /** Standbys the engine was told to keep, all versions together. */
    public synchronized int kept() {
        return held.values().stream().mapToInt(Held::count).sum();
    }

    /** Standbys ready to be claimed now, all versions together. */
    public int ready() {
        List<Template> ts;
        synchronized (this) {
            ts = new ArrayList<>(held.values().stream().map(Held::template).toList());
        }
        return ts.stream().mapToInt(engine::standbyReady).sum();
    }

    /** The memory the kept standbys are charged (count × their version's memory size). */
    public synchronized long chargedMiB() {
        return held.values().stream().mapToLong(h -> (long) h.count() * h.memoryMiB()).sum();
    }

    /** Adds the pool's gauges to {@code metrics} (no per-version label: versions are tenants' names). */
    public StandbyPool register(Metrics metrics) {
        metrics.gauge("burrow_standby_ready", "Standbys ready to be claimed now (all versions)", this::ready);
        metrics.gauge("burrow_standby_kept", "Standbys the pool keeps (ready or being restored)", this::kept);
        metrics.gauge("burrow_standby_memory_mib", "Memory charged to the kept standbys (count x version memory size)", this::chargedMiB);
        metrics.gauge("burrow_standby_budget_mib", "The standby memory budget (BURROW_STANDBY_MEMORY_MIB)", () -> budgetMiB);
        return this;
    }

    /** Stops sweeping and lets every standby go. */
    @Override
    public void close() {
        closed = true;
        sweeper.shutdownNow();
        synchronized (this) {
            for (String key : List.copyOf(held.keySet())) {
                try {
                    release(key);
                } catch (RuntimeException e) {
                    LOG.warn("releasing the standbys of {}: {}", key, e.toString());
                }
            }
        }
    }
}
