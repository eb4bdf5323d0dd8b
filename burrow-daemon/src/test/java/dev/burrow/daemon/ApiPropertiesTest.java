package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.daemon.properties.ApiRequest;
import dev.burrow.daemon.properties.LiveDaemon;
import dev.burrow.daemon.properties.Exchange;
import dev.burrow.daemon.properties.OpenApiOperations;
import dev.burrow.daemon.properties.Oracle;
import dev.burrow.daemon.properties.Requests;
import dev.burrow.daemon.properties.Settings;
import dev.burrow.daemon.properties.TriesFromSystemProperty;
import dev.burrow.daemon.properties.Verdicts;
import dev.burrow.daemon.properties.Verdicts.Violation;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Issue 7: requests generated from the OpenAPI document, valid and invalid, for every operation,
 * against one real burrowd (a READY busybox image, a RUNNING microVM): no answer is a 5xx, every
 * answer matches the document, every problem's {@code instance} is the {@code X-Request-Id},
 * and an invalid request is refused with a 4xx. A failure shows the shrunk request.
 *
 * <p>{@code -Dburrow.prop.tries=N} changes the number of requests (default {@value Settings#DEFAULT_TRIES});
 * {@code -Dburrow.prop.survey=true} records every distinct failure instead of stopping at the first
 * and prints one example of each when the class ends.
 */
class ApiPropertiesTest {

    /** Operations whose answer stays open until the client goes; read for a short window. */
    private static final Set<String> OPEN_ENDED = Set.of("watchFiles", "pty");

    private static LiveDaemon daemon;
    private static Requests requests;
    private static final Verdicts VERDICTS = new Verdicts();
    /** Survey mode: a distinct failure (operation and kind) to its first example. */
    private static final Map<String, String> SURVEY = new ConcurrentSkipListMap<>();

    @BeforeContainer
    static void start() throws Exception {
        daemon = LiveDaemon.start();
        OpenApiOperations doc = OpenApiOperations.load();
        requests = new Requests(doc, new Oracle(doc), daemon.fixture());
    }

    @AfterContainer
    static void stop() {
        if (daemon != null) {
            daemon.close();
        }
        if (!SURVEY.isEmpty()) {
            StringBuilder b = new StringBuilder("API property survey: " + SURVEY.size() + " distinct failures\n");
            SURVEY.forEach((k, v) -> b.append("* ").append(k).append("\n    ").append(v).append('\n'));
            System.out.println(b);
            throw new AssertionError(b.toString());
        }
    }

    @Property(shrinking = ShrinkingMode.BOUNDED)
    @AddLifecycleHook(TriesFromSystemProperty.class)
    void everyAnswerMatchesTheDocumentAndNoneIsAServerError(@ForAll("requests") ApiRequest request) throws Exception {
        Exchange x;
        List<Violation> violations;
        try {
            x = daemon.send(request, openEnded(request));
            violations = VERDICTS.check(request, x);
        } finally {
            daemon.repair();
        }
        Statistics.label("answers").collect(request.op().id(), x.status());
        if (Settings.survey()) {
            violations.forEach(v -> SURVEY.putIfAbsent(request.op().id() + " | " + v.kind(),
                    request + "\n    → " + x.status() + " " + x.concretePath() + ": " + v.detail()));
            return;
        }
        assertThat(violations).as("answer %s to %s (sent to %s)", x.status(), request, x.concretePath()).isEmpty();
    }

    @Provide
    Arbitrary<ApiRequest> requests() {
        return requests.any();
    }

    private static boolean openEnded(ApiRequest r) {
        return OPEN_ENDED.contains(r.op().id()) || r.query().getOrDefault("follow", List.of()).contains("true");
    }
}
