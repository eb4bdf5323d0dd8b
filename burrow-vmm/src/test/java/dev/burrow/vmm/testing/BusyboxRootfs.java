package dev.burrow.vmm.testing;

import dev.burrow.vmm.internal.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** A minimal root filesystem from Debian's busybox-static, as an ext4 disk image. */
public final class BusyboxRootfs {

    private BusyboxRootfs() {}

    public static Path build(Path workDir, int sizeMiB) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isExecutable(busybox)) {
            throw new IllegalStateException("/bin/busybox is missing: apt-get install busybox-static (.ci/run does)");
        }
        Path root = workDir.resolve("rootfs");
        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "root", "home/burrow", "tmp", "proc", "sys", "dev", "run", "var/tmp")) {
            Files.createDirectories(root.resolve(d));
        }
        Files.setPosixFilePermissions(root.resolve("tmp"), PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.copy(busybox, root.resolve("bin/busybox"));
        for (String applet : Commands.run(List.of(busybox.toString(), "--list-full"), 10).split("\n")) {
            applet = applet.strip();
            if (applet.isEmpty() || applet.equals("bin/busybox")) {
                continue;
            }
            Path link = root.resolve(applet);
            Files.createDirectories(link.getParent());
            if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Files.createSymbolicLink(link, Path.of("/bin/busybox"));
            }
        }
        Files.writeString(root.resolve("etc/passwd"), """
                root:x:0:0:root:/root:/bin/sh
                burrow:x:1000:1000:Burrow user:/home/burrow:/bin/sh
                nobody:x:65534:65534:nobody:/nonexistent:/bin/false
                """);
        Files.writeString(root.resolve("etc/group"), """
                root:x:0:
                burrow:x:1000:
                wheel:x:10:burrow
                nogroup:x:65534:
                """);
        Files.writeString(root.resolve("etc/hostname"), "template\n");
        Files.writeString(root.resolve("etc/machine-id"), "00000000000000000000000000000000\n");
        Path disk = workDir.resolve("rootfs.ext4");
        Commands.run(List.of("mkfs.ext4", "-q", "-F", "-d", root.toString(), "-E", "root_owner=0:0", "-L", "burrow-root",
                disk.toString(), sizeMiB + "M"), 60);
        Commands.run(List.of("chown", "-R", "1000:1000", root.resolve("home/burrow").toString()), 10);
        return disk;
    }
}
