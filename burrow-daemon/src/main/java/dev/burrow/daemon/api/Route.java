package dev.burrow.daemon.api;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A method and a path template ({@code /v1/images/{name}}) bound to a handler. */
record Route(String method, String template, Pattern pattern, boolean authenticated, boolean adminOnly, Handler handler) {

    interface Handler {
        void handle(Call call) throws Exception;
    }

    static Route of(String method, String template, boolean authenticated, Handler handler) {
        return new Route(method, template, compile(template), authenticated, false, handler);
    }

    private static Pattern compile(String template) {
        return Pattern.compile(template.replaceAll("\\{([a-zA-Z]+)}", "(?<$1>[^/]+)"));
    }

    /** The path parameters when {@code path} matches, else null. */
    Map<String, String> match(String path) {
        Matcher m = pattern.matcher(path);
        if (!m.matches()) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        Matcher names = Pattern.compile("\\{([a-zA-Z]+)}").matcher(template);
        while (names.find()) {
            params.put(names.group(1), m.group(names.group(1)));
        }
        return params;
    }
}
