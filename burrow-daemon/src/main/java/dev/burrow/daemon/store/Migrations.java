package dev.burrow.daemon.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The schema migration runner: {@code V<n>__<name>.sql} files under a classpath folder, applied in
 * order, each in its own transaction together with its row in {@code schema_version}.
 */
final class Migrations {

    static final String LOCATION = "db/migration";

    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    private static final Pattern FILE = Pattern.compile("V(\\d+)__([A-Za-z0-9_]+)\\.sql");

    record Migration(int version, String name, String sql) {

        String checksum() {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sql.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Migrations() {}

    /** Every migration under {@code location} on the class path, by version. */
    static List<Migration> discover(ClassLoader loader, String location) {
        Map<Integer, Migration> found = new TreeMap<>();
        try {
            Enumeration<URL> roots = loader.getResources(location);
            while (roots.hasMoreElements()) {
                URL root = roots.nextElement();
                for (String file : list(root, location)) {
                    Matcher m = FILE.matcher(file);
                    if (!m.matches()) {
                        continue;
                    }
                    int version = Integer.parseInt(m.group(1));
                    String sql;
                    try (InputStream in = loader.getResourceAsStream(location + "/" + file)) {
                        if (in == null) {
                            throw new StoreException("migration " + file + " is listed but cannot be read");
                        }
                        sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    }
                    Migration prev = found.putIfAbsent(version, new Migration(version, m.group(2), sql));
                    if (prev != null && !prev.name().equals(m.group(2))) {
                        throw new StoreException("two migrations claim version " + version + ": " + prev.name() + " and " + m.group(2));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list migrations under " + location, e);
        }
        return List.copyOf(found.values());
    }

    private static List<String> list(URL root, String location) throws IOException {
        List<String> names = new ArrayList<>();
        switch (root.getProtocol()) {
            case "file" -> {
                try (Stream<Path> s = Files.list(Path.of(root.toURI()))) {
                    s.forEach(p -> names.add(p.getFileName().toString()));
                } catch (URISyntaxException e) {
                    throw new IOException("bad migration folder URL " + root, e);
                }
            }
            case "jar" -> {
                JarURLConnection c = (JarURLConnection) root.openConnection();
                c.setUseCaches(false);
                try (JarFile jar = c.getJarFile()) {
                    String prefix = location + "/";
                    jar.stream().map(JarEntry::getName)
                            .filter(n -> n.startsWith(prefix) && n.indexOf('/', prefix.length()) < 0 && n.length() > prefix.length())
                            .forEach(n -> names.add(n.substring(prefix.length())));
                }
            }
            default -> throw new IOException("cannot list migrations in " + root + " (protocol " + root.getProtocol() + ")");
        }
        return names;
    }

    /** The highest version recorded in {@code schema_version}, 0 for a fresh database. */
    static int current(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.executeUpdate("""
                    CREATE TABLE IF NOT EXISTS schema_version (
                        version    INTEGER PRIMARY KEY,
                        name       TEXT NOT NULL,
                        checksum   TEXT NOT NULL,
                        applied_at TEXT NOT NULL
                    )""");
            try (ResultSet rs = st.executeQuery("SELECT coalesce(max(version), 0) FROM schema_version")) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    /**
     * Brings the schema up to the newest migration. {@code c} must be the writer connection with
     * auto-commit on; each migration runs in its own transaction.
     *
     * @throws SchemaTooNewException when the database is newer than every known migration
     */
    static void migrate(Connection c, List<Migration> migrations) throws SQLException {
        int known = migrations.isEmpty() ? 0 : migrations.getLast().version();
        c.setAutoCommit(false);
        try {
            int current = current(c);
            if (current > known) {
                throw new SchemaTooNewException(current, known);
            }
            verifyApplied(c, migrations);
            c.commit();
            for (Migration m : migrations) {
                if (m.version() <= current) {
                    continue;
                }
                // re-checked inside the transaction: another process may have migrated meanwhile
                if (current(c) >= m.version()) {
                    c.commit();
                    continue;
                }
                log.info("applying database migration V{}__{}", m.version(), m.name());
                try (Statement st = c.createStatement()) {
                    for (String sql : split(m.sql())) {
                        st.executeUpdate(sql);
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO schema_version(version, name, checksum, applied_at) VALUES (?, ?, ?, ?)")) {
                    ps.setInt(1, m.version());
                    ps.setString(2, m.name());
                    ps.setString(3, m.checksum());
                    ps.setString(4, Times.format(Instant.now()));
                    ps.executeUpdate();
                }
                c.commit();
            }
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private static void verifyApplied(Connection c, List<Migration> migrations) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT version, name, checksum FROM schema_version ORDER BY version");
             ResultSet rs = ps.executeQuery()) {
            Map<Integer, Migration> byVersion = new TreeMap<>();
            migrations.forEach(m -> byVersion.put(m.version(), m));
            while (rs.next()) {
                Migration m = byVersion.get(rs.getInt(1));
                if (m != null && !m.checksum().equals(rs.getString(3))) {
                    // an applied migration must never be edited; say so loudly but keep running
                    log.warn("migration V{}__{} was changed after it was applied (checksum differs)", m.version(), m.name());
                }
            }
        }
    }

    /**
     * Splits a migration into statements at semicolons outside quotes and comments. Good enough
     * for DDL; a trigger body (BEGIN … END with inner semicolons) would need a real parser.
     */
    static List<String> split(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        int n = sql.length();
        for (int i = 0; i < n; i++) {
            char ch = sql.charAt(i);
            if (ch == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int eol = sql.indexOf('\n', i);
                i = eol < 0 ? n : eol;
                cur.append('\n');
                continue;
            }
            if (ch == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? n : end + 1;
                cur.append(' ');
                continue;
            }
            if (ch == '\'' || ch == '"') {
                int j = i + 1;
                while (j < n) {
                    if (sql.charAt(j) == ch) {
                        if (j + 1 < n && sql.charAt(j + 1) == ch) {
                            j += 2;
                            continue;
                        }
                        break;
                    }
                    j++;
                }
                cur.append(sql, i, Math.min(j + 1, n));
                i = j;
                continue;
            }
            if (ch == ';') {
                add(out, cur);
                continue;
            }
            cur.append(ch);
        }
        add(out, cur);
        return out;
    }

    private static void add(List<String> out, StringBuilder cur) {
        String s = cur.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        cur.setLength(0);
    }
}
