/* bench/alloc — acquire+release pairs per second and p50/p99 latency through
 * vlanallocd's Unix socket (munge, RPC, journal, SQLite), with 1 and 8
 * clients, printed next to the floor: the same holds taken and freed as raw
 * SQLite transactions with the daemon's pragmas, measured in the same run.
 * Needs a running daemon (bench/run starts one) and VCLUSTER_CONF. */
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "client.h"
#include "conf.h"
#include "util.h"

#define PAIRS_PER_CLIENT 100

struct worker {
        const struct vc_conf *c;
        int id, n;
        double *lat_ms; /* one per pair */
        int failures;
};

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int call(const struct vc_conf *c, json_t *req) {
        json_t *reply = NULL;
        _cleanup_free_ char *err = NULL;
        int r = vc_client_call(c, req, 60, &reply, &err);
        json_decref(req);
        if (r == 0 && !json_is_true(json_object_get(reply, "ok")))
                r = -EIO;
        if (r < 0)
                fprintf(stderr, "bench: %s\n", err ? err : json_string_value(json_object_get(reply, "error")));
        json_decref(reply);
        return r;
}

static void *work(void *arg) {
        struct worker *w = arg;
        for (int i = 0; i < w->n; i++) {
                long long job = 1000000LL * (w->id + 1) + i;
                /* spread clients over the sites' nodes so shared and stitched both occur */
                const char *nodes = (i % 3 == 0) ? "a001,c001" : (i % 3 == 1) ? "a002,b002" : "b003";
                double t0 = now_s();
                int r = call(w->c, json_pack("{s:s, s:I, s:s}", "op", "acquire", "job", job, "nodes", nodes));
                r |= call(w->c, json_pack("{s:s, s:I}", "op", "release", "job", job));
                w->lat_ms[i] = (now_s() - t0) * 1e3;
                w->failures += r != 0;
        }
        return NULL;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

struct result {
        double pairs_per_s, p50, p99;
        int failures;
};

static struct result run_daemon(const struct vc_conf *c, int clients) {
        struct worker *w = xcalloc((size_t)clients, sizeof(*w));
        pthread_t *t = xcalloc((size_t)clients, sizeof(*t));
        double *lat = xcalloc((size_t)clients * PAIRS_PER_CLIENT, sizeof(double));
        double t0 = now_s();
        for (int i = 0; i < clients; i++) {
                w[i] = (struct worker){.c = c, .id = i, .n = PAIRS_PER_CLIENT, .lat_ms = lat + i * PAIRS_PER_CLIENT};
                pthread_create(&t[i], NULL, work, &w[i]);
        }
        struct result r = {0};
        for (int i = 0; i < clients; i++) {
                pthread_join(t[i], NULL);
                r.failures += w[i].failures;
        }
        double el = now_s() - t0;
        size_t n = (size_t)clients * PAIRS_PER_CLIENT;
        qsort(lat, n, sizeof(double), cmp_double);
        r.pairs_per_s = (double)n / el;
        r.p50 = lat[n / 2];
        r.p99 = lat[(n * 99) / 100];
        free(w);
        free(t);
        free(lat);
        return r;
}

/* The floor: per pair, one transaction that records a job and holds an id,
 * one that frees it — what any durable allocator must at least do. */
static struct result run_floor(const char *dir, int pairs) {
        _cleanup_free_ char *path = xasprintf("%s/floor.db", dir);
        sqlite3 *db;
        struct result r = {0};
        if (sqlite3_open(path, &db) != SQLITE_OK)
                abort();
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     "CREATE TABLE jobs(job INTEGER PRIMARY KEY, state TEXT);"
                     "CREATE TABLE holds(site TEXT, vlan INTEGER, job INTEGER, PRIMARY KEY(site, vlan));",
                     NULL, NULL, NULL);
        double *lat = xcalloc((size_t)pairs, sizeof(double));
        double t0 = now_s();
        for (int i = 0; i < pairs; i++) {
                double s = now_s();
                char sql[256];
                snprintf(sql, sizeof(sql),
                         "BEGIN IMMEDIATE; INSERT INTO jobs VALUES(%d,'held');"
                         "INSERT INTO holds VALUES('a',%d,%d); COMMIT;",
                         i, 100 + i % 100, i);
                r.failures += sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK;
                snprintf(sql, sizeof(sql),
                         "BEGIN IMMEDIATE; DELETE FROM holds WHERE job=%d; UPDATE jobs SET state='released' WHERE job=%d; COMMIT;",
                         i, i);
                r.failures += sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK;
                lat[i] = (now_s() - s) * 1e3;
        }
        double el = now_s() - t0;
        qsort(lat, (size_t)pairs, sizeof(double), cmp_double);
        r.pairs_per_s = pairs / el;
        r.p50 = lat[pairs / 2];
        r.p99 = lat[(pairs * 99) / 100];
        free(lat);
        sqlite3_close(db);
        unlink(path);
        _cleanup_free_ char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
        unlink(wal);
        unlink(shm);
        return r;
}

int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: bench/alloc SCRATCH_DIR   (with VCLUSTER_CONF and a running vlanallocd)\n");
                return 1;
        }
        struct vc_conf *c = NULL;
        _cleanup_free_ char *err = NULL;
        if (vc_conf_load(vc_conf_path(), &c, &err) < 0) {
                fprintf(stderr, "bench: %s\n", err);
                return 1;
        }
        struct result floor1 = run_floor(argv[1], PAIRS_PER_CLIENT * 8);
        printf("%-34s %10s %9s %9s %8s\n", "bench/alloc", "pairs/s", "p50 ms", "p99 ms", "floor x");
        printf("%-34s %10.0f %9.3f %9.3f %8s\n", "floor: raw SQLite txns (1 writer)", floor1.pairs_per_s, floor1.p50,
               floor1.p99, "1.00");
        int failures = floor1.failures;
        const int clients[] = {1, 8};
        for (size_t i = 0; i < ARRAY_SIZE(clients); i++) {
                struct result r = run_daemon(c, clients[i]);
                char label[64];
                snprintf(label, sizeof(label), "vlanallocd, %d client%s", clients[i], clients[i] > 1 ? "s" : "");
                printf("%-34s %10.0f %9.3f %9.3f %8.2f\n", label, r.pairs_per_s, r.p50, r.p99,
                       floor1.pairs_per_s / r.pairs_per_s);
                failures += r.failures;
        }
        printf("(floor x = how many times slower than the floor; %d pairs per client)\n", PAIRS_PER_CLIENT);
        vc_conf_unref(c);
        if (failures) {
                fprintf(stderr, "bench: %d operations failed\n", failures);
                return 1;
        }
        return 0;
}
