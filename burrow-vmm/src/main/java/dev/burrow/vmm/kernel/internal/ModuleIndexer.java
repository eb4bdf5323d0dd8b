package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes {@code modules.dep}, {@code modules.softdep}, {@code modules.alias} and {@code modules.builtin.alias}
 * for a module tree, in depmod's formats, from each module's {@code .modinfo} section. Debian's kernel packages
 * leave these to depmod at install time; Burrow installs nothing, and the host may not have kmod.
 */
public final class ModuleIndexer {
    private static final Logger log = LoggerFactory.getLogger(ModuleIndexer.class);

    private record Info(String path, String name, List<String> depends, List<String> softdeps, List<String> aliases) {
    }

    private ModuleIndexer() {
    }

    /** Indexes {@code modulesDir} (a {@code lib/modules/<release>} directory) in place. */
    public static void index(Path modulesDir) throws IOException {
        List<String> paths;
        try (Stream<Path> files = Files.walk(modulesDir)) {
            paths = files.filter(Files::isRegularFile)
                    .filter(p -> ModuleFiles.isModule(p.getFileName().toString()))
                    .map(p -> modulesDir.relativize(p).toString())
                    .sorted()
                    .toList();
        }
        List<Info> infos;
        try {
            infos = paths.parallelStream().map(p -> info(modulesDir, p)).toList();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Map<String, Info> byName = new TreeMap<>();
        for (Info info : infos) {
            byName.putIfAbsent(info.name(), info);
        }
        write(modulesDir.resolve("modules.dep"), depLines(infos, byName));
        List<String> soft = new ArrayList<>();
        List<String> alias = new ArrayList<>(List.of("# Aliases extracted from modules themselves."));
        for (Info info : infos) {
            info.softdeps().forEach(s -> soft.add("softdep " + info.name() + " " + s));
            info.aliases().forEach(a -> alias.add("alias " + a + " " + info.name()));
        }
        write(modulesDir.resolve("modules.softdep"), soft);
        write(modulesDir.resolve("modules.alias"), alias);
        write(modulesDir.resolve("modules.builtin.alias"), builtinAliases(modulesDir.resolve("modules.builtin.modinfo")));
        log.debug("indexed {} modules in {}", infos.size(), modulesDir);
    }

    private static Info info(Path modulesDir, String path) {
        Path file = modulesDir.resolve(path);
        List<Map.Entry<String, String>> entries;
        try {
            entries = ElfModinfo.read(ModuleFiles.read(file));
        } catch (KernelException e) {
            throw new UncheckedIOException(e);
        } catch (IOException | IllegalArgumentException e) {
            throw new UncheckedIOException(new KernelException("Cannot read module metadata from " + file + ": "
                    + e.getMessage() + ". Delete the kernel cache entry to fetch it again.", e));
        }
        String name = ModuleFiles.nameOf(path);
        List<String> depends = new ArrayList<>();
        List<String> softdeps = new ArrayList<>();
        List<String> aliases = new ArrayList<>();
        for (Map.Entry<String, String> e : entries) {
            switch (e.getKey()) {
                case "name" -> name = ModuleFiles.normalise(e.getValue());
                case "depends" -> {
                    for (String d : e.getValue().split(",")) {
                        if (!d.isBlank()) {
                            depends.add(ModuleFiles.normalise(d));
                        }
                    }
                }
                case "softdep" -> softdeps.add(e.getValue().strip());
                case "alias" -> aliases.add(e.getValue().strip());
                default -> { }
            }
        }
        return new Info(path, name, depends, softdeps, aliases);
    }

    /** depmod lists every module's full dependency closure so that the last entry must be loaded first. */
    private static List<String> depLines(List<Info> infos, Map<String, Info> byName) {
        List<String> lines = new ArrayList<>(infos.size());
        for (Info info : infos) {
            LinkedHashSet<String> order = new LinkedHashSet<>();
            closure(info, byName, new HashSet<>(), order);
            order.remove(info.path());
            List<String> deps = new ArrayList<>(order);
            java.util.Collections.reverse(deps);
            lines.add(info.path() + ":" + (deps.isEmpty() ? "" : " " + String.join(" ", deps)));
        }
        return lines;
    }

    private static void closure(Info info, Map<String, Info> byName, Set<String> seen, Set<String> order) {
        if (!seen.add(info.path())) {
            return;
        }
        for (String dep : info.depends()) {
            Info d = byName.get(dep);
            if (d == null) {
                log.warn("module {} depends on {}, which is not in the module tree", info.name(), dep);
            } else {
                closure(d, byName, seen, order);
            }
        }
        order.add(info.path());
    }

    private static List<String> builtinAliases(Path modinfo) throws IOException {
        List<String> lines = new ArrayList<>(List.of("# Aliases for built-in modules"));
        if (!Files.exists(modinfo)) {
            return lines;
        }
        for (String entry : new String(Files.readAllBytes(modinfo), StandardCharsets.UTF_8).split("\0")) {
            int dot = entry.indexOf('.');
            if (dot > 0 && entry.startsWith(".alias=", dot)) {
                lines.add("alias " + entry.substring(dot + ".alias=".length()) + " "
                        + ModuleFiles.normalise(entry.substring(0, dot)));
            }
        }
        return lines;
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.write(file, lines, StandardCharsets.UTF_8);
    }
}
