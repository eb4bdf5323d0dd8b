package dev.burrow.daemon.microvms.files;

import java.nio.charset.StandardCharsets;

/** What a builtin's exit code means (guest/agent/fs_util.h; docs/files.md has the table). */
final class BuiltinExit {

    static final int OK = 0;
    static final int UNKNOWN_BUILTIN = 127;

    private BuiltinExit() {
    }

    static GuestFileException.Kind kind(int code) {
        return switch (code) {
            case 11 -> GuestFileException.Kind.NOT_FOUND;
            case 12 -> GuestFileException.Kind.PERMISSION;
            case 13 -> GuestFileException.Kind.WRONG_TYPE;
            case 14 -> GuestFileException.Kind.EXISTS;
            case 15 -> GuestFileException.Kind.NO_SPACE;
            case 16 -> GuestFileException.Kind.INVALID;
            case UNKNOWN_BUILTIN -> GuestFileException.Kind.UNSUPPORTED;
            default -> GuestFileException.Kind.OTHER;
        };
    }

    /** The failure for a non-zero exit, with the guest's first stderr line (cleaned) as the message. */
    static GuestFileException failure(String op, int code, int signal, byte[] stderr) {
        GuestFileException.Kind kind = kind(code);
        if (kind == GuestFileException.Kind.UNSUPPORTED) {
            return new GuestFileException(kind, "this microVM's agent has no file operations; rebuild the image version"
                    + " (a new version gets agent 0.4.0 or later)");
        }
        String message = firstLine(stderr);
        if (message.isEmpty()) {
            message = signal != 0 ? op + " was killed by signal " + signal : op + " failed with exit code " + code;
        }
        return new GuestFileException(kind, message);
    }

    /** The first line of the guest's bytes, decoded leniently, without control characters. */
    static String firstLine(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        int nl = s.indexOf('\n');
        if (nl >= 0) {
            s = s.substring(0, nl);
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return b.toString().strip();
    }
}
