package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * Remembers which package {@code linux-image-amd64} depended on, keyed by the modification time of apt's
 * package lists, so a warm start need not run {@code apt-cache} (≈ 0.5 s) until {@code apt-get update} changes
 * the lists.
 */
public final class ResolutionMemo {
    private static final Path APT_LISTS = Path.of("/var/lib/apt/lists");
    private static final Logger log = LoggerFactory.getLogger(ResolutionMemo.class);

    private final Path file;
    private final Path lists;

    public ResolutionMemo(Path kernelsDir) {
        this(kernelsDir.resolve(".resolved"), APT_LISTS);
    }

    ResolutionMemo(Path file, Path lists) {
        this.file = file;
        this.lists = lists;
    }

    /** The current kernel package, from the memo while apt's lists are unchanged, else from apt. */
    public String currentKernelPackage() throws KernelException {
        String stamp = listsStamp();
        if (stamp != null && Files.isRegularFile(file)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
                if (stamp.equals(p.getProperty("lists")) && p.getProperty("package") != null) {
                    return DebianPackages.checkPackageName(p.getProperty("package"));
                }
            } catch (IOException e) {
                log.debug("ignoring unreadable {}: {}", file, e.toString());
            }
        }
        String pkg = DebianPackages.currentKernelPackage();
        if (stamp != null) {
            Properties p = new Properties();
            p.setProperty("lists", stamp);
            p.setProperty("package", pkg);
            try {
                AtomicFiles.write(file, out -> p.store(out, DebianPackages.META_PACKAGE + " dependency"));
            } catch (IOException e) {
                log.debug("cannot write {}: {}", file, e.toString());
            }
        }
        return pkg;
    }

    private String listsStamp() {
        try {
            return Files.getLastModifiedTime(lists).toInstant().toString();
        } catch (IOException e) {
            return null;
        }
    }
}
