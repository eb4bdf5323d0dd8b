package dev.burrow.vmm.qemu;

import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMMs started ahead of need, one queue per template, each already listening for its device
 * state: a restore then only streams ~70 KB and wakes the guest. Refilled on a virtual thread
 * after every take; a dead or stale waiting VMM is discarded, never handed out.
 */
final class WarmPool {

    private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);

    /** The longest {@link #drop} waits for VMMs still starting. */
    static final Duration DROP_TIMEOUT = Duration.ofSeconds(30);

    private final QemuHypervisor engine;
    private final Map<String, Slot> slots = new HashMap<>();
    private boolean closed;

    private static final class Slot {
        final Template template;
        final ArrayDeque<QemuHypervisor.Waiting> ready = new ArrayDeque<>();
        int target;
        int starting;

        Slot(Template template) {
            this.template = template;
        }
    }

    WarmPool(QemuHypervisor engine) {
        this.engine = engine;
    }

    private static String key(Template t) {
        return t.dir().toAbsolutePath().toString();
    }

    synchronized void target(Template t, int count) {
        if (count < 0 || count > 64) {
            throw new IllegalArgumentException("warm count must be 0..64: " + count);
        }
        Slot s = slots.computeIfAbsent(key(t), k -> new Slot(t));
        s.target = count;
        while (s.ready.size() > count) {
            discard(s.ready.pollLast());
        }
        refill(s);
    }

    /** A waiting VMM for {@code t}, or null when none is ready. */
    synchronized QemuHypervisor.Waiting take(Template t) {
        Slot s = slots.get(key(t));
        if (s == null) {
            return null;
        }
        QemuHypervisor.Waiting w;
        while ((w = s.ready.pollFirst()) != null && !w.vm().isAlive()) {
            discard(w);
        }
        refill(s);
        return w;
    }

    /**
     * Ends every warm VMM of {@code t} and forgets the template: those ready at once, those still
     * starting as soon as they are up (waited for, at most {@link #DROP_TIMEOUT}), so none keeps
     * the template's files open after this returns.
     */
    void drop(Template t) {
        List<QemuHypervisor.Waiting> gone = new ArrayList<>();
        synchronized (this) {
            Slot s = slots.get(key(t));
            if (s == null) {
                return;
            }
            s.target = 0;
            gone.addAll(s.ready);
            s.ready.clear();
            long deadline = System.nanoTime() + DROP_TIMEOUT.toNanos();
            try {
                while (s.starting > 0 && System.nanoTime() < deadline) {
                    TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (s.starting > 0) {
                LOG.warn("warm pool for template {}: {} VMMs still starting after {} s; they end when they are up",
                        t.id(), s.starting, DROP_TIMEOUT.toSeconds());
            }
            if (s.target == 0) {
                slots.remove(key(t));
            }
        }
        gone.forEach(WarmPool::discard);
    }

    synchronized int ready(Template t) {
        Slot s = slots.get(key(t));
        return s == null ? 0 : s.ready.size();
    }

    private void refill(Slot s) {
        while (!closed && s.ready.size() + s.starting < s.target) {
            s.starting++;
            Thread.ofVirtual().name("warm-" + s.template.id()).start(() -> {
                QemuHypervisor.Waiting w = null;
                try {
                    w = engine.spawnWaiting(s.template, QemuHypervisor.newVmId());
                } catch (VmmException e) {
                    LOG.warn("warm pool for template {}: {}", s.template.id(), e.getMessage());
                }
                synchronized (WarmPool.this) {
                    s.starting--;
                    WarmPool.this.notifyAll();
                    if (w != null && (closed || s.ready.size() >= s.target)) {
                        discard(w);
                    } else if (w != null) {
                        s.ready.addLast(w);
                    }
                }
            });
        }
    }

    private static void discard(QemuHypervisor.Waiting w) {
        try {
            w.vm().close();
        } catch (VmmException e) {
            LOG.warn("discarding warm VMM {}: {}", w.vm().id(), e.getMessage());
        }
    }

    synchronized void close() {
        closed = true;
        for (Slot s : slots.values()) {
            s.target = 0;
            s.ready.forEach(WarmPool::discard);
            s.ready.clear();
        }
    }
}
