package dev.burrow.oci.dockerfile;

import java.util.List;

/**
 * One build stage: a FROM and the instructions up to the next FROM.
 *
 * @param index 0-based position (a {@code COPY --from=1} names it)
 * @param name the {@code AS} name, lower-cased, or null
 * @param escape the Dockerfile's escape character ({@code # escape=}), which expansion uses
 */
public record Stage(int index, String name, Instruction.From from, List<Instruction> body, char escape) {
    public Stage {
        body = List.copyOf(body);
    }

    public Stage(int index, String name, Instruction.From from, List<Instruction> body) {
        this(index, name, from, body, '\\');
    }
}
