package dev.burrow.cli.internal;

/**
 * How a verb that failed ends, whichever parser ran it: {@code burrow: <message>} on stderr and
 * exit 125; anything that is not a Burrow error is an internal error (its stack trace with
 * {@code BURROW_DEBUG} set).
 */
public final class Failures {
    /** A Burrow error: bad usage, an API error, burrowd unreachable. */
    public static final int EXIT_ERROR = 125;

    private Failures() {}

    /** Tells the failure on stderr and answers the exit code. */
    public static int report(CliEnv env, Throwable ex) {
        String message;
        if (ex instanceof BurrowException be) {
            message = be.getMessage();
        } else if (ex instanceof IllegalArgumentException) {
            message = ex.getMessage();
        } else {
            message = "internal error: " + ex;
            if (env.getenv("BURROW_DEBUG") != null) ex.printStackTrace(env.err());
        }
        env.err().println("burrow: " + message);
        env.err().flush();
        return EXIT_ERROR;
    }
}
