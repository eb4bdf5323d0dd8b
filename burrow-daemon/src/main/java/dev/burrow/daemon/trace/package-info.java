/**
 * Where an API call's time goes: {@link dev.burrow.daemon.trace.Spans} times named steps of one
 * call (routing, auth, JSON, lookups, commits, the engine) on the call's own thread, for the
 * daemon benchmark and a debug log line. Nothing is recorded unless someone listens.
 */
package dev.burrow.daemon.trace;
