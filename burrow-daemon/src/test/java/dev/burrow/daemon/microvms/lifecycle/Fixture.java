package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;

/** One lifecycle over a real SQLite store, a {@link FakeHypervisor} and a clock the test moves. */
final class Fixture implements AutoCloseable {

    /** A clock that stands still until the test moves it. */
    static final class TestClock extends Clock {
        private volatile Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(java.time.ZoneId zone) { return this; }
        @Override public Instant instant() { return now; }

        Instant advance(Duration d) {
            now = now.plus(d);
            return now;
        }
    }

    final Database db;
    final EventLog events;
    final MicroVmRecords records;
    final FakeHypervisor engine = new FakeHypervisor();
    final TestClock clock = new TestClock();
    final String tenant;
    final List<String> hookCalls = Collections.synchronizedList(new ArrayList<>());
    /** Hook name → the outcome it answers (ok when absent). */
    final Map<String, HookRunner.Outcome> hookOutcomes = new ConcurrentHashMap<>();
    /** microVM id → guest CPU busy fraction the probe reports. */
    final Map<String, Double> cpu = new ConcurrentHashMap<>();
    volatile long availableMiB = Long.MAX_VALUE;
    LifecycleSettings settings;
    Lifecycle lifecycle;

    Fixture(Path dir, LifecycleSettings settings) {
        this(dir, settings, Database.Durability.RELAXED);
    }

    /** With {@code durability} FULL where a test counts synced commits. */
    Fixture(Path dir, LifecycleSettings settings, Database.Durability durability) {
        this.db = Database.open(dir.resolve("burrow.db"), durability);
        this.events = new EventLog(db);
        this.records = new MicroVmRecords(db, events, clock);
        this.tenant = new Tenants(db).create("t", null).orElseThrow().id();
        this.settings = settings;
        this.lifecycle = newLifecycle();
    }

    Lifecycle newLifecycle() {
        HookRunner hooks = (MicroVm vm, int port, String hook, byte[] payload, Duration timeout) -> {
            hookCalls.add(hook + " " + vm.id() + " " + new String(payload));
            return hookOutcomes.getOrDefault(hook, new HookRunner.Outcome(true, "HTTP 200"));
        };
        CpuProbe probe = vm -> cpu.containsKey(vm.id()) ? OptionalDouble.of(cpu.get(vm.id())) : OptionalDouble.empty();
        return new Lifecycle(engine, records, events, hooks, probe, clock, settings,
                r -> new Lifecycle.Settings(new MachineSpec(1, 256), hooks()), () -> availableMiB);
    }

    /** burrowd is killed and started again: the VMMs and saved states survive, the supervisors do not. */
    void restart() {
        lifecycle = newLifecycle();
        lifecycle.reconcile();
    }

    volatile Hooks hooks = Hooks.NONE;

    Hooks hooks() {
        return hooks;
    }

    void enableHooks(String... names) {
        Hooks h = Hooks.NONE;
        for (String n : names) {
            Hook on = new Hook(true, 1);
            h = switch (n) {
                case "run" -> new Hooks(h.port(), h.ready(), h.validate(), on, h.resume(), h.suspend(), h.terminate());
                case "resume" -> new Hooks(h.port(), h.ready(), h.validate(), h.run(), on, h.suspend(), h.terminate());
                case "suspend" -> new Hooks(h.port(), h.ready(), h.validate(), h.run(), h.resume(), on, h.terminate());
                case "terminate" -> new Hooks(h.port(), h.ready(), h.validate(), h.run(), h.resume(), h.suspend(), on);
                default -> throw new IllegalArgumentException(n);
            };
        }
        hooks = h;
    }

    MicroVmRecord run(IdlePolicy policy) {
        return run(policy, Duration.ofHours(8), null);
    }

    MicroVmRecord run(IdlePolicy policy, Duration lifetime, String payload) {
        return lifecycle.run(launch(policy, lifetime, payload), "req-run", r -> { });
    }

    Lifecycle.Launch launch(IdlePolicy policy, Duration lifetime, String payload) {
        return new Lifecycle.Launch(tenant, "img", 1, engine.template("t1"), hooks, Map.of(), Map.of(), policy,
                clock.instant().plus(lifetime), payload, "{\"egress\":\"none\"}");
    }

    MicroVmRecord get(String id) {
        return lifecycle.get(tenant, id);
    }

    String state(String id) {
        return get(id).state();
    }

    /** The state events of one microVM, as "FROM→TO". */
    List<String> transitions(String id) {
        return events.since(tenant, 0, 10_000).stream().filter(e -> e.resourceId().equals(id) && e.kind().equals(MicroVmRecords.EVENT_KIND))
                .map(e -> (e.from() == null ? "" : e.from()) + "→" + e.to()).toList();
    }

    List<String> events(String id, String kind) {
        return events.since(tenant, 0, 10_000).stream().filter(e -> e.resourceId().equals(id) && e.kind().equals(kind))
                .map(e -> e.from() + "→" + e.to() + (e.reason() == null ? "" : " (" + e.reason() + ")")).toList();
    }

    @Override
    public void close() {
        lifecycle.close();
        db.close();
    }
}
