package dev.burrow.cli.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CLI's own parser for the verbs people run most — {@code version}, {@code ps}, {@code exec}
 * and {@code run} — so that their start-up never touches picocli, whose Java 5 class files no
 * AOT cache can hold (docs/adr/0035). It accepts only command lines whose meaning is certain:
 * the options each verb declares, as {@code --name VALUE}, {@code --name=VALUE} or
 * {@code -n VALUE}, each single-valued one at most once, and the verb's positionals. Anything
 * else — {@code --help}, an unknown or repeated option, a missing value, a value that starts
 * with {@code -}, an {@code @file}, a misplaced {@code --} — is left to picocli
 * ({@link #parse} answers null), so help and every usage error read exactly as they did.
 * HotVerbsParityTest runs the same command lines through both parsers.
 */
public final class HotVerbs {
    private HotVerbs() {}

    /** One option: its names, whether it takes a value, whether it may be given more than once. */
    private record Opt(String key, List<String> names, boolean takesValue, boolean repeatable) {
        static Opt flag(String... names) {
            return new Opt(names[names.length - 1], List.of(names), false, false);
        }

        static Opt value(String... names) {
            return new Opt(names[names.length - 1], List.of(names), true, false);
        }

        static Opt values(String... names) {
            return new Opt(names[names.length - 1], List.of(names), true, true);
        }
    }

    /** How a verb takes positionals: none, exactly one anywhere, or an id that ends the options followed by a command. */
    private enum Positionals { NONE, ONE, ID_THEN_COMMAND }

    private record Grammar(List<Opt> options, Positionals positionals) {}

    private static final Map<String, Grammar> GRAMMARS = Map.of(
            "version", new Grammar(List.of(Opt.flag("--json")), Positionals.NONE),
            "ps", new Grammar(List.of(Opt.value("--state"), Opt.value("-l", "--label"), Opt.flag("--json")), Positionals.NONE),
            "exec", new Grammar(List.of(Opt.values("-e", "--env"), Opt.value("-w", "--workdir"), Opt.value("-u", "--user"),
                    Opt.value("--timeout"), Opt.flag("--no-stdin"), Opt.flag("--json")), Positionals.ID_THEN_COMMAND),
            "run", new Grammar(List.of(Opt.values("-l", "--label"), Opt.values("-e", "--env"), Opt.value("--idle"),
                    Opt.value("--suspended"), Opt.flag("--auto-resume"), Opt.value("--max-duration"), Opt.value("--egress"),
                    Opt.value("--payload"), Opt.flag("--no-wait"), Opt.flag("--json")), Positionals.ONE));

    /** What a command line said: each option's values by its long name, and the positionals in order. */
    private record Parsed(Map<String, List<String>> options, List<String> positionals) {
        String one(String key) {
            List<String> v = options.get(key);
            return v == null ? null : v.getFirst();
        }

        List<String> all(String key) {
            List<String> v = options.get(key);
            return v == null ? new ArrayList<>() : v;
        }

        boolean has(String key) {
            return options.containsKey(key);
        }
    }

    /** The command line as a hot verb's work, or null when picocli should parse it. */
    public static HotVerb parse(String... args) {
        if (args.length == 0) return null;
        Grammar grammar = GRAMMARS.get(args[0]);
        if (grammar == null) return null;
        Parsed p = parse(grammar, args);
        if (p == null) return null;
        return switch (args[0]) {
            case "version" -> new VersionVerb(p.has("--json"));
            case "ps" -> new PsVerb(p.one("--state"), p.one("--label"), p.has("--json"));
            case "exec" -> new ExecVerb(p.positionals().getFirst(), p.positionals().subList(1, p.positionals().size()),
                    p.all("--env"), p.one("--workdir"), p.one("--user"), p.one("--timeout"), p.has("--no-stdin"), p.has("--json"));
            case "run" -> new RunVerb(p.positionals().getFirst(), p.all("--label"), p.all("--env"), p.one("--idle"),
                    p.one("--suspended"), p.has("--auto-resume"), p.one("--max-duration"), p.one("--egress"),
                    p.one("--payload"), p.has("--no-wait"), p.has("--json"));
            default -> null;
        };
    }

    /** The verb's options and positionals from {@code args[1..]}, or null at the first thing not certain. */
    private static Parsed parse(Grammar grammar, String[] args) {
        Map<String, List<String>> options = new HashMap<>();
        List<String> positionals = new ArrayList<>();
        int i = 1;
        while (i < args.length) {
            String arg = args[i];
            if (arg.startsWith("@")) return null;   // picocli reads @files
            if (grammar.positionals() == Positionals.ID_THEN_COMMAND && !positionals.isEmpty()) {
                positionals.add(arg);               // after the id, everything is the command
                i++;
                continue;
            }
            if (!arg.startsWith("-")) {
                positionals.add(arg);
                i++;
                continue;
            }
            String name = arg, attached = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 2) {
                name = arg.substring(0, eq);
                attached = arg.substring(eq + 1);
            }
            Opt opt = find(grammar, name);
            if (opt == null) return null;           // --help, --, an unknown or abbreviated option
            String value = null;
            if (opt.takesValue()) {
                if (attached != null) {
                    value = attached;
                } else {
                    if (i + 1 >= args.length) return null;
                    value = args[++i];
                    if (value.startsWith("-") || value.startsWith("@")) return null;
                }
            } else if (attached != null) {
                return null;                        // --json=true and the like
            }
            if (options.containsKey(opt.key()) && !opt.repeatable()) return null;   // picocli: "should be specified only once"
            List<String> values = options.computeIfAbsent(opt.key(), k -> new ArrayList<>());
            if (value != null) values.add(value);
            i++;
        }
        return switch (grammar.positionals()) {
            case NONE -> positionals.isEmpty() ? new Parsed(options, positionals) : null;
            case ONE -> positionals.size() == 1 ? new Parsed(options, positionals) : null;
            case ID_THEN_COMMAND -> positionals.size() >= 2 ? new Parsed(options, positionals) : null;
        };
    }

    private static Opt find(Grammar grammar, String name) {
        for (Opt o : grammar.options()) {
            if (o.names().contains(name)) return o;
        }
        return null;
    }
}
