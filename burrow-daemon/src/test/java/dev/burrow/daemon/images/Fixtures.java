package dev.burrow.daemon.images;

import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.TarEntrySpec;
import dev.burrow.vmm.internal.Commands;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Busybox-based OCI images written by the tests, with a tiny hook server for hook tests. */
final class Fixtures {

    private Fixtures() {}

    static List<TarEntrySpec> busybox() throws Exception {
        List<TarEntrySpec> e = new ArrayList<>();
        for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root", "tmp", "proc", "sys", "dev", "run", "home", "home/burrow")) {
            e.add(TarEntrySpec.dir(d));
        }
        e.add(TarEntrySpec.dir("tmp").withMode(01777));
        e.add(TarEntrySpec.dir("home/burrow").withOwner(1000, 1000));
        e.add(TarEntrySpec.file("bin/busybox", Path.of("/bin/busybox")).withMode(0755));
        for (String applet : Commands.run(List.of("/bin/busybox", "--list-full"), 10).split("\n")) {
            if (!applet.isBlank() && !applet.strip().equals("bin/busybox")) {
                e.add(TarEntrySpec.symlink(applet.strip(), "/bin/busybox"));
            }
        }
        e.add(TarEntrySpec.file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nburrow:x:1000:1000::/home/burrow:/bin/sh\n"));
        e.add(TarEntrySpec.file("etc/group", "root:x:0:\nburrow:x:1000:\n"));
        return e;
    }

    /** A hook server on port 9000: answers every request with the status in /etc/hook-status (default 200). */
    static List<TarEntrySpec> hookServer(String status, String body) {
        String script = """
                #!/bin/sh
                read -r method path proto
                while read -r line; do case "$line" in ""|$(printf '\\r')) break;; esac; done
                echo "$method $path" >> /tmp/hook-calls
                s=$(cat /etc/hook-status)
                b=$(cat /etc/hook-body)
                printf 'HTTP/1.1 %s X\\r\\nContent-Length: %s\\r\\nConnection: close\\r\\n\\r\\n%s' "$s" "${#b}" "$b"
                """;
        return List.of(TarEntrySpec.file("hook.sh", script).withMode(0755),
                TarEntrySpec.file("etc/hook-status", status + "\n"),
                TarEntrySpec.file("etc/hook-body", body + "\n"));
    }

    static Path layout(Path dir, ImageConfig config, List<List<TarEntrySpec>> layers) throws Exception {
        OciLayoutWriter w = new OciLayoutWriter(config);
        layers.forEach(w::addLayer);
        w.writeLayout(dir);
        return dir;
    }
}
