package dev.burrow.vmm.kernel;

import dev.burrow.vmm.kernel.internal.ModuleDatabase;
import dev.burrow.vmm.kernel.internal.ModuleFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Computes the order in which to load kernel modules from a module tree's {@code modules.dep},
 * {@code modules.softdep} and {@code modules.builtin} (plus {@code modules.alias} for soft dependencies that
 * name an alias, such as ext4's {@code pre: crypto-crc32c}).
 *
 * <p>Every module comes after its dependencies and its {@code pre:} soft dependencies, and before its
 * {@code post:} ones. Built-in modules are skipped. A soft dependency that is neither a module nor built in is
 * skipped; an alias several modules provide resolves to the portable {@code *_generic} one when there is one.
 * A dependency cycle is broken where it closes instead of looping.
 */
public final class ModuleResolver {
    private static final Logger log = LoggerFactory.getLogger(ModuleResolver.class);

    /** A module to load: its canonical name and its file (possibly compressed) in the module tree. */
    public record Module(String name, Path file) {
    }

    private final Path modulesDir;
    private final ModuleDatabase db;

    private ModuleResolver(Path modulesDir, ModuleDatabase db) {
        this.modulesDir = modulesDir;
        this.db = db;
    }

    /** Reads the metadata of {@code modulesDir}, a {@code lib/modules/<release>} directory. */
    public static ModuleResolver load(Path modulesDir) throws KernelException {
        return new ModuleResolver(modulesDir, ModuleDatabase.load(modulesDir));
    }

    /** Whether {@code name} is compiled into the kernel. */
    public boolean isBuiltin(String name) {
        return db.isBuiltin(ModuleFiles.normalise(name));
    }

    /**
     * The modules to load, in order, for {@code requested} module names ({@code -} and {@code _} alike).
     *
     * @throws KernelException if a requested name is neither a module nor built in
     */
    public List<Module> loadOrder(List<String> requested) throws KernelException {
        Walk walk = new Walk();
        for (String raw : requested) {
            String name = ModuleFiles.normalise(raw);
            if (db.isModule(name)) {
                walk.visit(name);
            } else if (db.isBuiltin(name) || db.isBuiltinAlias(raw.strip())) {
                log.debug("module {} is built into the kernel; skipping", name);
            } else {
                List<String> viaAlias = resolveAlias(raw.strip());
                if (viaAlias.isEmpty()) {
                    throw new KernelException("Kernel module '" + raw + "' is neither a module nor built into the"
                            + " kernel in " + modulesDir + ". Check the module name, or use a kernel that provides it.");
                }
                for (String m : viaAlias) {
                    walk.visit(m);
                }
            }
        }
        List<Module> result = new ArrayList<>();
        walk.order.forEach((name, path) -> result.add(new Module(name, modulesDir.resolve(path))));
        return result;
    }

    /** Modules for a soft dependency; empty when it is built in or absent. */
    private List<String> resolveSoft(String ref) {
        String name = ModuleFiles.normalise(ref);
        if (db.isModule(name)) {
            return List.of(name);
        }
        if (db.isBuiltin(name) || db.isBuiltinAlias(ref)) {
            return List.of();
        }
        List<String> modules = resolveAlias(ref);
        if (modules.isEmpty()) {
            log.debug("soft dependency {} is not available; skipping", ref);
        }
        return modules;
    }

    private List<String> resolveAlias(String alias) {
        List<String> candidates = db.modulesForAlias(alias).stream().filter(db::isModule).toList();
        List<String> generic = candidates.stream().filter(m -> m.endsWith("_generic")).toList();
        return candidates.size() > 1 && !generic.isEmpty() ? generic : candidates;
    }

    private final class Walk {
        final Map<String, String> order = new LinkedHashMap<>();
        final Set<String> inProgress = new HashSet<>();

        void visit(String name) {
            if (order.containsKey(name)) {
                return;
            }
            if (!inProgress.add(name)) {
                log.warn("module dependency cycle through {}; breaking it there", name);
                return;
            }
            ModuleDatabase.SoftDeps soft = db.softDeps(name);
            for (String pre : soft.pre()) {
                resolveSoft(pre).forEach(this::visit);
            }
            // modules.dep lists dependencies so that the last loads first; walk them in that order
            List<String> deps = db.dependencies(name);
            for (int i = deps.size() - 1; i >= 0; i--) {
                String dep = deps.get(i);
                if (db.isModule(dep)) {
                    visit(dep);
                } else if (!db.isBuiltin(dep)) {
                    log.warn("module {} depends on {}, which modules.dep does not list", name, dep);
                }
            }
            inProgress.remove(name);
            order.put(name, db.path(name));
            for (String post : soft.post()) {
                resolveSoft(post).forEach(this::visit);
            }
        }
    }
}
