/* bench/storage — a job's storage on one storage host: create + export and
 * unexport + remove N volumes (N = the arguments), through the same code
 * vlanallocd and the agent run (storage/ops.h), against a baseline measured
 * in the same run: the same work the way a script does it, one tgtadm
 * process per target, LUN, account and binding (the baseline passes its
 * secret on tgtadm's command line, which our code never does).
 *
 *   storage CONTROL BACKEND VG|DIR N…     prints one line per N (median of 3)
 * With BACKEND lvm only the volumes are timed: on a kernel without
 * device-mapper its volumes exist as metadata and cannot be exported.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ops.h"
#include "run.h"
#include "util.h"

#define ROUNDS 3
#define SECRET "benchSecret0123456789abc"

static const char *control, *backend, *where;

static json_t *args_for(unsigned n) {
        json_t *place = json_pack("{s:s, s:s}", "backend", backend, streq(backend, "lvm") ? "vg" : "dir", where);
        json_t *vols = json_array(), *luns = json_array();
        for (unsigned i = 1; i <= n; i++) {
                char name[32];
                snprintf(name, sizeof(name), "vc-9-bench-%u", i);
                json_array_append_new(vols, json_pack("{s:s, s:I}", "name", name, "bytes", (json_int_t)(16 << 20)));
                json_array_append_new(luns, json_pack("{s:I, s:s}", "lun", (json_int_t)i, "name", name));
        }
        return json_pack("{s:o, s:o, s:o, s:{s:s, s:s}, s:s, s:s, s:[s]}", "place", place, "volumes", vols, "luns",
                         luns, "export", "backend", "tgt", "control", control, "iqn",
                         "iqn.2026-11.org.vcluster:target.9", "user", "vcluster-9", "initiators",
                         "iqn.2026-11.org.vcluster:9.n1");
}

static void must(int r, const char *what, char *err) {
        if (r < 0) {
                fprintf(stderr, "bench/storage: %s: %s\n", what, err ? err : strerror(-r));
                exit(1);
        }
        free(err);
}

static void ours(unsigned n, uint64_t *up, uint64_t *down) {
        _cleanup_(json_decrefp) json_t *a = args_for(n);
        char *err = NULL;
        uint64_t t0 = now_ms();
        /* lvm here is metadata only: its volumes cannot be exported (no device-mapper) */
        bool export = !streq(backend, "lvm");
        must(vc_storage_op("volumes.create", a, NULL, &err), "create", err);
        err = NULL;
        if (export)
                must(vc_storage_op("export.add", a, SECRET, &err), "export", err);
        err = NULL;
        uint64_t t1 = now_ms();
        if (export)
                must(vc_storage_op("export.remove", a, NULL, &err), "unexport", err);
        err = NULL;
        must(vc_storage_op("volumes.remove", a, NULL, &err), "remove", err);
        *up = t1 - t0;
        *down = now_ms() - t1;
}

static void run_or_die(const char *const argv[]) {
        struct vc_run_result res = {0};
        if (vc_run(argv, NULL, 60000, &res) < 0 || res.status != 0) {
                _cleanup_free_ char *line = vc_argv_format(argv);
                fprintf(stderr, "bench/storage: %s: %s", line, res.err ? res.err : "cannot run\n");
                exit(1);
        }
        vc_run_result_free(&res);
}

/* tgtadm ARGS…, NULL: one process per call, the way tgt-admin and site scripts do it. */
static void tgtadm(const char *first, ...) {
        const char *argv[24] = {"tgtadm", "-C", control, "--lld", "iscsi", first};
        size_t n = 6;
        va_list ap;
        va_start(ap, first);
        for (const char *a; n < ARRAY_SIZE(argv) - 1 && (a = va_arg(ap, const char *));)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        run_or_die(argv);
}

static void baseline(unsigned n, uint64_t *up, uint64_t *down) {
        char tid[] = "999";
        uint64_t t0 = now_ms();
        for (unsigned i = 1; i <= n; i++) {
                _cleanup_free_ char *path = xasprintf("%s/base-%u.img", where, i);
                const char *tr[] = {"truncate", "-s", "16M", path, NULL};
                run_or_die(tr);
        }
        tgtadm("--op", "new", "--mode", "target", "--tid", tid, "-T", "iqn.2026-11.org.vcluster:base", NULL);
        for (unsigned i = 1; i <= n; i++) {
                _cleanup_free_ char *path = xasprintf("%s/base-%u.img", where, i);
                char lun[16];
                snprintf(lun, sizeof(lun), "%u", i);
                tgtadm("--op", "new", "--mode", "logicalunit", "--tid", tid, "--lun", lun, "-b", path, NULL);
        }
        tgtadm("--op", "new", "--mode", "account", "--user", "base", "--password", SECRET, NULL, NULL);
        tgtadm("--op", "bind", "--mode", "account", "--tid", tid, "--user", "base", NULL, NULL);
        tgtadm("--op", "bind", "--mode", "target", "--tid", tid, "-I", "iqn.2026-11.org.vcluster:9.n1", NULL, NULL);
        uint64_t t1 = now_ms();
        tgtadm("--op", "delete", "--mode", "target", "--tid", tid, "--force", NULL, NULL, NULL);
        tgtadm("--op", "delete", "--mode", "account", "--user", "base", NULL, NULL, NULL, NULL);
        for (unsigned i = 1; i <= n; i++) {
                _cleanup_free_ char *path = xasprintf("%s/base-%u.img", where, i);
                const char *rm[] = {"rm", "-f", path, NULL};
                run_or_die(rm);
        }
        *up = t1 - t0;
        *down = now_ms() - t1;
}

static int cmp(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v) {
        qsort(v, ROUNDS, sizeof(*v), cmp);
        return v[ROUNDS / 2];
}

int main(int argc, char **argv) {
        if (argc < 5) {
                fprintf(stderr, "usage: storage CONTROL BACKEND VG|DIR N...\n");
                return 2;
        }
        control = argv[1];
        backend = argv[2];
        where = argv[3];
        bool base = streq(backend, "file"); /* the baseline makes files */
        printf("%-5s %-6s %12s %12s%s\n", "N", "backend", "up ms", "down ms",
               base ? "   baseline up / down ms   ratio up / down" : "");
        for (int k = 4; k < argc; k++) {
                unsigned n = (unsigned)strtoul(argv[k], NULL, 10);
                uint64_t u[ROUNDS], d[ROUNDS], bu[ROUNDS], bd[ROUNDS];
                for (int r = 0; r < ROUNDS; r++) {
                        ours(n, &u[r], &d[r]);
                        if (base)
                                baseline(n, &bu[r], &bd[r]);
                }
                uint64_t mu = median(u), md = median(d);
                printf("%-5u %-6s %12llu %12llu", n, backend, (unsigned long long)mu, (unsigned long long)md);
                if (base) {
                        uint64_t mbu = median(bu), mbd = median(bd);
                        printf("   %8llu / %-8llu   %5.1fx / %.1fx", (unsigned long long)mbu, (unsigned long long)mbd,
                               mu ? (double)mbu / (double)mu : 0.0, md ? (double)mbd / (double)md : 0.0);
                }
                printf("\n");
        }
        return 0;
}
