package dev.burrow.daemon.images.build.internal;

import dev.burrow.oci.dockerfile.Dockerfile;
import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.Instruction;
import dev.burrow.oci.dockerfile.Stage;
import dev.burrow.oci.dockerfile.StageEvaluator;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Which stages a build needs: the target (default the last) and, transitively, every earlier
 * stage it is built {@code FROM} or copies {@code --from}. Stages run in file order; the rest
 * are skipped.
 */
public final class StagePlan {

    private StagePlan() {
    }

    /** The needed stages in file order; an unknown target fails naming the stages there are. */
    public static List<Stage> needed(Dockerfile df, String target, Map<String, String> buildArgs) throws DockerfileException {
        Stage last;
        if (target == null || target.isBlank()) {
            last = df.stages().getLast();
        } else {
            last = df.stage(target).orElseThrow(() -> new DockerfileException(0, "no stage named '" + target + "' (stages: "
                    + df.stages().stream().map(s -> s.name() == null ? Integer.toString(s.index()) : s.name()).toList() + ")"));
        }
        StageEvaluator names = new StageEvaluator(buildArgs, df.globalArgs());
        TreeSet<Integer> needed = new TreeSet<>();
        Deque<Stage> todo = new ArrayDeque<>();
        todo.push(last);
        while (!todo.isEmpty()) {
            Stage s = todo.pop();
            if (!needed.add(s.index())) {
                continue;
            }
            earlier(df, s, names.fromImage(s)).forEach(todo::push);
            for (Instruction i : s.body()) {
                if (i instanceof Instruction.Copy c && c.from() != null) {
                    Stage from = earlier(df, s, c.from()).stream().findFirst().orElse(null);
                    if (from == null && df.stage(c.from()).isPresent()) {
                        throw new DockerfileException(c.line(), "COPY --from=" + c.from() + " names this stage or a later one");
                    }
                    if (from != null) {
                        todo.push(from);
                    }
                }
            }
        }
        return df.stages().stream().filter(s -> needed.contains(s.index())).toList();
    }

    /** The stage {@code ref} names when it is one before {@code s}; empty otherwise (an image). */
    static List<Stage> earlier(Dockerfile df, Stage s, String ref) {
        return df.stage(ref).filter(x -> x.index() < s.index()).map(List::of).orElse(List.of());
    }
}
