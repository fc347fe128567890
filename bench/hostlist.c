/* bench/hostlist — what expanding a hostlist costs (lib/hostlist.c): a
 * plain range, and the many-ranges expression of issue 15 item 9 that was
 * quadratic when each host was shifted off libslurm's list, both ~50k
 * hosts; and the same expressions through libslurm's shift loop, for
 * comparison. Prints figures; never judges them. */
#include <slurm/slurm.h>
#include <time.h>

#include "hostlist.h"
#include "util.h"

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void) {
        static const char *const exprs[] = {"a[1-50510]", "[12]b-.[50][3-50512]b-.[50]b[0]",
                                            "r[1-200]n[1-250]"};
        for (size_t i = 0; i < ARRAY_SIZE(exprs); i++) {
                char **v = NULL, *err = NULL;
                double t0 = now_s();
                if (vc_hostlist_expand(exprs[i], &v, &err) < 0) {
                        fprintf(stderr, "hostlist: %s\n", err);
                        return 1;
                }
                double ours = now_s() - t0;
                size_t n = strv_len(v);
                strv_free(v);
                t0 = now_s();
                hostlist_t hl = slurm_hostlist_create(exprs[i]);
                for (char *h; (h = slurm_hostlist_shift(hl));)
                        free(h);
                slurm_hostlist_destroy(hl);
                double shift = now_s() - t0;
                printf("hostlist %-34s %6zu hosts: expand %.3f s (libslurm shift loop %.3f s)\n", exprs[i], n, ours,
                       shift);
        }
        return 0;
}
