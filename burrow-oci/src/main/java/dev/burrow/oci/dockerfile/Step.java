package dev.burrow.oci.dockerfile;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One resolved instruction of a stage, as {@link StageEvaluator#next} returns it. Every step has
 * a {@code cacheKeyText}: the instruction after expansion plus everything that changes its result;
 * the builder hashes it with the parent chain (and, for COPY/ADD, the inputs hash).
 */
public sealed interface Step {
    String cacheKeyText();

    /**
     * A command for the builder microVM.
     *
     * @param argv the command: exec form as written, shell form wrapped in the current SHELL
     * @param env ENV plus the visible ARGs (ENV wins), in order
     * @param user the current USER, or null for root
     * @param workdir the current WORKDIR ({@code /} when none was set)
     * @param network {@code default} or {@code none} ({@code RUN --network})
     */
    record RunStep(List<String> argv, Map<String, String> env, String user, String workdir, String cacheKeyText,
            String network) implements Step {
        public RunStep {
            argv = List.copyOf(argv);
            env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        }
    }

    /**
     * A COPY or ADD.
     *
     * @param sources expanded sources (context paths, or paths in {@code fromStage})
     * @param dest absolute; a trailing {@code /} means a directory (added when the destination is the
     *     base image's or a WORKDIR of the stage, which exist; for other existing directories the
     *     layer writer asks its {@code existingDirectory} predicate)
     * @param fromStage the {@code --from} value (a stage name or index, or an image reference), or null
     * @param chown the expanded {@code --chown} value, or null
     * @param chmod the {@code --chmod} mode, or null
     * @param add true for ADD (local archives are extracted)
     * @param inline heredoc files, bodies already expanded where the delimiter was unquoted
     */
    record CopyStep(List<String> sources, String dest, String fromStage, String chown, Integer chmod, boolean add,
            List<Heredoc> inline, String cacheKeyText) implements Step {
        public CopyStep {
            sources = List.copyOf(sources);
            inline = List.copyOf(inline);
        }
    }

    /**
     * An instruction that changes only the image config (ENV, USER, EXPOSE, …).
     *
     * @param mkdir for WORKDIR: the absolute directory the builder creates (owned by the current
     *     USER, as Docker does); null otherwise
     */
    record ConfigStep(String cacheKeyText, String mkdir) implements Step {
        public ConfigStep(String cacheKeyText) {
            this(cacheKeyText, null);
        }
    }
}
