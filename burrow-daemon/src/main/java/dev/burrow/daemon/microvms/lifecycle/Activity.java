package dev.burrow.daemon.microvms.lifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What counts as use of one microVM (SPEC §1): running execs (and, with the interaction work,
 * ingress, PTY traffic and file operations) and guest CPU above a threshold. Idle time counts
 * from the last activity. Time is always an argument, so every rule tests without waiting.
 */
final class Activity {

    private record Sample(Instant at, double busy) {}

    private final double busyFraction;
    private final Duration window;
    private final Deque<Sample> samples = new ArrayDeque<>();
    private int running;
    private Instant last;

    Activity(Instant now, double busyFraction, Duration window) {
        this.last = now;
        this.busyFraction = busyFraction;
        this.window = window;
    }

    /** Something long-lived started (an exec, an open PTY): the microVM is busy until it ends. */
    synchronized void started(Instant now) {
        running++;
        last = later(last, now);
    }

    synchronized void ended(Instant now) {
        running = Math.max(0, running - 1);
        last = later(last, now);
    }

    /** A short activity (a request through ingress, a file operation). */
    synchronized void touch(Instant now) {
        last = later(last, now);
    }

    /**
     * One guest CPU sample: the busy fraction of one vCPU, agent excluded, since the previous
     * one. When the average over the window reaches the threshold, the guest is working.
     */
    synchronized void cpu(Instant now, double busy) {
        samples.addLast(new Sample(now, busy));
        while (!samples.isEmpty() && samples.peekFirst().at().isBefore(now.minus(window))) {
            samples.removeFirst();
        }
        double sum = 0;
        for (Sample s : samples) {
            sum += s.busy();
        }
        if (sum / samples.size() >= busyFraction) {
            last = later(last, now);
        }
    }

    /** Idle for at least {@code maxIdle} at {@code now}: nothing running, nothing since. */
    synchronized boolean idle(Instant now, Duration maxIdle) {
        return running == 0 && !last.plus(maxIdle).isAfter(now);
    }

    synchronized int running() {
        return running;
    }

    synchronized Instant last() {
        return last;
    }

    /** After a resume the idle clock starts again (the caller that woke it is about to use it). */
    synchronized void restart(Instant now) {
        samples.clear();
        last = later(last, now);
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
