package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.KernelException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The apt and dpkg-deb commands the kernel cache needs; nothing is installed on the host. */
public final class DebianPackages {
    public static final String META_PACKAGE = "linux-image-amd64";
    private static final Pattern DEPENDS =
            Pattern.compile("^\\s*\\|?Depends:\\s*(linux-image-[a-z0-9][a-z0-9.+~-]*)\\s*$", Pattern.MULTILINE);
    private static final Pattern PACKAGE_NAME = Pattern.compile("[a-z0-9][a-z0-9.+-]+");
    private static final Duration QUERY_TIMEOUT = Duration.ofMinutes(1);
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration EXTRACT_TIMEOUT = Duration.ofMinutes(10);

    private DebianPackages() {
    }

    /** Rejects names that are not Debian package names (and could be mistaken for options). */
    public static String checkPackageName(String name) throws KernelException {
        if (name == null || !PACKAGE_NAME.matcher(name).matches()) {
            throw new KernelException("'" + name + "' is not a Debian package name; BURROW_KERNEL_PACKAGE should name"
                    + " a kernel package such as linux-image-6.1.0-57-amd64 (see `apt-cache depends "
                    + META_PACKAGE + "`).");
        }
        return name;
    }

    /** The versioned kernel package {@value #META_PACKAGE} currently depends on. */
    public static String currentKernelPackage() throws KernelException {
        Command.Result r = Command.run(null, QUERY_TIMEOUT, List.of("apt-cache", "depends", META_PACKAGE));
        if (!r.ok()) {
            throw r.failure("Run `apt-get update` so apt knows " + META_PACKAGE
                    + ", or set BURROW_KERNEL_PACKAGE to a linux-image-*-amd64 package name.");
        }
        Matcher m = DEPENDS.matcher(r.stdout());
        while (m.find()) {
            if (!m.group(1).equals(META_PACKAGE)) {
                return m.group(1);
            }
        }
        throw new KernelException("`apt-cache depends " + META_PACKAGE + "` names no linux-image-* dependency:\n"
                + Command.tail(r.stdout()) + "\nSet BURROW_KERNEL_PACKAGE to a linux-image-*-amd64 package name.");
    }

    /** Downloads the package's .deb into {@code dir} and returns it. */
    public static Path download(String packageName, Path dir) throws KernelException {
        Command.Result r = Command.run(dir, DOWNLOAD_TIMEOUT, List.of("apt-get", "download", "-q", packageName));
        if (!r.ok()) {
            throw r.failure("Check that this host reaches its Debian mirror and run `apt-get update`; "
                    + "or set BURROW_KERNEL_PACKAGE to a kernel package apt can download.");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> debs = files.filter(f -> f.getFileName().toString().endsWith(".deb")).toList();
            if (debs.size() != 1) {
                throw new KernelException("`apt-get download " + packageName + "` succeeded but left " + debs.size()
                        + " .deb files in " + dir + " instead of one");
            }
            return debs.getFirst();
        } catch (IOException e) {
            throw new KernelException("Cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A control field of a .deb ({@code dpkg-deb -f}). */
    public static String field(Path deb, String field) throws KernelException {
        Command.Result r = Command.run(null, QUERY_TIMEOUT, List.of("dpkg-deb", "-f", deb.toString(), field));
        String value = r.stdout().strip();
        if (!r.ok() || value.isEmpty()) {
            throw r.failure("The downloaded package " + deb.getFileName() + " seems damaged; try again.");
        }
        return value;
    }

    /** Unpacks the files of a .deb into {@code dir} ({@code dpkg-deb -x}); no maintainer scripts run. */
    public static void extract(Path deb, Path dir) throws KernelException {
        Command.Result r = Command.run(null, EXTRACT_TIMEOUT, List.of("dpkg-deb", "-x", deb.toString(), dir.toString()));
        if (!r.ok()) {
            throw r.failure("Check free space in " + dir.getParent() + "; the package may also be damaged.");
        }
    }
}
