package dev.burrow.vmm.qemu;

import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Standbys: microVMs restored ahead of need and paused, one queue per template (issue 13). A
 * claim only takes one under the lock, so none is handed out twice and a claim never waits for
 * a VMM to start; a dead one is ended, never handed out. Refills are asked for by the engine
 * once a claim has returned and run on one virtual thread per template, one standby at a time,
 * so a pool of n never starts n VMMs at once on a small host. What a standby is and how one is
 * made is the {@link Maker}'s, so the pool's logic is tested without QEMU.
 *
 * @param <S> a standby (the engine's paused microVM; a fake in tests)
 */
final class StandbyPool<S> {

    private static final Logger LOG = LoggerFactory.getLogger(StandbyPool.class);

    /** The most standbys one template may keep. */
    static final int MAX_PER_TEMPLATE = 64;
    /** The longest {@link #drop} and {@link #close} wait for a standby still being made. */
    static final Duration DROP_TIMEOUT = Duration.ofSeconds(30);

    /** How standbys are made, checked and ended: the engine's QEMU-facing part. */
    interface Maker<S> {
        /** A new standby of {@code t}, paused and ready to be claimed. */
        S make(Template t) throws VmmException;

        /** False when its VMM is gone: it is ended, never handed out. */
        boolean alive(S standby);

        /** Ends it and removes its files; logs, never throws. */
        void end(S standby);
    }

    private final Maker<S> maker;
    private final Map<String, Slot<S>> slots = new HashMap<>();
    private boolean closed;

    private static final class Slot<S> {
        final Template template;
        final ArrayDeque<S> ready = new ArrayDeque<>();
        int target;
        /** True while this slot's refill thread runs (at most one per template). */
        boolean refilling;

        Slot(Template template) {
            this.template = template;
        }
    }

    StandbyPool(Maker<S> maker) {
        this.maker = maker;
    }

    private static String key(Template t) {
        return t.dir().toAbsolutePath().toString();
    }

    /** Keeps {@code count} standbys of {@code t}: those above it end now, those missing are made in the background. */
    void target(Template t, int count) {
        if (count < 0 || count > MAX_PER_TEMPLATE) {
            throw new IllegalArgumentException("standby count must be 0.." + MAX_PER_TEMPLATE + ": " + count);
        }
        List<S> gone = new ArrayList<>();
        synchronized (this) {
            if (closed && count > 0) {
                return;
            }
            Slot<S> s = slots.computeIfAbsent(key(t), k -> new Slot<>(t));
            s.target = count;
            while (s.ready.size() > count) {
                gone.add(s.ready.pollLast());
            }
            if (count == 0 && !s.refilling) {
                slots.remove(key(t));
            }
            refill(s);
        }
        gone.forEach(maker::end);
    }

    /**
     * A standby of {@code t} taken out of the pool, or null when none is ready (never waits for
     * one). Dead ones met on the way are ended. Starts no refill: the engine asks for one with
     * {@link #refill} once its claim has returned.
     */
    S take(Template t) {
        List<S> dead = new ArrayList<>();
        S taken = null;
        synchronized (this) {
            Slot<S> s = slots.get(key(t));
            if (s != null) {
                S next;
                while ((next = s.ready.pollFirst()) != null) {
                    if (maker.alive(next)) {
                        taken = next;
                        break;
                    }
                    dead.add(next);
                }
            }
        }
        for (S d : dead) {
            LOG.warn("standby of template {} was dead and is discarded", t.id());
            maker.end(d);
        }
        return taken;
    }

    /** Makes the standbys {@code t} is missing, in the background; a no-op while a refill runs or none is kept. */
    synchronized void refill(Template t) {
        Slot<S> s = slots.get(key(t));
        if (s != null) {
            refill(s);
        }
    }

    /** True while a refill of {@code t} runs (tests wait on it). */
    synchronized boolean refilling(Template t) {
        Slot<S> s = slots.get(key(t));
        return s != null && s.refilling;
    }

    /** How many standbys of {@code t} are ready now. */
    synchronized int ready(Template t) {
        Slot<S> s = slots.get(key(t));
        return s == null ? 0 : s.ready.size();
    }

    /**
     * Ends every standby of {@code t} and forgets the template: those ready at once, the one being
     * made as soon as it is made (waited for, at most {@link #DROP_TIMEOUT}), so none keeps the
     * template's files open after this returns.
     */
    void drop(Template t) {
        List<S> gone = new ArrayList<>();
        synchronized (this) {
            Slot<S> s = slots.get(key(t));
            if (s == null) {
                return;
            }
            s.target = 0;
            gone.addAll(s.ready);
            s.ready.clear();
            awaitRefills(List.of(s));
            if (s.target == 0) {
                slots.remove(key(t));
            }
        }
        gone.forEach(maker::end);
    }

    /** Ends every standby; none is made afterwards. Waits for those being made, at most {@link #DROP_TIMEOUT}. */
    void close() {
        List<S> gone = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (Slot<S> s : slots.values()) {
                s.target = 0;
                gone.addAll(s.ready);
                s.ready.clear();
            }
            awaitRefills(List.copyOf(slots.values()));
            slots.clear();
        }
        gone.forEach(maker::end);
    }

    /** Waits (holding the monitor, released while waiting) until none of {@code of} is refilling, at most {@link #DROP_TIMEOUT}. */
    private void awaitRefills(List<Slot<S>> of) {
        long deadline = System.nanoTime() + DROP_TIMEOUT.toNanos();
        try {
            while (of.stream().anyMatch(s -> s.refilling) && System.nanoTime() < deadline) {
                TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (of.stream().anyMatch(s -> s.refilling)) {
            LOG.warn("standbys still being made after {} s; they end when they are made", DROP_TIMEOUT.toSeconds());
        }
    }

    private void refill(Slot<S> s) {
        if (closed || s.refilling || s.ready.size() >= s.target) {
            return;
        }
        s.refilling = true;
        Thread.ofVirtual().name("standby-" + s.template.id()).start(() -> fill(s));
    }

    /** One template's refill: one standby at a time until the target is met; a failure ends it until the next ask. */
    private void fill(Slot<S> s) {
        while (true) {
            synchronized (this) {
                if (closed || s.ready.size() >= s.target) {
                    s.refilling = false;
                    notifyAll();
                    return;
                }
            }
            S made = null;
            try {
                made = maker.make(s.template);
            } catch (VmmException | RuntimeException e) {
                LOG.warn("standby of template {} could not be made: {}", s.template.id(), e.getMessage());
            }
            boolean keep;
            synchronized (this) {
                keep = made != null && !closed && s.ready.size() < s.target;
                if (keep) {
                    s.ready.addLast(made);
                }
                if (made == null) {
                    s.refilling = false;
                    notifyAll();
                }
            }
            if (made != null && !keep) {
                maker.end(made);
            }
            if (made == null) {
                return;
            }
        }
    }
}
