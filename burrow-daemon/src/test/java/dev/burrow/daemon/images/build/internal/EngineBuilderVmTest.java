package dev.burrow.daemon.images.build.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.egress.DecisionLog;
import dev.burrow.daemon.egress.EgressException;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.microvms.lifecycle.Networking;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.net.NetworkSpec;
import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The builder microVM's egress wiring without QEMU: the engine boots it with the spec the
 * daemon's networking gives for the build's network, its services open after the boot and go
 * (with their decisions) when it closes, and a builder whose services cannot start is ended.
 */
class EngineBuilderVmTest {
    private static final String ID = "bld-0123456789ab-1-web-0";
    private static final EgressPolicy ALLOW = new EgressPolicy(EgressPolicy.Mode.ALLOWLIST, List.of("pypi.test"));

    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final DecisionLog decisions = new DecisionLog(100, Clock.systemUTC());

    /** Networking that records its calls and gives an allowlist spec for any network but none. */
    private Networking networking(boolean openFails) {
        return new Networking() {
            @Override
            public NetworkSpec spec(String network) {
                return EgressPolicy.fromJson(network).mode() == EgressPolicy.Mode.NONE ? NetworkSpec.NONE : NetworkSpec.allowlist();
            }

            @Override
            public void open(String vmId, String network) {
                calls.add("open " + vmId + " " + network);
                if (openFails) {
                    throw new EgressException("port in use", null);
                }
            }

            @Override
            public void close(String vmId) {
                calls.add("close " + vmId);
            }

            @Override
            public void forget(String vmId) {
                calls.add("forget " + vmId);
                decisions.forget(vmId);
            }
        };
    }

    /** An engine whose every networked boot records its spec; the default boot (an engine without paths) when {@code paths} is false. */
    private Hypervisor engine(boolean paths) {
        InvocationHandler h = (proxy, m, args) -> {
            if (m.getName().equals("boot") && args.length == 5) {
                if (!paths) {
                    return InvocationHandler.invokeDefault(proxy, m, args);
                }
                calls.add("boot " + args[0] + " " + ((NetworkSpec) args[4]).mode());
                return vm((String) args[0]);
            }
            if (m.getName().equals("boot")) {
                calls.add("boot " + args[0] + " without a spec");
                return vm((String) args[0]);
            }
            throw new UnsupportedOperationException(m.getName());
        };
        return (Hypervisor) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Hypervisor.class}, h);
    }

    private MicroVm vm(String id) {
        return (MicroVm) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MicroVm.class}, (proxy, m, args) -> switch (m.getName()) {
            case "id" -> id;
            case "close" -> {
                calls.add("vm closed " + id);
                yield null;
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    @Test
    void anAllowlistBuilderBootsOnItsPathOpensItsServicesAndReportsThenForgetsItsDecisionsWhenClosed() throws Exception {
        BuilderVm b = EngineBuilderVm.factory(engine(true), networking(false), decisions).boot(ID, Resources.DEFAULT, Path.of("disk"), ALLOW);
        decisions.record(ID, "dns", "pypi.test", 53, true, "on the allow list");
        decisions.record(ID, "tls", "evil.test", 443, false, "not on the allow list");

        assertThat(b.egress()).containsExactly("dns pypi.test:53 allowed (on the allow list)", "tls evil.test:443 denied (not on the allow list)");
        b.close();

        assertThat(calls).containsExactly("boot " + ID + " ALLOWLIST", "open " + ID + " " + ALLOW.json(), "close " + ID, "vm closed " + ID,
                "forget " + ID);
        assertThat(decisions.after(ID, 0, 10)).isEmpty();
    }

    @Test
    void aBuilderWhoseEgressCannotStartIsEndedAndTheBootFailsSayingWhy() {
        assertThatThrownBy(() -> EngineBuilderVm.factory(engine(true), networking(true), decisions).boot(ID, Resources.DEFAULT, Path.of("disk"), ALLOW))
                .isInstanceOf(IOException.class).hasMessageContaining("egress could not start").hasMessageContaining("port in use");

        assertThat(calls).containsExactly("boot " + ID + " ALLOWLIST", "open " + ID + " " + ALLOW.json(), "close " + ID, "vm closed " + ID,
                "forget " + ID);
    }

    @Test
    void anEngineWithoutNetworkPathsBootsABuilderWithNoNetworkAndRefusesOneWithAnAllowlist() throws Exception {
        EngineBuilderVm.factory(engine(false), networking(false), null).boot(ID, Resources.DEFAULT, Path.of("disk"), null).close();
        assertThat(calls).startsWith("boot " + ID + " without a spec", "open " + ID + " " + EgressPolicy.NONE.json());

        assertThatThrownBy(() -> EngineBuilderVm.factory(engine(false), networking(false), null).boot(ID, Resources.DEFAULT, Path.of("disk"), ALLOW))
                .isInstanceOf(IOException.class).hasCauseInstanceOf(VmmException.class).hasMessageContaining("no network paths");
    }
}
