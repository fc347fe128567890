/* bench/switch — time to configure one VLAN with N node ports on one switch,
 * per driver, batched (what the switch.vlan step does: one session, one
 * commit: one SET PDU, one OVSDB transaction, one add-ports call) next to the
 * naive way measured in the same run (one commit per port: one SET PDU per
 * port; one ovs-vsctl process per port; one add-ports call per port).
 *
 *   bench/switch DRIVER OPTS SECRET|- NAIVE PORT_PREFIX N…
 * NAIVE is "driver" (one commit per port through the same driver) or an
 * ovs-vsctl database ("unix:…": one `ovs-vsctl set port` per port). Each
 * figure is the median of 3 runs of configure+remove, in milliseconds.
 * Prints one line per N; never fails for being slow. */
#include <errno.h>

#include "run.h"
#include "switch.h"
#include "util.h"

#define VLAN 42
#define RUNS 3

static const struct vc_switch_driver *drv;
static struct vc_switch_target target;

static char **ports_of(const char *prefix, int n) {
        char **v = xcalloc(1, sizeof(char *));
        for (int i = 1; i <= n; i++) {
                _cleanup_free_ char *p = xasprintf("%s%d", prefix, i);
                strv_push(&v, p);
        }
        return v;
}

static void check(int r, char *err) {
        if (r < 0) {
                fprintf(stderr, "bench/switch: %s\n", err ? err : strerror(-r));
                exit(1);
        }
        free(err);
}

/* one session: ops, commit */
static void session(char **add, char **remove, bool create, bool destroy) {
        void *s = NULL;
        char *err = NULL;
        check(drv->open(&target, &s, &err), err);
        err = NULL;
        if (create)
                check(drv->vlan_create(s, VLAN, "bench", &err), err), err = NULL;
        if (add)
                check(drv->ports_add(s, VLAN, add, VC_PORT_UNTAGGED, &err), err), err = NULL;
        if (remove)
                check(drv->ports_remove(s, VLAN, remove, &err), err), err = NULL;
        if (destroy)
                check(drv->vlan_delete(s, VLAN, &err), err), err = NULL;
        check(drv->commit(s, &err), err);
        drv->close(s);
}

static double batched(char **ports) {
        uint64_t t0 = now_ms();
        session(ports, NULL, true, false);
        session(NULL, ports, false, true);
        return (double)(now_ms() - t0);
}

static void vsctl_port(const char *db, const char *port, const char *what) {
        _cleanup_free_ char *dbarg = xasprintf("--db=%s", db);
        const char *argv[] = {"ovs-vsctl", dbarg, "--", strchr(what, '=') ? "set" : "clear", "port", port, what, NULL};
        struct vc_run_result res = {0};
        if (vc_run(argv, NULL, 30000, &res) < 0 || res.status != 0) {
                fprintf(stderr, "bench/switch: ovs-vsctl failed: %s\n", res.err ? res.err : "");
                exit(1);
        }
        vc_run_result_free(&res);
}

static double naive(const char *how, char **ports) {
        uint64_t t0 = now_ms();
        if (streq(how, "driver")) {
                session(NULL, NULL, true, false);
                for (char **p = ports; *p; p++)
                        session((char *[]){*p, NULL}, NULL, false, false);
                for (char **p = ports; *p; p++)
                        session(NULL, (char *[]){*p, NULL}, false, false);
                session(NULL, NULL, false, true);
        } else {
                _cleanup_free_ char *tag = xasprintf("tag=%d", VLAN);
                for (char **p = ports; *p; p++)
                        vsctl_port(how, *p, tag);
                for (char **p = ports; *p; p++)
                        vsctl_port(how, *p, "tag");
        }
        return (double)(now_ms() - t0);
}

static int cmp_d(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

static double median(double (*fn)(const char *, char **), const char *how, char **ports) {
        double v[RUNS];
        for (int i = 0; i < RUNS; i++)
                v[i] = fn(how, ports);
        qsort(v, RUNS, sizeof(double), cmp_d);
        return v[RUNS / 2];
}

static double batched_how(const char *how, char **ports) { return batched(ports); }

int main(int argc, char **argv) {
        if (argc < 7) {
                fprintf(stderr, "usage: bench/switch DRIVER OPTS SECRET|- NAIVE PORT_PREFIX N...\n");
                return 2;
        }
        drv = vc_switch_driver_find(argv[1]);
        if (!drv)
                return 2;
        json_t *opts = json_object();
        _cleanup_free_ char *copy = xstrdup(argv[2]);
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(kv, '=');
                if (eq) {
                        *eq = 0;
                        json_object_set_new(opts, kv, json_string(eq + 1));
                }
        }
        target = (struct vc_switch_target){.name = "bench", .driver = argv[1], .opts = opts,
                                           .secret_file = streq(argv[3], "-") ? NULL : argv[3], .owner = "1"};
        const char *naive_how = argv[4], *prefix = argv[5];
        for (int i = 6; i < argc; i++) {
                int n = atoi(argv[i]);
                _cleanup_strv_ char **ports = ports_of(prefix, n);
                double b = median(batched_how, NULL, ports);
                double nv = median(naive, naive_how, ports);
                printf("%-5s N=%-4d batched %8.1f ms   naive (%s per port) %9.1f ms   naive/batched %6.1fx\n",
                       argv[1], n, b, streq(naive_how, "driver") ? "one commit" : "one ovs-vsctl", nv,
                       b > 0 ? nv / b : 0.0);
                fflush(stdout);
        }
        json_decref(opts);
        return 0;
}
