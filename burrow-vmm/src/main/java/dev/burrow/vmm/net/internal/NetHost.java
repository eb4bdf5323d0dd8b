package dev.burrow.vmm.net.internal;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The host's network configuration as the paths use it: iproute2's {@code ip}, {@code nft},
 * sysfs and procfs. A namespace argument of null means the host's own.
 */
public interface NetHost {

    /** Runs {@code ip} with these arguments; a non-zero exit throws with its output. */
    String ip(List<String> args) throws VmmException;

    /** Runs several {@code ip} commands in {@code netns} (null: the host) with one process: each stops the batch when it fails. */
    default void ipBatch(String netns, List<List<String>> commands) throws VmmException {
        for (List<String> c : commands) {
            List<String> args = new ArrayList<>();
            if (netns != null) {
                args.addAll(List.of("-n", netns));
            }
            args.addAll(c);
            ip(args);
        }
    }

    /** Loads an nftables script atomically ({@code nft -f -}) in {@code netns} (null: the host). */
    void nft(String netns, String script) throws VmmException;

    /** Whether the host has nftables table {@code inet <name>}. */
    boolean hostTableExists(String name);

    /** Sets {@code net.*} sysctls (names with dots) inside {@code netns}. */
    void sysctl(String netns, List<String> assignments) throws VmmException;

    /** Turns on the host's IPv4 forwarding; true when it was off. */
    boolean enableHostForwarding() throws VmmException;

    boolean linkExists(String name);

    boolean netnsExists(String name);

    /** The names of the network namespaces bind-mounted under /run/netns. */
    List<String> netnsNames();

    /** The host network interface whose alias is {@code alias}, if one is. */
    Optional<String> linkWithAlias(String alias);

    /** This host, through {@code /usr/sbin/ip} and {@code /usr/sbin/nft} (or the PATH's), {@code /sys/class/net} and {@code /run/netns}. */
    static NetHost system(long timeoutSeconds) {
        return new SystemNetHost(timeoutSeconds);
    }

    /** The real host. Commands get their input on stdin and their output in errors. */
    final class SystemNetHost implements NetHost {

        private static final Path NETNS = Path.of("/run/netns");
        private static final Path SYS_NET = Path.of("/sys/class/net");
        private static final Path IP_FORWARD = Path.of("/proc/sys/net/ipv4/ip_forward");
        private final long timeoutSeconds;
        private final String ipTool = tool("ip");
        private final String nftTool = tool("nft");

        private SystemNetHost(long timeoutSeconds) {
            this.timeoutSeconds = timeoutSeconds;
        }

        private static String tool(String name) {
            return Files.isExecutable(Path.of("/usr/sbin", name)) ? "/usr/sbin/" + name : name;
        }

        @Override
        public String ip(List<String> args) throws VmmException {
            List<String> argv = new ArrayList<>(args.size() + 1);
            argv.add(ipTool);
            argv.addAll(args);
            return run(argv, "");
        }

        @Override
        public void ipBatch(String netns, List<List<String>> commands) throws VmmException {
            List<String> argv = new ArrayList<>(List.of(ipTool));
            if (netns != null) {
                argv.addAll(List.of("-n", netns));
            }
            argv.addAll(List.of("-batch", "-"));
            StringBuilder in = new StringBuilder();
            commands.forEach(c -> in.append(String.join(" ", c)).append('\n'));
            run(argv, in.toString());
        }

        @Override
        public void nft(String netns, String script) throws VmmException {
            run(inNetns(netns, List.of(nftTool, "-f", "-")), script);
        }

        @Override
        public boolean hostTableExists(String name) {
            try {
                run(List.of(nftTool, "list", "table", "inet", name), "");
                return true;
            } catch (VmmException e) {
                return false;
            }
        }

        @Override
        public void sysctl(String netns, List<String> assignments) throws VmmException {
            List<String> argv = new ArrayList<>(List.of("sysctl", "-q", "-w"));
            argv.addAll(assignments);
            run(inNetns(netns, argv), "");
        }

        @Override
        public boolean enableHostForwarding() throws VmmException {
            try {
                if (Files.readString(IP_FORWARD).strip().equals("1")) {
                    return false;
                }
                Files.writeString(IP_FORWARD, "1\n");
                return true;
            } catch (IOException e) {
                throw new VmmException("cannot turn on the host's IPv4 forwarding (" + IP_FORWARD + "): " + e.getMessage(), e);
            }
        }

        private List<String> inNetns(String netns, List<String> argv) {
            if (netns == null) {
                return argv;
            }
            List<String> all = new ArrayList<>(List.of(ipTool, "netns", "exec", netns));
            all.addAll(argv);
            return all;
        }

        private String run(List<String> argv, String stdin) throws VmmException {
            try {
                Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8)); // a script of a few KiB: below any pipe's buffer
                }
                byte[] out;
                try (InputStream o = p.getInputStream()) {
                    out = o.readAllBytes();
                }
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new VmmException(String.join(" ", argv) + " did not finish within " + timeoutSeconds + " s");
                }
                String text = new String(out, StandardCharsets.UTF_8).strip();
                if (p.exitValue() != 0) {
                    throw new VmmException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): "
                            + (text.length() <= 2000 ? text : "…" + text.substring(text.length() - 2000)));
                }
                return text;
            } catch (IOException e) {
                throw new VmmException("could not run " + argv.getFirst() + ": " + e.getMessage()
                        + " (is it installed? `./burrow up` or .ci/run installs iproute2 and nftables)", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new VmmException("interrupted running " + argv.getFirst(), e);
            }
        }

        @Override
        public boolean linkExists(String name) {
            return Files.exists(SYS_NET.resolve(name));
        }

        @Override
        public boolean netnsExists(String name) {
            return Files.exists(NETNS.resolve(name));
        }

        @Override
        public List<String> netnsNames() {
            try (Stream<Path> names = Files.list(NETNS)) {
                return names.map(n -> n.getFileName().toString()).toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        @Override
        public Optional<String> linkWithAlias(String alias) {
            try (Stream<Path> links = Files.list(SYS_NET)) {
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
    }
}
