package dev.burrow.cli;

import dev.burrow.cli.internal.CliEnv;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Runs the real {@link Burrow} command line with captured streams and a chosen environment. */
final class CliHarness {
    record Result(int code, String out, String err, byte[] outBytes) {}

    final Map<String, String> env = new HashMap<>();
    final Map<String, String> props = new HashMap<>();
    byte[] stdin = new byte[0];
    boolean stdinTty = true;
    boolean stderrTty = false;

    CliHarness(Path home) {
        env.put("HOME", home.toString());
        env.put("XDG_CONFIG_HOME", home.resolve("config").toString());
        props.put("java.home", System.getProperty("java.home"));
        props.put("user.home", home.toString());
    }

    CliHarness against(FakeBurrowd fake) {
        env.put("BURROW_URL", fake.url());
        env.put("BURROW_API_KEY", FakeBurrowd.KEY);
        return this;
    }

    Result run(String... args) {
        return run(false, args);
    }

    /** The command line as picocli parses it, even when the CLI's own parser would take it. */
    Result runWithPicocli(String... args) {
        return run(true, args);
    }

    private Result run(boolean picocli, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CliEnv cliEnv = new CliEnv(env, props, new ByteArrayInputStream(stdin),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                stdinTty, stderrTty);
        int code = picocli ? Burrow.executeWithPicocli(cliEnv, args) : Burrow.execute(cliEnv, args);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
    }
}
