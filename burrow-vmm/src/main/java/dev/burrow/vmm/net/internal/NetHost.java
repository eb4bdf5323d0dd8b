package dev.burrow.vmm.net.internal;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The host's network configuration as the paths use it: iproute2's {@code ip}, and sysfs to look. */
public interface NetHost {

    /** Runs {@code ip} with these arguments; a non-zero exit throws with its output. */
    String ip(List<String> args) throws VmmException;

    boolean linkExists(String name);

    boolean netnsExists(String name);

    /** The host network interface whose alias is {@code alias}, if one is. */
    Optional<String> linkWithAlias(String alias);

    /** This host, through {@code /usr/sbin/ip} (or {@code ip} on the PATH), {@code /sys/class/net} and {@code /run/netns}. */
    static NetHost system(long timeoutSeconds) {
        Path netns = Path.of("/run/netns");
        Path sysNet = Path.of("/sys/class/net");
        String ipTool = Files.isExecutable(Path.of("/usr/sbin/ip")) ? "/usr/sbin/ip" : "ip";
        return new NetHost() {
            @Override
            public String ip(List<String> args) throws VmmException {
                List<String> argv = new ArrayList<>(args.size() + 1);
                argv.add(ipTool);
                argv.addAll(args);
                return Commands.run(argv, timeoutSeconds);
            }

            @Override
            public boolean linkExists(String name) {
                return Files.exists(sysNet.resolve(name));
            }

            @Override
            public boolean netnsExists(String name) {
                return Files.exists(netns.resolve(name));
            }

            @Override
            public Optional<String> linkWithAlias(String alias) {
                try (Stream<Path> links = Files.list(sysNet)) {
                    return links.filter(l -> alias.equals(readAlias(l))).map(l -> l.getFileName().toString()).findFirst();
                } catch (IOException e) {
                    return Optional.empty();
                }
            }

            private static String readAlias(Path link) {
                try {
                    return Files.readString(link.resolve("ifalias")).strip();
                } catch (IOException e) {
                    return "";
                }
            }
        };
    }
}
