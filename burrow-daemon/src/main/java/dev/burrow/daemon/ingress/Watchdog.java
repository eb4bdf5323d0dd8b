package dev.burrow.daemon.ingress;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** Deadlines for blocking reads: an alarm that is not cancelled in time runs its action (closing a link). */
final class Watchdog implements AutoCloseable {

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
            Thread.ofPlatform().daemon().name("ingress-watchdog").factory());

    Watchdog() {
        timer.setRemoveOnCancelPolicy(true);
    }

    /** An armed alarm; {@link Alarm#close} disarms it. */
    static final class Alarm implements AutoCloseable {
        private final ScheduledFuture<?> future;
        private volatile boolean rang;

        private Alarm(ScheduledFuture<?> future) {
            this.future = future;
        }

        boolean rang() {
            return rang;
        }

        @Override
        public void close() {
            future.cancel(false);
        }
    }

    Alarm arm(Duration after, Runnable action) {
        Alarm[] alarm = new Alarm[1];
        Object lock = new Object();
        synchronized (lock) {
            alarm[0] = new Alarm(timer.schedule(() -> {
                synchronized (lock) {
                    alarm[0].rang = true;
                }
                action.run();
            }, after.toNanos(), TimeUnit.NANOSECONDS));
        }
        return alarm[0];
    }

    void every(Duration period, Runnable action) {
        timer.scheduleWithFixedDelay(action, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
