package dev.burrow.daemon.images;

import java.time.Instant;

/** Something that happened to an image version: a state change, an entrypoint exit, a warning. */
public record ImageEvent(Instant time, String kind, String ref, String from, String to, String reason) {}
