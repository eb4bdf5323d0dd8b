package dev.burrow.vmm.agent;

/** What an exec produces, in the order the guest sent it. {@link Exit} is always last. */
public sealed interface ExecEvent {

    record Started(int pid) implements ExecEvent {}

    record Stdout(byte[] data) implements ExecEvent {}

    record Stderr(byte[] data) implements ExecEvent {}

    /** The main process ended: {@code signal} is 0 unless it was killed (then exitCode = 128 + signal). */
    record Exit(int exitCode, int signal) implements ExecEvent {}

    /** The stream failed before or instead of an exit (bad user, channel lost…). */
    record Failed(String message) implements ExecEvent {}
}
