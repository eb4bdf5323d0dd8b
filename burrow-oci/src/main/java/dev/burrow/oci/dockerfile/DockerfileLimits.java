package dev.burrow.oci.dockerfile;

/** Every limit of the Dockerfile parser and evaluator, in one place; each is refused naming the line. */
public final class DockerfileLimits {
    /** A Dockerfile's size. */
    public static final int MAX_BYTES = 1 << 20;
    /** Instructions (logical lines, continuations joined). */
    public static final int MAX_INSTRUCTIONS = 10_000;
    /** One instruction, continuations joined. */
    public static final int MAX_INSTRUCTION_BYTES = 1 << 20;
    /** Build stages (FROM instructions). */
    public static final int MAX_STAGES = 128;
    /** One heredoc's body. */
    public static final int MAX_HEREDOC_BYTES = 1 << 20;
    /** The result of expanding one word (nested variables cannot blow up past it). */
    public static final int MAX_EXPANSION_BYTES = 1 << 20;
    /** Nesting of {@code ${a:-${b:-…}}} in one word. */
    public static final int MAX_EXPANSION_DEPTH = 64;
    /** Ports one stage may expose ({@code EXPOSE 1000-2000} counts each). */
    public static final int MAX_EXPOSED_PORTS = 1024;
    /** All variables (ENV and ARG values) visible in one stage together. */
    public static final int MAX_VARIABLE_BYTES = 8 << 20;

    private DockerfileLimits() {
    }
}
