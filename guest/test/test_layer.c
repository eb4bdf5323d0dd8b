/* Tests of the layer builtins (agent/fs_layer.c): layer-mark and layer-diff on a temporary tree
 * (the diff parsed and then applied with untar to a copy of the tree as it was at the mark, which
 * must then equal the changed tree), and untar of hand-made tars: whiteouts, opaque
 * directories, hard links, owners and modes, refused names. Each case forks and runs
 * builtin_main() with pipes on fds 0-2 as the agent does. Run with `make test`. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../agent/builtins.h"
#include "../agent/fs_util.h"

static int failures;
#include "check.h"

#define RUN_DEADLINE_MS 30000
#define MAX_ENTRIES 256

static char root[256];

#include "run_builtin.h"

static const char *at(const char *fmt, ...)
{
    static char paths[8][4096];
    static int next;
    char *p = paths[next++ % 8];
    int n = snprintf(p, 4096, "%s/", root);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p + n, 4096 - (size_t)n, fmt, ap);
    va_end(ap);
    return p;
}

static void put_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(content, f);
    fclose(f);
}

static int file_is(const char *path, const char *content)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char got[256];
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    return n == strlen(content) && !memcmp(got, content, n);
}

static int sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* ---- reading a tar (ustar + pax path/linkpath) ---- */

struct tentry {
    char name[4200];
    char link[4200];
    char type;
    unsigned long long size;
    unsigned mode, uid;
    char data[64];
};

static unsigned long long octal(const char *p, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
        v = v * 8 + (unsigned long long)(p[i] - '0');
    return v;
}

/* Lists the entries of tar (at most max); -1 when it is malformed. */
static int tar_list(const char *tar, size_t len, struct tentry *out, int max)
{
    size_t at = 0;
    int n = 0;
    char pax_path[4200] = "", pax_link[4200] = "";
    while (at + 512 <= len) {
        const char *h = tar + at;
        int zero = 1;
        for (int i = 0; i < 512 && zero; i++)
            zero = h[i] == 0;
        if (zero)
            return n;
        unsigned long long size = octal(h + 124, 12);
        char type = h[156];
        at += 512;
        if (at + size > len)
            return -1;
        if (type == 'x') {
            for (size_t p = 0; p < size;) {
                size_t rl = strtoul(tar + at + p, NULL, 10);
                const char *kv = memchr(tar + at + p, ' ', rl) + 1;
                size_t vlen = rl - (size_t)(kv - (tar + at + p)) - 1;
                if (!strncmp(kv, "path=", 5))
                    snprintf(pax_path, sizeof pax_path, "%.*s", (int)vlen - 5, kv + 5);
                if (!strncmp(kv, "linkpath=", 9))
                    snprintf(pax_link, sizeof pax_link, "%.*s", (int)vlen - 9, kv + 9);
                p += rl;
            }
        } else if (n < max) {
            struct tentry *e = &out[n++];
            memset(e, 0, sizeof *e);
            snprintf(e->name, sizeof e->name, "%s", pax_path[0] ? pax_path : h);
            if (!pax_path[0] && strlen(e->name) > 100)
                e->name[100] = 0;
            snprintf(e->link, sizeof e->link, "%.100s", pax_link[0] ? pax_link : h + 157);
            if (pax_link[0])
                snprintf(e->link, sizeof e->link, "%s", pax_link);
            e->type = type;
            e->size = size;
            e->mode = (unsigned)octal(h + 100, 8);
            e->uid = (unsigned)octal(h + 108, 8);
            memcpy(e->data, tar + at, size < sizeof e->data - 1 ? size : sizeof e->data - 1);
            pax_path[0] = pax_link[0] = 0;
        }
        at += (size + 511) / 512 * 512;
    }
    return -1;
}

static const struct tentry *find(const struct tentry *es, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(es[i].name, name))
            return &es[i];
    return NULL;
}

static int index_of(const struct tentry *es, int n, const char *name)
{
    const struct tentry *e = find(es, n, name);
    return e ? (int)(e - es) : -1;
}

/* ---- writing a tar ---- */

static void tar_add(struct buf *t, const char *name, char type, const char *data, const char *link,
                    unsigned mode, unsigned uid)
{
    char h[512];
    memset(h, 0, sizeof h);
    size_t dl = data ? strlen(data) : 0;
    if (strlen(name) > 100) {
        char rec[4300];
        int body = (int)strlen(name) + 7; /* " path=" and "\n" */
        int rl = body + 1;
        while (snprintf(NULL, 0, "%d", rl) + body != rl)
            rl = snprintf(NULL, 0, "%d", rl) + body;
        snprintf(rec, sizeof rec, "%d path=%s\n", rl, name);
        tar_add(t, "././@PaxHeader", 'x', rec, NULL, 0644, 0);
    }
    strncpy(h, name, 100);
    snprintf(h + 100, 8, "%07o", mode);
    snprintf(h + 108, 8, "%07o", uid);
    snprintf(h + 116, 8, "%07o", uid);
    snprintf(h + 124, 12, "%011o", (unsigned)(dl & 07777777777));
    snprintf(h + 136, 12, "%011o", 1700000000u);
    h[156] = type;
    if (link)
        strncpy(h + 157, link, 100);
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    buf_put(t, h, 512);
    if (dl) {
        static const char zeros[512];
        buf_put(t, data, dl);
        buf_put(t, zeros, (512 - dl % 512) % 512);
    }
}

static void tar_end(struct buf *t)
{
    static const char zeros[1024];
    buf_put(t, zeros, sizeof zeros);
}

/* ---- cases ---- */

static struct tentry entries[MAX_ENTRIES];

static void aDiffHoldsWhatChangedAndOneWhiteoutPerVanishedPathAndAppliesBackToTheSameTree(void)
{
    /* the tree as it is at the mark */
    CHECK(sh("mkdir -p '%s' '%s' '%s' '%s'", at("t/deldir/b"), at("t/dir2/sub"), at("t/keepdir"),
             at("t/moved")) == 0);
    put_file(at("t/keep.txt"), "keep");
    put_file(at("t/mod.txt"), "before");
    put_file(at("t/chm.txt"), "chmod me");
    put_file(at("t/del.txt"), "delete me");
    put_file(at("t/deldir/a"), "a");
    put_file(at("t/deldir/b/c"), "c");
    put_file(at("t/repl"), "a file that becomes a directory");
    put_file(at("t/dir2/sub/x"), "a directory that becomes a file");
    put_file(at("t/keepdir/k"), "k");
    put_file(at("t/moved/m"), "m");
    symlink("keep.txt", at("t/sym"));
    CHECK(sh("cp -a '%s' '%s'", at("t"), at("base")) == 0);

    struct result r = run(ARGV("layer-mark", (char *)at("t"), (char *)at("mark")));
    CHECK(r.code == 0);
    CHECK(!strcmp(r.out.p, "{\"entries\":17}\n"));
    CHECK(r.err.len == 0);
    result_free(&r);

    /* what a RUN does */
    put_file(at("t/new.txt"), "new");
    CHECK(link(at("t/new.txt"), at("t/newlink")) == 0);
    put_file(at("t/mod.txt"), "after!");
    CHECK(chmod(at("t/chm.txt"), 04755) == 0);
    CHECK(unlink(at("t/del.txt")) == 0);
    CHECK(sh("rm -r '%s' '%s'", at("t/deldir"), at("t/dir2")) == 0);
    put_file(at("t/dir2"), "now a file");
    CHECK(unlink(at("t/repl")) == 0);
    CHECK(mkdir(at("t/repl"), 0750) == 0);
    put_file(at("t/repl/inner"), "inner");
    CHECK(unlink(at("t/sym")) == 0);
    CHECK(symlink("mod.txt", at("t/sym")) == 0);
    CHECK(chown(at("t/keepdir/k"), 1234, 4321) == 0);
    CHECK(rename(at("t/moved/m"), at("t/moved/m2")) == 0);

    r = run(ARGV("layer-diff", (char *)at("t"), (char *)at("mark")));
    CHECK(r.code == 0);
    CHECK(!exists(at("mark")));
    FILE *f = fopen(at("layer.tar"), "w");
    fwrite(r.out.p, 1, r.out.len, f);
    fclose(f);
    int n = tar_list(r.out.p, r.out.len, entries, MAX_ENTRIES);
    CHECK(n > 0);
    const struct tentry *e;
    CHECK((e = find(entries, n, "new.txt")) && e->type == '0' && !strcmp(e->data, "new"));
    CHECK((e = find(entries, n, "newlink")) && e->type == '1' && !strcmp(e->link, "new.txt"));
    CHECK((e = find(entries, n, "mod.txt")) && e->type == '0' && !strcmp(e->data, "after!"));
    CHECK((e = find(entries, n, "chm.txt")) && e->mode == 04755);
    CHECK((e = find(entries, n, ".wh.del.txt")) && e->type == '0' && e->size == 0);
    CHECK(find(entries, n, ".wh.deldir") && !find(entries, n, "deldir/.wh.a") &&
          !find(entries, n, "deldir/b/.wh.c") && !find(entries, n, "deldir/.wh.b"));
    CHECK((e = find(entries, n, "dir2")) && e->type == '0' && !strcmp(e->data, "now a file"));
    CHECK(!find(entries, n, "dir2/.wh.sub") && !find(entries, n, ".wh.dir2"));
    CHECK((e = find(entries, n, "repl/")) && e->type == '5' && e->mode == 0750);
    CHECK(find(entries, n, "repl/inner"));
    CHECK(index_of(entries, n, "repl/") < index_of(entries, n, "repl/inner"));
    CHECK((e = find(entries, n, "sym")) && e->type == '2' && !strcmp(e->link, "mod.txt"));
    CHECK((e = find(entries, n, "keepdir/k")) && e->uid == 1234);
    CHECK(find(entries, n, "moved/") && find(entries, n, "moved/m2") && find(entries, n, "moved/.wh.m"));
    CHECK(!find(entries, n, "keep.txt") && !find(entries, n, "keepdir/"));
    CHECK(strstr(r.err.p, "{\"entries\":") != NULL);
    char summary[96];
    int files = 0, wh = 0;
    for (int i = 0; i < n; i++)
        *(strstr(entries[i].name, ".wh.") ? &wh : &files) += 1;
    snprintf(summary, sizeof summary, "{\"entries\":%d,\"whiteouts\":%d}\n", files, wh);
    CHECK(!strcmp(r.err.p, summary));
    result_free(&r);

    /* the same change gives the same bytes: mark and diff nothing, twice */
    for (int i = 0; i < 2; i++) {
        r = run(ARGV("layer-mark", (char *)at("t"), (char *)at("mark")));
        CHECK(r.code == 0);
        result_free(&r);
        r = run(ARGV("layer-diff", (char *)at("t"), (char *)at("mark")));
        CHECK(r.code == 0 && r.out.len == 1024 && !strcmp(r.err.p, "{\"entries\":0,\"whiteouts\":0}\n"));
        result_free(&r);
    }

    /* base + layer = the changed tree */
    f = fopen(at("layer.tar"), "r");
    static char tar[1 << 20];
    size_t tl = fread(tar, 1, sizeof tar, f);
    fclose(f);
    r = run_in(tar, tl, ARGV("untar", (char *)at("base")));
    CHECK(r.code == 0);
    CHECK(!strncmp(r.out.p, "{\"entries\":", 11));
    result_free(&r);
    CHECK(sh("diff -r --no-dereference '%s' '%s'", at("t"), at("base")) == 0);
    struct stat a, b;
    CHECK(stat(at("base/chm.txt"), &a) == 0 && (a.st_mode & 07777) == 04755);
    CHECK(stat(at("base/repl"), &a) == 0 && S_ISDIR(a.st_mode) && (a.st_mode & 07777) == 0750);
    CHECK(stat(at("base/new.txt"), &a) == 0 && stat(at("base/newlink"), &b) == 0 && a.st_ino == b.st_ino);
    CHECK(stat(at("base/keepdir/k"), &a) == 0 && a.st_uid == 1234 && a.st_gid == 4321);
    CHECK(stat(at("t/mod.txt"), &a) == 0 && stat(at("base/mod.txt"), &b) == 0 &&
          a.st_mtim.tv_sec == b.st_mtim.tv_sec);
}

static void aDiffWithoutAMarkSaysSoAndLayerArgumentsAreChecked(void)
{
    struct result r = run(ARGV("layer-diff", (char *)at("t"), (char *)at("no-mark")));
    CHECK(r.code == FS_EXIT_NOT_FOUND && strstr(r.err.p, "run layer-mark first"));
    result_free(&r);
    r = run(ARGV("layer-mark", "relative", (char *)at("m")));
    CHECK(r.code == FS_EXIT_USAGE);
    result_free(&r);
    r = run(ARGV("untar", "a", "b"));
    CHECK(r.code == FS_EXIT_USAGE && strstr(r.err.p, "usage: untar"));
    result_free(&r);
    put_file(at("garbage"), "BRWMARK0 not a mark");
    r = run(ARGV("layer-diff", (char *)at("t"), (char *)at("garbage")));
    CHECK(r.code == FS_EXIT_OTHER && strstr(r.err.p, "corrupt"));
    result_free(&r);
}

static void aMarkNeverEntersAnotherFilesystemAndLeavesItselfOut(void)
{
    CHECK(sh("mkdir -p '%s' '%s'", at("small/a/b"), at("small/mnt")) == 0);
    put_file(at("small/a/b/f"), "f");
    int mounted = sh("mount -t tmpfs burrow-test '%s' 2>/dev/null", at("small/mnt")) == 0;
    if (mounted)
        put_file(at("small/mnt/on-another-fs"), "x");
    else
        printf("test_layer: mount not permitted here: the other-filesystem part is skipped\n");
    struct result r = run(ARGV("layer-mark", (char *)at("small"), (char *)at("small/inside.mark")));
    /* a, a/b, a/b/f, and mnt only when it is not a mount point */
    CHECK(r.code == 0 && !strcmp(r.out.p, mounted ? "{\"entries\":3}\n" : "{\"entries\":4}\n"));
    result_free(&r);
    if (mounted)
        put_file(at("small/mnt/changed-there"), "x");
    r = run(ARGV("layer-diff", (char *)at("small"), (char *)at("small/inside.mark")));
    CHECK(r.code == 0 && r.out.len == 1024 && !strcmp(r.err.p, "{\"entries\":0,\"whiteouts\":0}\n"));
    result_free(&r);
    if (mounted)
        CHECK(sh("umount '%s'", at("small/mnt")) == 0);
}

static void aFilesCapabilitiesTravelThroughTheDiffAndUntar(void)
{
    /* VFS_CAP_REVISION_2, effective; permitted: CAP_NET_BIND_SERVICE (10) */
    const unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x04};
    CHECK(sh("mkdir -p '%s' '%s'", at("cap/t"), at("cap/copy")) == 0);
    struct result r = run(ARGV("layer-mark", (char *)at("cap/t"), (char *)at("cap/mark")));
    CHECK(r.code == 0);
    result_free(&r);
    put_file(at("cap/t/server"), "binary");
    if (setxattr(at("cap/t/server"), "security.capability", cap, sizeof cap, 0) < 0) {
        printf("test_layer: security.capability cannot be set here (%s): skipped\n", strerror(errno));
        return;
    }
    r = run(ARGV("layer-diff", (char *)at("cap/t"), (char *)at("cap/mark")));
    CHECK(r.code == 0 && memmem(r.out.p, r.out.len, "SCHILY.xattr.security.capability=", 33));
    struct result u = run_in(r.out.p, r.out.len, ARGV("untar", (char *)at("cap/copy")));
    CHECK(u.code == 0 && u.err.len == 0);
    unsigned char got[64];
    CHECK(getxattr(at("cap/copy/server"), "security.capability", got, sizeof got) == (ssize_t)sizeof cap &&
          !memcmp(got, cap, sizeof cap));
    result_free(&u);
    result_free(&r);
}

static void aWalkDeeperThanItsLimitFailsAndAnOversizedPaxHeaderIsRefused(void)
{
    char deep[1200] = "deep";
    for (int i = 0; i < 260; i++)
        strcat(deep, "/d");
    CHECK(sh("mkdir -p '%s'", at("%s", deep)) == 0);
    struct result r = run(ARGV("layer-mark", (char *)at("deep"), (char *)at("deep.mark")));
    CHECK(r.code == FS_EXIT_WRONG_TYPE && strstr(r.err.p, "deeper than 256"));
    CHECK(!exists(at("deep.mark")) && !exists(at("deep.mark.tmp")));
    result_free(&r);

    struct buf t = {0};
    size_t big = (1u << 20) + 512;
    char *pax = malloc(big + 1);
    memset(pax, 'p', big);
    pax[big] = 0;
    tar_add(&t, "././@PaxHeader", 'x', pax, NULL, 0644, 0);
    tar_add(&t, "after", '0', "x", NULL, 0644, 0);
    tar_end(&t);
    r = run_in(t.p, t.len, ARGV("untar", (char *)at("v")));
    CHECK(r.code == FS_EXIT_USAGE && strstr(r.err.p, "larger than 1 MiB"));
    CHECK(!exists(at("v/after")));
    result_free(&r);
    free(pax);
    free(t.p);
}

static void untarAppliesWhiteoutsOpaqueDirectoriesHardLinksOwnersAndModes(void)
{
    CHECK(sh("mkdir -p '%s' '%s' '%s'", at("u/opq/sub"), at("u/gdir/x"), at("u/asdir")) == 0);
    put_file(at("u/opq/a"), "a");
    put_file(at("u/opq/sub/b"), "b");
    put_file(at("u/gone"), "gone");
    put_file(at("u/gdir/x/y"), "y");
    put_file(at("u/existing"), "existing");
    put_file(at("u/asfile"), "file");
    char longname[300];
    memset(longname, 'l', 200);
    snprintf(longname + 200, sizeof longname - 200, "/deep");

    struct buf t = {0};
    tar_add(&t, "./opq/.wh..wh..opq", '0', NULL, NULL, 0644, 0);
    tar_add(&t, "./opq/c", '0', "c", NULL, 0644, 0);
    tar_add(&t, ".wh.gone", '0', NULL, NULL, 0644, 0);
    tar_add(&t, ".wh.gdir", '0', NULL, NULL, 0644, 0);
    tar_add(&t, "f", '0', "content", NULL, 04755, 1234);
    tar_add(&t, "h", '1', NULL, "f", 0, 0);
    tar_add(&t, "h2", '1', NULL, "./existing", 0, 0);
    tar_add(&t, "asdir", '0', "was a directory", NULL, 0600, 0);
    tar_add(&t, "asfile/", '5', NULL, NULL, 0711, 0);
    tar_add(&t, "new/parents/file", '0', "p", NULL, 0640, 0);
    tar_add(&t, "ln", '2', NULL, "/etc/hostname", 0777, 0);
    tar_add(&t, "pax_global_header", 'g', "17 comment=hello\n", NULL, 0644, 0);
    tar_add(&t, longname, '0', "long", NULL, 0644, 0);
    tar_add(&t, "fifo", '6', NULL, NULL, 0644, 0);
    tar_end(&t);
    buf_put(&t, "padding of a writer's record that is read, not applied", 55);

    struct result r = run_in(t.p, t.len, ARGV("untar", (char *)at("u")));
    CHECK(r.code == 0);
    CHECK(!strcmp(r.out.p, "{\"entries\":12}\n"));
    CHECK(strstr(r.err.p, "fifo") != NULL);
    result_free(&r);
    free(t.p);

    struct stat a, b;
    CHECK(file_is(at("u/opq/c"), "c") && !exists(at("u/opq/a")) && !exists(at("u/opq/sub")));
    CHECK(!exists(at("u/gone")) && !exists(at("u/gdir")));
    CHECK(stat(at("u/f"), &a) == 0 && (a.st_mode & 07777) == 04755 && a.st_uid == 1234 &&
          a.st_gid == 1234 && a.st_mtim.tv_sec == 1700000000);
    CHECK(stat(at("u/h"), &b) == 0 && a.st_ino == b.st_ino);
    CHECK(stat(at("u/existing"), &a) == 0 && stat(at("u/h2"), &b) == 0 && a.st_ino == b.st_ino);
    CHECK(file_is(at("u/asdir"), "was a directory"));
    CHECK(stat(at("u/asfile"), &a) == 0 && S_ISDIR(a.st_mode) && (a.st_mode & 07777) == 0711);
    CHECK(stat(at("u/new/parents"), &a) == 0 && (a.st_mode & 07777) == 0755 && a.st_uid == 0);
    CHECK(file_is(at("u/new/parents/file"), "p"));
    char target[64] = {0};
    CHECK(readlink(at("u/ln"), target, sizeof target - 1) == 13 && !strcmp(target, "/etc/hostname"));
    CHECK(file_is(at("u/%s", longname), "long"));
    CHECK(!exists(at("u/fifo")));
}

static void untarRefusesDotDotAndAbsoluteNamesAndNamesTheEntry(void)
{
    const char *bad[] = {"../escaped", "a/../../escaped", "/abs/escaped", "a/.."};
    CHECK(sh("mkdir -p '%s'", at("v/inner")) == 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf t = {0};
        tar_add(&t, "ok", '0', "ok", NULL, 0644, 0);
        tar_add(&t, bad[i], '0', "x", NULL, 0644, 0);
        tar_end(&t);
        struct result r = run_in(t.p, t.len, ARGV("untar", (char *)at("v/inner")));
        CHECK(r.code == FS_EXIT_USAGE);
        CHECK(strstr(r.err.p, bad[i]) != NULL && strstr(r.err.p, "refused") != NULL);
        result_free(&r);
        free(t.p);
    }
    struct buf t = {0};
    tar_add(&t, "hl", '1', NULL, "../v-outside", 0644, 0);
    tar_end(&t);
    struct result r = run_in(t.p, t.len, ARGV("untar", (char *)at("v/inner")));
    CHECK(r.code == FS_EXIT_USAGE && strstr(r.err.p, "'hl'"));
    result_free(&r);
    free(t.p);
    CHECK(!exists(at("escaped")) && !exists(at("v/escaped")) && !exists("/abs/escaped"));

    /* not a tar */
    static char junk[1024];
    memset(junk, 'j', sizeof junk);
    r = run_in(junk, sizeof junk, ARGV("untar", (char *)at("v/inner")));
    CHECK(r.code == FS_EXIT_USAGE && strstr(r.err.p, "checksum"));
    result_free(&r);

    /* cut short inside a file's data */
    t = (struct buf){0};
    tar_add(&t, "cut", '0', "0123456789", NULL, 0644, 0);
    r = run_in(t.p, 512 + 4, ARGV("untar", (char *)at("v/inner")));
    CHECK(r.code == FS_EXIT_USAGE && strstr(r.err.p, "'cut'") && strstr(r.err.p, "ends inside"));
    result_free(&r);
    free(t.p);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(root, sizeof root, "%s/burrow-layer-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    umask(022);
    if (geteuid() != 0) {
        printf("test_layer: skipped (owners and modes need root)\n");
        sh("rm -rf '%s'", root);
        return 0;
    }
    aDiffHoldsWhatChangedAndOneWhiteoutPerVanishedPathAndAppliesBackToTheSameTree();
    aDiffWithoutAMarkSaysSoAndLayerArgumentsAreChecked();
    aMarkNeverEntersAnotherFilesystemAndLeavesItselfOut();
    aFilesCapabilitiesTravelThroughTheDiffAndUntar();
    aWalkDeeperThanItsLimitFailsAndAnOversizedPaxHeaderIsRefused();
    untarAppliesWhiteoutsOpaqueDirectoriesHardLinksOwnersAndModes();
    untarRefusesDotDotAndAbsoluteNamesAndNamesTheEntry();
    if (failures) {
        fprintf(stderr, "test_layer: %d failure(s) (left %s)\n", failures, root);
        return 1;
    }
    sh("rm -rf '%s'", root);
    printf("test_layer: all passed\n");
    return 0;
}
