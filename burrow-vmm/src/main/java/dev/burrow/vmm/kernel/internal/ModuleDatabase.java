package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parsed module metadata of one kernel: {@code modules.dep}, {@code modules.softdep}, {@code modules.builtin}
 * and, when present, {@code modules.alias} and {@code modules.builtin.alias}. Names are normalised ({@code _}).
 */
public final class ModuleDatabase {
    /** A module's soft dependencies: names or aliases to load before ({@code pre}) and after ({@code post}) it. */
    public record SoftDeps(List<String> pre, List<String> post) {
    }

    private final Path modulesDir;
    private final Map<String, String> paths = new LinkedHashMap<>();
    private final Map<String, List<String>> deps = new HashMap<>();
    private final Map<String, SoftDeps> softdeps = new HashMap<>();
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, List<String>> aliases = new LinkedHashMap<>();
    private final Map<String, List<String>> builtinAliases = new LinkedHashMap<>();

    private ModuleDatabase(Path modulesDir) {
        this.modulesDir = modulesDir;
    }

    /** Parses the metadata files of {@code modulesDir}; only {@code modules.dep} is mandatory. */
    public static ModuleDatabase load(Path modulesDir) throws KernelException {
        ModuleDatabase db = new ModuleDatabase(modulesDir);
        try {
            db.parseDep(lines(modulesDir.resolve("modules.dep"), true));
            db.parseSoftdep(lines(modulesDir.resolve("modules.softdep"), false));
            for (String line : lines(modulesDir.resolve("modules.builtin"), false)) {
                db.builtin.add(ModuleFiles.nameOf(line));
            }
            parseAliases(lines(modulesDir.resolve("modules.alias"), false), db.aliases);
            parseAliases(lines(modulesDir.resolve("modules.builtin.alias"), false), db.builtinAliases);
        } catch (NoSuchFileException e) {
            throw new KernelException("No modules.dep in " + modulesDir + ": the kernel's module tree is incomplete."
                    + " Delete the kernel cache entry so that it is extracted and indexed again.", e);
        } catch (IOException e) {
            throw new KernelException("Cannot read module metadata in " + modulesDir + ": " + e.getMessage(), e);
        }
        return db;
    }

    private static List<String> lines(Path file, boolean required) throws IOException {
        if (!required && !Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#"))
                .toList();
    }

    private void parseDep(List<String> lines) throws KernelException {
        for (String line : lines) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new KernelException("Malformed line in " + modulesDir.resolve("modules.dep") + ": " + line);
            }
            String path = line.substring(0, colon).strip();
            String name = ModuleFiles.nameOf(path);
            List<String> list = new ArrayList<>();
            for (String dep : line.substring(colon + 1).strip().split("\\s+")) {
                if (!dep.isEmpty()) {
                    list.add(ModuleFiles.nameOf(dep));
                }
            }
            paths.putIfAbsent(name, path);
            deps.putIfAbsent(name, List.copyOf(list));
        }
    }

    private void parseSoftdep(List<String> lines) {
        for (String line : lines) {
            String[] words = line.split("\\s+");
            if (words.length < 2 || !words[0].equals("softdep")) {
                continue;
            }
            String name = ModuleFiles.normalise(words[1]);
            SoftDeps existing = softdeps.getOrDefault(name, new SoftDeps(List.of(), List.of()));
            List<String> pre = new ArrayList<>(existing.pre());
            List<String> post = new ArrayList<>(existing.post());
            List<String> target = null;
            for (int i = 2; i < words.length; i++) {
                switch (words[i]) {
                    case "pre:" -> target = pre;
                    case "post:" -> target = post;
                    default -> {
                        if (target != null) {
                            target.add(words[i]);
                        }
                    }
                }
            }
            softdeps.put(name, new SoftDeps(List.copyOf(pre), List.copyOf(post)));
        }
    }

    private static void parseAliases(List<String> lines, Map<String, List<String>> into) {
        for (String line : lines) {
            String[] words = line.split("\\s+");
            if (words.length == 3 && words[0].equals("alias")) {
                into.computeIfAbsent(words[1], k -> new ArrayList<>()).add(ModuleFiles.normalise(words[2]));
            }
        }
    }

    public boolean isModule(String name) {
        return paths.containsKey(name);
    }

    public boolean isBuiltin(String name) {
        return builtin.contains(name);
    }

    /** The module's file, relative to the modules directory. */
    public String path(String name) {
        return paths.get(name);
    }

    public List<String> dependencies(String name) {
        return deps.getOrDefault(name, List.of());
    }

    public SoftDeps softDeps(String name) {
        return softdeps.getOrDefault(name, new SoftDeps(List.of(), List.of()));
    }

    /** Whether {@code alias} names something built into the kernel. */
    public boolean isBuiltinAlias(String alias) {
        return !matches(builtinAliases, alias).isEmpty();
    }

    /** The modules whose alias patterns match {@code alias}, exact matches first. */
    public List<String> modulesForAlias(String alias) {
        return matches(aliases, alias);
    }

    private static List<String> matches(Map<String, List<String>> table, String alias) {
        List<String> exact = table.get(alias);
        if (exact != null) {
            return List.copyOf(exact);
        }
        List<String> result = new ArrayList<>();
        table.forEach((pattern, modules) -> {
            if (Glob.hasWildcards(pattern) && Glob.matches(pattern, alias)) {
                modules.stream().filter(m -> !result.contains(m)).forEach(result::add);
            }
        });
        return result;
    }
}
