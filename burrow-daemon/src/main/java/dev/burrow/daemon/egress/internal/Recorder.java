package dev.burrow.daemon.egress.internal;

/** Where a listener reports each decision it makes (the microVM's decision log). */
@FunctionalInterface
public interface Recorder {
    void record(String protocol, String name, int port, boolean allowed, String reason);
}
