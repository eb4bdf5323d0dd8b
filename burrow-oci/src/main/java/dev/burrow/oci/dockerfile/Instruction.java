package dev.burrow.oci.dockerfile;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One parsed Dockerfile instruction. Arguments are kept as written: quotes and {@code $VARS} are
 * resolved per stage by {@link StageEvaluator} (a RUN is never expanded: its shell does that).
 * Exec-form instructions carry {@code exec} (the JSON array) and a null {@code shell}; shell-form
 * ones a null {@code exec} and the command text.
 */
public sealed interface Instruction {
    /** The 1-based line the instruction starts on. */
    int line();

    /** The instruction as written, continuations joined (heredoc bodies not included). */
    String text();

    /** {@code FROM [--platform=p] image [AS alias]}; alias lower-cased or null, platform raw or null. */
    record From(int line, String text, String image, String platform, String alias) implements Instruction {
    }

    /** {@code RUN}: flags such as {@code --network=none} as written. */
    record Run(int line, String text, List<String> exec, String shell, List<Heredoc> heredocs, List<String> flags)
            implements Instruction {
        public Run {
            exec = copy(exec);
            heredocs = List.copyOf(heredocs);
            flags = List.copyOf(flags);
        }
    }

    /** {@code COPY}: path sources and inline heredoc files; flag values raw or null. */
    record Copy(int line, String text, List<String> sources, String dest, String from, String chown, String chmod,
            List<Heredoc> heredocs, boolean link) implements Instruction {
        public Copy {
            sources = List.copyOf(sources);
            heredocs = List.copyOf(heredocs);
        }
    }

    /** {@code ADD}: local paths and archives (a URL is refused); inline heredoc files. */
    record Add(int line, String text, List<String> sources, String dest, String chown, String chmod,
            List<Heredoc> heredocs) implements Instruction {
        public Add {
            sources = List.copyOf(sources);
            heredocs = List.copyOf(heredocs);
        }
    }

    /** {@code ENV}: names to raw values, in order (both {@code a=b c=d} and legacy {@code a b}). */
    record Env(int line, String text, Map<String, String> vars) implements Instruction {
        public Env {
            vars = ordered(vars);
        }
    }

    /** {@code ARG name[=default]} (one record per name); default raw, or null. */
    record Arg(int line, String text, String name, String defaultValue) implements Instruction {
    }

    record Workdir(int line, String text, String path) implements Instruction {
    }

    record User(int line, String text, String user) implements Instruction {
    }

    /** {@code EXPOSE}: ports as written ({@code 80}, {@code 53/udp}, {@code $PORT}). */
    record Expose(int line, String text, List<String> ports) implements Instruction {
        public Expose {
            ports = List.copyOf(ports);
        }
    }

    record Entrypoint(int line, String text, List<String> exec, String shell) implements Instruction {
        public Entrypoint {
            exec = copy(exec);
        }
    }

    record Cmd(int line, String text, List<String> exec, String shell) implements Instruction {
        public Cmd {
            exec = copy(exec);
        }
    }

    /** {@code LABEL}: raw keys to raw values, in order. */
    record Label(int line, String text, Map<String, String> labels) implements Instruction {
        public Label {
            labels = ordered(labels);
        }
    }

    /** {@code SHELL ["exe", "arg"]} (exec form only). */
    record Shell(int line, String text, List<String> argv) implements Instruction {
        public Shell {
            argv = List.copyOf(argv);
        }
    }

    record Volume(int line, String text, List<String> paths) implements Instruction {
        public Volume {
            paths = List.copyOf(paths);
        }
    }

    record StopSignal(int line, String text, String signal) implements Instruction {
    }

    /** {@code HEALTHCHECK NONE} ({@code none}) or {@code HEALTHCHECK [flags] CMD …}. */
    record Healthcheck(int line, String text, boolean none, List<String> flags, List<String> exec, String shell)
            implements Instruction {
        public Healthcheck {
            flags = List.copyOf(flags);
            exec = copy(exec);
        }
    }

    /** {@code ONBUILD <instruction>}: kept, never run by Burrow. */
    record Onbuild(int line, String text, Instruction trigger) implements Instruction {
    }

    record Maintainer(int line, String text, String name) implements Instruction {
    }

    private static List<String> copy(List<String> l) {
        return l == null ? null : List.copyOf(l);
    }

    private static Map<String, String> ordered(Map<String, String> m) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
