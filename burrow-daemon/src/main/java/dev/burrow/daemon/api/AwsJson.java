package dev.burrow.daemon.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * JSON out of the AWS door: absent members are omitted (never {@code null}, which botocore
 * would hand the caller as None for a required member), and timestamps are what rest-json's
 * default format is — epoch seconds as a number, here with milliseconds.
 */
final class AwsJson {

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.NON_NULL))
            .build();

    private AwsJson() {}

    /** {@code t} as rest-json's timestamp: epoch seconds with three decimals; null stays null. */
    static BigDecimal timestamp(Instant t) {
        return t == null ? null : BigDecimal.valueOf(t.toEpochMilli()).movePointLeft(3);
    }
}
