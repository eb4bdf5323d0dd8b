package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The payload encoding of docs/PROTOCOL.md: little-endian integers, length-prefixed strings. */
public final class Payload {

    private Payload() {}

    public static Writer writer() {
        return new Writer();
    }

    public static Reader reader(Frame frame) {
        return new Reader(frame.payload());
    }

    public static final class Writer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        public Writer u8(int v) {
            out.write(v);
            return this;
        }

        public Writer u16(int v) {
            scratch.clear();
            scratch.putShort((short) v);
            out.write(scratch.array(), 0, 2);
            return this;
        }

        public Writer u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            out.write(scratch.array(), 0, 4);
            return this;
        }

        public Writer u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            out.write(scratch.array(), 0, 8);
            return this;
        }

        public Writer bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        public Writer str(String s) {
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("string contains a NUL byte: " + s.replace('\0', '?'));
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            return bytes(b);
        }

        public Writer strs(List<String> list) {
            u32(list.size());
            list.forEach(this::str);
            return this;
        }

        public byte[] toBytes() {
            return out.toByteArray();
        }
    }

    /** Bounds-checked reader: anything short, long or inconsistent is an {@link AgentProtocolException}. */
    public static final class Reader {
        private final ByteBuffer buf;

        Reader(byte[] payload) {
            this.buf = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
        }

        public int u8() throws AgentProtocolException {
            try {
                return buf.get() & 0xFF;
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        public int u16() throws AgentProtocolException {
            try {
                return buf.getShort() & 0xFFFF;
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        public int i32() throws AgentProtocolException {
            try {
                return buf.getInt();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        public long u64() throws AgentProtocolException {
            try {
                return buf.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        public String str() throws AgentProtocolException {
            long n = i32() & 0xFFFFFFFFL;
            if (n > buf.remaining()) {
                throw new AgentProtocolException("string of " + n + " bytes in a payload with " + buf.remaining() + " left", false);
            }
            byte[] b = new byte[(int) n];
            buf.get(b);
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                throw new AgentProtocolException("string is not UTF-8", false);
            }
        }

        public List<String> strs() throws AgentProtocolException {
            long count = i32() & 0xFFFFFFFFL;
            // each string needs at least its 4-byte length: bound the count by what is left
            if (count * 4 > buf.remaining()) {
                throw new AgentProtocolException("list of " + count + " strings cannot fit in " + buf.remaining() + " bytes", false);
            }
            List<String> out = new ArrayList<>((int) count);
            for (long i = 0; i < count; i++) {
                out.add(str());
            }
            return out;
        }

        public byte[] rest() {
            byte[] b = new byte[buf.remaining()];
            buf.get(b);
            return b;
        }

        public void end() throws AgentProtocolException {
            if (buf.hasRemaining()) {
                throw new AgentProtocolException(buf.remaining() + " unexpected bytes at the end of a payload", false);
            }
        }

        private AgentProtocolException truncated() {
            return new AgentProtocolException("payload ends early", false);
        }
    }
}
