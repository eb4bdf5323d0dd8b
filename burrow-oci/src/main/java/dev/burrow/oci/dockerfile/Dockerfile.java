package dev.burrow.oci.dockerfile;

import dev.burrow.oci.dockerfile.internal.InstructionParser;
import dev.burrow.oci.dockerfile.internal.LogicalLines;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed Dockerfile.
 *
 * @param globalArgs the ARGs before the first FROM (visible to FROM lines, and inside a stage
 *     when it declares the same ARG without a value)
 * @param stages the build stages in order; the last one is the image unless a target is named
 * @param warnings what was accepted but has no effect in Burrow (each names its line)
 */
public record Dockerfile(List<Instruction.Arg> globalArgs, List<Stage> stages, List<String> warnings) {
    public Dockerfile {
        globalArgs = List.copyOf(globalArgs);
        stages = List.copyOf(stages);
        warnings = List.copyOf(warnings);
    }

    public Dockerfile(List<Instruction.Arg> globalArgs, List<Stage> stages) {
        this(globalArgs, stages, List.of());
    }

    /** Parses a Dockerfile; every error names its line. */
    public static Dockerfile parse(String text) throws DockerfileException {
        LogicalLines.Result lines = LogicalLines.split(text);
        List<String> warnings = new ArrayList<>();
        InstructionParser parser = new InstructionParser(lines.escape(), warnings::add);
        List<Instruction.Arg> global = new ArrayList<>();
        List<Stage> stages = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Instruction.From from = null;
        List<Instruction> body = new ArrayList<>();
        for (LogicalLines.Logical l : lines.lines()) {
            for (Instruction i : parser.parse(l)) {
                if (i instanceof Instruction.From f) {
                    if (from != null) {
                        stages.add(new Stage(stages.size(), from.alias(), from, body, lines.escape()));
                        body = new ArrayList<>();
                    }
                    if (stages.size() >= DockerfileLimits.MAX_STAGES) {
                        throw new DockerfileException(f.line(), "more than " + DockerfileLimits.MAX_STAGES + " stages");
                    }
                    if (f.alias() != null && !names.add(f.alias())) {
                        throw new DockerfileException(f.line(), "the stage name '" + f.alias() + "' is used twice");
                    }
                    from = f;
                } else if (from == null) {
                    if (!(i instanceof Instruction.Arg a)) {
                        throw new DockerfileException(i.line(), "'" + i.text().split("\\s+", 2)[0]
                                + "' before the first FROM (only ARG may come before it)");
                    }
                    global.add(a);
                } else {
                    body.add(i);
                }
            }
        }
        if (from == null) {
            throw new DockerfileException(0, "no FROM instruction");
        }
        stages.add(new Stage(stages.size(), from.alias(), from, body, lines.escape()));
        return new Dockerfile(global, stages, warnings);
    }

    /**
     * The stage a build targets: the named one ({@code --target}), or the last when null or empty.
     */
    public Stage target(String name) throws DockerfileException {
        if (name == null || name.isEmpty()) {
            return stages.getLast();
        }
        String n = name.toLowerCase(Locale.ROOT);
        for (Stage s : stages) {
            if (n.equals(s.name())) {
                return s;
            }
        }
        throw new DockerfileException(0, "no stage named '" + name + "' (the target)");
    }

    /**
     * The stage a {@code COPY --from} or a build target names: a stage name (any case) or a
     * stage index; empty when it names neither (then it is an image reference).
     */
    public Optional<Stage> stage(String nameOrIndex) {
        String n = nameOrIndex.toLowerCase(Locale.ROOT);
        for (Stage s : stages) {
            if (n.equals(s.name())) {
                return Optional.of(s);
            }
        }
        if (!n.isEmpty() && n.chars().allMatch(Character::isDigit) && n.length() < 4) {
            int idx = Integer.parseInt(n);
            if (idx < stages.size()) {
                return Optional.of(stages.get(idx));
            }
        }
        return Optional.empty();
    }
}
