package dev.burrow.cli.internal;

/**
 * A verb's work once its command line is parsed, by {@link HotVerbs} or by picocli: the same
 * code either way, so both give the same output, errors and exit code.
 */
public interface HotVerb {
    /** Does the verb's work and answers its exit code; a failure is thrown (see {@link Failures}). */
    int run(VerbContext context);
}
