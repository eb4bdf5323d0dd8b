/**
 * The files API (SPEC §3): each operation is one agent builtin ({@code read}, {@code write},
 * {@code mkdir}, {@code rm}, {@code mv}, {@code list}, {@code stat}, {@code watch}) run as an
 * exec stream in the microVM, so data flows frame by frame under the stream's flow control and
 * is never held whole here. {@link GuestFiles} runs them and turns the builtins' exit codes into
 * {@link GuestFileException}s; the guest's bytes are hostile: its messages are cut and cleaned,
 * its NDJSON lines bounded and re-encoded.
 */
package dev.burrow.daemon.microvms.files;
