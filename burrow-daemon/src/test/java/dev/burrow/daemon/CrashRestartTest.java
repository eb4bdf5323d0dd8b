package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.internal.FileTrees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * burrowd killed as {@code kill -9} would at 19 named points of run, suspend (a first and a later
 * one, in the daemon and inside the engine's save), resume, fork and terminate, then started again over the same data with its
 * VMMs still running: every microVM must be in a true state — never older than what its caller
 * was told (a file written after the first save is still there), no partial save left behind.
 */
class CrashRestartTest {

    private static Path dataDir;
    private static final Map<String, String> ENV = Map.of("BURROW_MEMORY_TIER_SECONDS", "0");

    /** What is done before the armed call, and which call reaches the crash point. */
    enum Trigger { RUN, SUSPEND, SUSPEND_AGAIN, RESUME, FORK, DELETE }

    @BeforeAll
    static void image() throws Exception {
        dataDir = Files.createTempDirectory("burrowd-crash-");
        try (DaemonProcess d = DaemonProcess.start(dataDir, null, ENV)) {
            Path layout = dataDir.resolve("fixture-layout");
            BuiltinImages.busybox(layout);
            Path archive = dataDir.resolve("fixture.tar");
            OciLayoutWriter.toArchive(layout, archive);
            HttpResponse<String> up = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(d.base + "/v1/uploads"))
                    .header("Authorization", "Bearer " + d.key).POST(HttpRequest.BodyPublishers.ofFile(archive)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
            String uploadId = new com.fasterxml.jackson.databind.ObjectMapper().readTree(up.body()).get("uploadId").asText();
            d.call("POST", "/v1/images", "{\"name\":\"bb\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + uploadId
                    + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}", 202);
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            String state;
            do {
                Thread.sleep(200);
                state = d.call("GET", "/v1/images/bb/versions/1", null, 200).get("state").asText();
            } while (!Set.of("READY", "FAILED").contains(state) && System.nanoTime() < deadline);
            assertThat(state).isEqualTo("READY");
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (dataDir == null) {
            return;
        }
        try (DaemonProcess d = DaemonProcess.start(dataDir, null, ENV)) {
            for (JsonNode vm : d.call("GET", "/v1/microvms?limit=500", null, 200).path("items")) {
                if (!Set.of("TERMINATED", "FAILED").contains(vm.get("state").asText())) {
                    d.send("DELETE", "/v1/microvms/" + vm.get("id").asText(), null);
                }
            }
        }
        FileTrees.deleteQuietly(dataDir);
        FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
    }

    static Stream<Arguments> points() {
        return Stream.of(
                Arguments.of("run.recorded", Trigger.RUN, Set.of("FAILED")),
                Arguments.of("run.restored", Trigger.RUN, Set.of("FAILED")),
                Arguments.of("suspend.suspending", Trigger.SUSPEND, Set.of("RUNNING")),
                Arguments.of("suspend.suspending#2", Trigger.SUSPEND_AGAIN, Set.of("RUNNING")),
                Arguments.of("suspend.saved", Trigger.SUSPEND, Set.of("RUNNING")),
                Arguments.of("suspend.saved#2", Trigger.SUSPEND_AGAIN, Set.of("RUNNING")),
                Arguments.of("suspend.engine.memory", Trigger.SUSPEND, Set.of("RUNNING")),
                Arguments.of("suspend.engine.devices#2", Trigger.SUSPEND_AGAIN, Set.of("RUNNING")),
                Arguments.of("suspend.engine.disk", Trigger.SUSPEND, Set.of("RUNNING")),
                Arguments.of("suspend.engine.manifest#2", Trigger.SUSPEND_AGAIN, Set.of("RUNNING")),
                Arguments.of("suspend.committed", Trigger.SUSPEND, Set.of("SUSPENDED")),
                Arguments.of("suspend.committed#2", Trigger.SUSPEND_AGAIN, Set.of("SUSPENDED")),
                Arguments.of("resume.resuming", Trigger.RESUME, Set.of("SUSPENDED")),
                Arguments.of("resume.restored", Trigger.RESUME, Set.of("RUNNING")),
                Arguments.of("resume.running", Trigger.RESUME, Set.of("RUNNING")),
                Arguments.of("fork.kept", Trigger.FORK, Set.of("RUNNING")),
                Arguments.of("fork.restored", Trigger.FORK, Set.of("RUNNING")),
                Arguments.of("terminate.terminating", Trigger.DELETE, Set.of("TERMINATED")),
                Arguments.of("terminate.reclaimed", Trigger.DELETE, Set.of("TERMINATED")));
    }

    @ParameterizedTest(name = "killed at {0}")
    @MethodSource("points")
    void aRestartAfterAKillLeavesEveryMicroVmInATrueStateWithNothingLost(String point, Trigger trigger, Set<String> allowed)
            throws Exception {
        String id = null;
        boolean secondMarker = false;
        DaemonProcess armed = DaemonProcess.start(dataDir, point, ENV);
        try {
            if (trigger != Trigger.RUN) {
                id = armed.call("POST", "/v1/microvms", "{\"image\":\"bb\"}", 201).get("id").asText();
                assertThat(armed.exec(id, "sh", "-c", "echo one > /root/first; sync").exit()).isZero();
            }
            if (trigger == Trigger.SUSPEND_AGAIN || trigger == Trigger.RESUME) {
                armed.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
            }
            if (trigger == Trigger.SUSPEND_AGAIN) {
                armed.call("POST", "/v1/microvms/" + id + "/resume", null, 200);
                // written after the first save: a restart that fell back to it would lose this
                assertThat(armed.exec(id, "sh", "-c", "echo two > /root/second; sync").exit()).isZero();
                secondMarker = true;
            }
            switch (trigger) {
                case RUN -> armed.send("POST", "/v1/microvms", "{\"image\":\"bb\"}");
                case SUSPEND, SUSPEND_AGAIN -> armed.send("POST", "/v1/microvms/" + id + "/suspend", null);
                case RESUME -> armed.send("POST", "/v1/microvms/" + id + "/resume", null);
                case FORK -> armed.send("POST", "/v1/microvms/" + id + "/fork", "{\"count\":2}");
                case DELETE -> armed.send("DELETE", "/v1/microvms/" + id, null);
            }
            throw new AssertionError("burrowd answered the call instead of halting at " + point);
        } catch (java.io.IOException expected) {
            // the connection died with the daemon
        } catch (AssertionError | RuntimeException e) {
            armed.kill(); // never leave an armed daemon running when its point was missed or the setup failed
            throw e;
        }
        assertThat(armed.awaitExit(Duration.ofSeconds(60))).as("halted at the crash point").isEqualTo(137);

        try (DaemonProcess d = DaemonProcess.start(dataDir, null, ENV)) {
            if (id == null) {
                id = newest(d);
            }
            String state = d.state(id);
            assertThat(state).as("%s after a kill at %s", id, point).isIn(allowed);
            assertThat(d.partialSaves(id)).as("partial saves of %s", id).isEmpty();
            if (state.equals("SUSPENDED")) {
                d.call("POST", "/v1/microvms/" + id + "/resume", null, 200);
                state = "RUNNING";
            }
            if (state.equals("RUNNING")) {
                assertThat(d.exec(id, "cat", "/root/first").stdout()).isEqualTo("one\n");
                if (secondMarker) {
                    assertThat(d.exec(id, "cat", "/root/second").stdout()).as("written after the first save").isEqualTo("two\n");
                }
            }
            if (state.equals("TERMINATED") || state.equals("FAILED")) {
                assertThat(dataDir.resolve("vms").resolve(id)).as("no VMM files").doesNotExist();
                assertThat(dataDir.resolve("suspended").resolve(id)).as("no saved states").doesNotExist();
            }
            for (JsonNode vm : d.call("GET", "/v1/microvms?limit=500", null, 200).path("items")) {
                String other = vm.get("state").asText();
                assertThat(other).as("%s after a kill at %s", vm.get("id").asText(), point).isIn("RUNNING", "SUSPENDED", "TERMINATED", "FAILED");
                if (other.equals("RUNNING") && id.equals(vm.path("labels").path("burrow.fork-of").asText())) {
                    assertThat(d.exec(vm.get("id").asText(), "cat", "/root/first").stdout()).as("a fork has the source's files").isEqualTo("one\n");
                }
                if (!Set.of("TERMINATED", "FAILED").contains(other)) {
                    d.send("DELETE", "/v1/microvms/" + vm.get("id").asText(), null);
                }
            }
        }
    }

    @org.junit.jupiter.api.Test
    void aProcessWithACounterInMemoryAnOpenFileAndATmpfsFileSurvivesTwentyCyclesAndAKillInTheMiddle() throws Exception {
        String id = null;
        String pid;
        DaemonProcess d = DaemonProcess.start(dataDir, null, ENV);
        try {
            id = d.call("POST", "/v1/microvms", "{\"image\":\"bb\"}", 201).get("id").asText();
            // a counter only in a shell's memory, written to a tmpfs file and to a file it holds open
            assertThat(d.exec(id, "sh", "-c", "printf '%s\\n' 'i=0' 'exec 3>>/root/open.log' "
                    + "\"trap 'i=\\$((i+1)); echo \\$i > /mnt/t/count; echo \\$i >&3' USR1\" 'echo $$ > /root/pid' "
                    + "'while :; do sleep 1; done' > /root/counter.sh").exit()).isZero();
            assertThat(d.exec(id, "sh", "-c", "mkdir -p /mnt/t && mount -t tmpfs tmpfs /mnt/t && "
                    + "(sh /root/counter.sh > /dev/null 2>&1 &) && "
                    + "for n in $(seq 100); do [ -s /root/pid ] && exit 0; sleep 0.05; done; exit 1").exit()).isZero();
            pid = d.exec(id, "cat", "/root/pid").stdout().strip();
            for (int cycle = 1; cycle <= 20; cycle++) {
                assertThat(d.exec(id, "sh", "-c", "kill -USR1 " + pid + "; for n in $(seq 100); do "
                        + "[ \"$(cat /mnt/t/count 2>/dev/null)\" = " + cycle + " ] && exit 0; sleep 0.05; done; exit 1").exit())
                        .as("cycle %d: the counter went on from where it was", cycle).isZero();
                d.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
                if (cycle == 10) {
                    d.kill(); // kill -9 with the microVM suspended: the next burrowd resumes it
                    d = DaemonProcess.start(dataDir, null, ENV);
                    assertThat(d.state(id)).isEqualTo("SUSPENDED");
                }
                d.call("POST", "/v1/microvms/" + id + "/resume", null, 200);
                assertThat(d.exec(id, "cat", "/mnt/t/count").stdout()).as("tmpfs after resume %d", cycle).isEqualTo(cycle + "\n");
            }
            StringBuilder expected = new StringBuilder();
            for (int i = 1; i <= 20; i++) {
                expected.append(i).append('\n');
            }
            assertThat(d.exec(id, "cat", "/root/open.log").stdout()).as("the open file got every line").isEqualTo(expected.toString());
            assertThat(d.exec(id, "cat", "/root/pid").stdout().strip()).isEqualTo(pid);
            assertThat(d.exec(id, "sh", "-c", "kill -0 " + pid).exit()).as("the same process, alive").isZero();
            assertThat(d.partialSaves(id)).isEmpty();
        } finally {
            if (id != null) {
                d.send("DELETE", "/v1/microvms/" + id, null);
            }
            d.close();
        }
    }

    @org.junit.jupiter.api.Test
    void aSimulatedHostRebootLeavesEverySuspendedMicroVmSuspendedAndResumable() throws Exception {
        List<String> suspended = new ArrayList<>();
        String running;
        DaemonProcess d = DaemonProcess.start(dataDir, null, ENV);
        try {
            for (int i = 0; i < 2; i++) {
                String id = d.call("POST", "/v1/microvms", "{\"image\":\"bb\"}", 201).get("id").asText();
                assertThat(d.exec(id, "sh", "-c", "echo " + id + " > /root/who").exit()).isZero();
                d.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
                suspended.add(id);
            }
            running = d.call("POST", "/v1/microvms", "{\"image\":\"bb\"}", 201).get("id").asText();
        } finally {
            d.kill();
        }
        // the host goes down: every VMM with it, /run emptied, the page cache gone
        try (Stream<Path> vms = Files.list(dataDir.resolve("vms"))) {
            for (Path vm : vms.toList()) {
                Path pidFile = vm.resolve("vmm.pid");
                if (Files.exists(pidFile)) {
                    long pid = Long.parseLong(Files.readString(pidFile).strip().split("\\s+")[0]);
                    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                    ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join());
                }
            }
        }
        FileTrees.deleteQuietly(Path.of("/run/burrow", EngineConfig.instanceIdFor(dataDir)));
        new ProcessBuilder("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").inheritIO().start().waitFor();

        try (DaemonProcess after = DaemonProcess.start(dataDir, null, ENV)) {
            assertThat(after.state(running)).as("its VMM died with the host").isEqualTo("FAILED");
            for (String id : suspended) {
                assertThat(after.state(id)).isEqualTo("SUSPENDED");
                after.call("POST", "/v1/microvms/" + id + "/resume", null, 200);
                assertThat(after.exec(id, "cat", "/root/who").stdout()).isEqualTo(id + "\n");
                after.call("DELETE", "/v1/microvms/" + id, null, 202);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void reconcilingTwentyMicroVmsAfterAKillTakesUnderTwoSecondsWithTheApiUp() throws Exception {
        List<String> ids = new ArrayList<>();
        try (DaemonProcess d = DaemonProcess.start(dataDir, null, ENV)) {
            for (int i = 0; i < 20; i++) {
                String id = d.call("POST", "/v1/microvms", "{\"image\":\"bb\"}", 201).get("id").asText();
                if (i % 2 == 0) {
                    d.call("POST", "/v1/microvms/" + id + "/suspend", null, 200);
                }
                ids.add(id);
            }
            d.kill();
        }
        try (DaemonProcess d = DaemonProcess.start(dataDir, null, ENV)) {
            // the daemon answers once every record has a supervisor; resolving them runs beside the API
            java.util.regex.Pattern line = java.util.regex.Pattern.compile("reconciled (\\d+) microVMs in (\\d+) ms");
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            java.util.regex.Matcher m = line.matcher(Files.readString(d.log));
            while (!m.find()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no reconcile line in " + d.log + " within 60 s");
                }
                Thread.sleep(100);
                m = line.matcher(Files.readString(d.log));
            }
            assertThat(Integer.parseInt(m.group(1))).isEqualTo(20);
            System.out.println("CrashRestartTest: reconciled 20 real microVMs (10 running, 10 suspended) in " + m.group(2) + " ms");
            assertThat(Long.parseLong(m.group(2))).as("ms to reconcile 20 microVMs").isLessThan(2000);
            for (int i = 0; i < ids.size(); i++) {
                assertThat(d.state(ids.get(i))).isEqualTo(i % 2 == 0 ? "SUSPENDED" : "RUNNING");
                d.send("DELETE", "/v1/microvms/" + ids.get(i), null);
            }
        }
    }

    private static String newest(DaemonProcess d) throws Exception {
        List<String> ids = new ArrayList<>();
        d.call("GET", "/v1/microvms?limit=500", null, 200).path("items").forEach(v -> ids.add(v.get("id").asText()));
        return ids.stream().max(String::compareTo).orElseThrow(() -> new AssertionError("the run left no record"));
    }
}
