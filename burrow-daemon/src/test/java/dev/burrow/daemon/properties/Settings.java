package dev.burrow.daemon.properties;

import java.time.Duration;

/** Every limit of the API property test, with its default; a few can be raised by system properties for a long run. */
public final class Settings {

    /** System property: the number of generated requests (jqwik tries) of the main property. */
    public static final String TRIES_PROPERTY = "burrow.prop.tries";
    /** Default tries: keeps the class (daemon start and one image build included) around two minutes under TCG. */
    public static final int DEFAULT_TRIES = 300;
    /**
     * System property: {@code true} = survey mode. Failures are recorded instead of failing the try,
     * and one example per distinct failure is printed when the class ends (then the class fails).
     */
    public static final String SURVEY_PROPERTY = "burrow.prop.survey";

    /** A whole answer (headers and a body that ends) must arrive within this. */
    public static final Duration ANSWER_DEADLINE = Duration.ofSeconds(20);
    /** An open-ended stream (follow, watch) is read this long, then closed by the client. */
    public static final Duration OPEN_STREAM_WINDOW = Duration.ofMillis(1500);
    /** Response bytes read at most; the rest is dropped (a directory read as tar can be large). */
    public static final int MAX_RESPONSE_BYTES = 4 << 20;
    /** The daemon's JSON request body limit (SPEC §2). */
    public static final int MAX_JSON_BODY = 1 << 20;
    /** A string member this long keeps a body just within {@link #MAX_JSON_BODY}. */
    public static final int HUGE_STRING = 900 * 1024;
    /** Items a mutation adds to an array to break its {@code maxItems} (the largest in the document is 64). */
    public static final int EXTRA_ITEMS = 70;
    /** Waits for the fixture image build and microVM state changes. */
    public static final Duration FIXTURE_DEADLINE = Duration.ofMinutes(4);
    /** Longest generated string when the schema sets no maxLength. */
    public static final int MAX_FREE_STRING = 24;
    /** Longest generated array or map when the schema sets no maximum. */
    public static final int MAX_FREE_ITEMS = 4;
    /** Repetitions an unbounded regex quantifier ({@code *}, {@code +}) generates at most. */
    public static final int MAX_REGEX_REPEAT = 8;

    private Settings() {}

    /** The tries of the main property: {@value #TRIES_PROPERTY} when set, else {@value #DEFAULT_TRIES}. */
    public static int tries() {
        return Integer.getInteger(TRIES_PROPERTY, DEFAULT_TRIES);
    }

    public static boolean survey() {
        return Boolean.getBoolean(SURVEY_PROPERTY);
    }
}
