/* Guest CPU counters for STATS (docs/PROTOCOL.md, "Guest CPU"): the whole guest from /proc/stat,
 * the agent itself from /proc/self/stat. The parsers are pure (tested by test/test_proto.c); the
 * reader keeps both files open and takes one pread of each per sample, into stack buffers. */
#ifndef BURROW_CPUSTAT_H
#define BURROW_CPUSTAT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes read from each file: the "cpu" line (10 counters of at most 20 digits) and the first 15
 * fields of /proc/self/stat (comm is at most 64 bytes, escaped) both fit with room to spare. */
#define CPUSTAT_READ_MAX 512u

struct cpu_sample {
    uint64_t total_ticks;
    uint64_t idle_ticks;
    uint64_t agent_ticks;
    uint32_t ticks_per_second;
    uint32_t cpus;
};

/* Parses the first line of /proc/stat ("cpu  user nice system idle iowait irq softirq steal
 * guest guest_nice", at least the first four): total = every counter but guest and guest_nice
 * (already inside user and nice), idle = idle + iowait. 0, or -1 with *why set. */
int cpustat_parse_total(const char *buf, size_t n, uint64_t *total, uint64_t *idle, const char **why);

/* Parses /proc/<pid>/stat: utime + stime (fields 14 and 15), not cutime/cstime. The comm field
 * may hold spaces and parentheses: fields are counted after the last ')'. 0, or -1 with *why. */
int cpustat_parse_self(const char *buf, size_t n, uint64_t *ticks, const char **why);

/* Reads a sample. The files are opened on first use and kept open (close-on-exec); a failed
 * read closes them so the next call opens them again. 0, or -1 with *why set. */
int cpustat_read(struct cpu_sample *out, const char **why);

#endif
