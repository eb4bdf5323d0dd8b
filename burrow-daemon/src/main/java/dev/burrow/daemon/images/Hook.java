package dev.burrow.daemon.images;

/** One lifecycle hook's setting: {@code {enabled, timeoutSeconds}}. */
public record Hook(boolean enabled, int timeoutSeconds) {

    public static final Hook DISABLED = new Hook(false, 1);
}
