/* User lookup by parsing the image's /etc/passwd and /etc/group (no NSS in a static binary). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Parses a decimal id; -1 if not a plain number that fits an id. */
static long long parse_id(const char *s, size_t n)
{
    if (n == 0 || n > 10)
        return -1;
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 0xFFFFFFFELL) /* (uid_t)-1 means "unchanged" */
        return -1;
    return v;
}

/* Splits a line on ':' into at most max fields (in place). Returns the field count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    f[n++] = p;
    while (*p && n < max) {
        if (*p == ':') {
            *p = 0;
            f[n++] = p + 1;
        }
        p++;
    }
    return n;
}

static void chomp(char *line)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = 0;
}

static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Finds a passwd entry by name (name != NULL) or by uid. Returns 1 if found. */
static int passwd_find(const char *name, long long uid, struct user_info *u)
{
    FILE *f = fopen("/etc/passwd", "re");
    char line[1024];
    int found = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) {
            int c; /* overlong line: skip the rest */
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            continue;
        }
        chomp(line);
        char *fl[7];
        if (split(line, fl, 7) != 7)
            continue;
        long long id = parse_id(fl[2], strlen(fl[2]));
        long long gid = parse_id(fl[3], strlen(fl[3]));
        if (id < 0 || gid < 0)
            continue;
        if (name ? strcmp(fl[0], name) != 0 : id != uid)
            continue;
        u->uid = (uid_t)id;
        u->gid = (gid_t)gid;
        copy_field(u->name, sizeof u->name, fl[0]);
        copy_field(u->home, sizeof u->home, fl[5][0] ? fl[5] : "/");
        found = 1;
        break;
    }
    fclose(f);
    return found;
}

static void add_group(struct user_info *u, gid_t g)
{
    for (int i = 0; i < u->ngroups; i++)
        if (u->groups[i] == g)
            return;
    if (u->ngroups < (int)(sizeof u->groups / sizeof u->groups[0]))
        u->groups[u->ngroups++] = g;
}

static void groups_for(struct user_info *u)
{
    FILE *f = fopen("/etc/group", "re");
    char line[4096];
    u->ngroups = 0;
    add_group(u, u->gid);
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        if (!strchr(line, '\n') && !feof(f)) {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n') {}
            continue;
        }
        chomp(line);
        char *fl[4];
        if (split(line, fl, 4) != 4)
            continue;
        long long gid = parse_id(fl[2], strlen(fl[2]));
        if (gid < 0)
            continue;
        for (char *m = fl[3]; *m;) {
            size_t len = strcspn(m, ",");
            if (len == strlen(u->name) && strncmp(m, u->name, len) == 0) {
                add_group(u, (gid_t)gid);
                break;
            }
            m += len;
            if (*m == ',')
                m++;
        }
    }
    fclose(f);
}

int user_lookup(const char *spec, struct user_info *u, char *msg, size_t msglen)
{
    memset(u, 0, sizeof *u);
    if (spec[0] == 0) {
        if (!passwd_find(NULL, 0, u)) {
            u->uid = 0;
            u->gid = 0;
            copy_field(u->name, sizeof u->name, "root");
            copy_field(u->home, sizeof u->home, "/root");
        }
        groups_for(u);
        return 0;
    }

    const char *colon = strchr(spec, ':');
    size_t ulen = colon ? (size_t)(colon - spec) : strlen(spec);
    long long uid = parse_id(spec, ulen);
    if (uid >= 0) {
        long long gid = -1;
        if (colon) {
            gid = parse_id(colon + 1, strlen(colon + 1));
            if (gid < 0) {
                snprintf(msg, msglen, "bad user %.64s: want name or uid[:gid]", spec);
                return -1;
            }
        }
        if (passwd_find(NULL, uid, u)) {
            if (gid >= 0)
                u->gid = (gid_t)gid;
            groups_for(u);
        } else {
            u->uid = (uid_t)uid;
            u->gid = gid >= 0 ? (gid_t)gid : 0;
            snprintf(u->name, sizeof u->name, "%lld", uid);
            copy_field(u->home, sizeof u->home, "/");
            u->ngroups = 1;
            u->groups[0] = u->gid;
        }
        return 0;
    }
    if (colon) {
        snprintf(msg, msglen, "bad user %.64s: want name or uid[:gid]", spec);
        return -1;
    }
    if (!passwd_find(spec, -1, u)) {
        snprintf(msg, msglen, "unknown user %.64s", spec);
        return -1;
    }
    groups_for(u);
    return 0;
}
