package dev.burrow.daemon.images;

/** Range checks whose messages name the field, the range and what to do (SPEC §2). */
final class Validation {

    private Validation() {}

    static void range(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw new InvalidRequestException(field, field + " must be between " + min + " and " + max + "; got " + value);
        }
    }
}
