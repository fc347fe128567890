#include "cpumap.h"

#include <errno.h>
#include <stdbool.h>

#include "cpulist.h"
#include "util.h"

/* read_line: the first line of path (malloc'd *out); -errno when unreadable. */
static int read_line(const char *path, char **out) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char buf[4096];
        if (!fgets(buf, sizeof(buf), f))
                return -EIO;
        buf[strcspn(buf, "\n")] = 0;
        *out = xstrdup(buf);
        return 0;
}

struct cpu {
        int id, package, core_first, package_first;
};

static int cpu_cmp(const void *a, const void *b) {
        const struct cpu *x = a, *y = b;
        if (x->package_first != y->package_first)
                return x->package_first - y->package_first;
        if (x->core_first != y->core_first)
                return x->core_first - y->core_first;
        return x->id - y->id;
}

/* topology: cpu's package and the lowest online CPU of its core; a file the
 * kernel does not provide (some containers) leaves package 0 and the CPU alone. */
static void topology(const char *dir, const bool *online, struct cpu *c) {
        _cleanup_free_ char *pkg_path = xasprintf("%s/cpu%d/topology/physical_package_id", dir, c->id);
        _cleanup_free_ char *sib_path = xasprintf("%s/cpu%d/topology/thread_siblings_list", dir, c->id);
        _cleanup_free_ char *pkg = NULL, *sib = NULL;
        unsigned long long n;
        c->package = read_line(pkg_path, &pkg) == 0 && parse_uint(pkg, 0, VC_CPUS_MAX, &n) == 0 ? (int)n : 0;
        c->core_first = c->id;
        _cleanup_free_ bool *siblings = NULL;
        if (read_line(sib_path, &sib) == 0 && vc_cpulist_parse(sib, &siblings) == 0)
                for (int i = 0; i < c->id; i++)
                        if (siblings[i] && online[i]) {
                                c->core_first = i;
                                break;
                        }
}

int vc_cpus_to_kernel(const char *sysfs_cpu, const char *slurm_ids, char **kernel_ids, char **err) {
        *kernel_ids = NULL;
        _cleanup_free_ bool *want = NULL, *online = NULL;
        if (vc_cpulist_parse(slurm_ids, &want) < 0) {
                *err = xasprintf("Slurm's CPU ids '%s' are not a CPU list", slurm_ids);
                return -EINVAL;
        }
        _cleanup_free_ char *online_path = xasprintf("%s/online", sysfs_cpu), *text = NULL;
        int r = read_line(online_path, &text);
        if (r < 0) {
                *err = xasprintf("%s: %s", online_path, strerror(-r));
                return r;
        }
        if (vc_cpulist_parse(text, &online) < 0) {
                *err = xasprintf("%s: '%s' is not a CPU list", online_path, text);
                return -EINVAL;
        }
        _cleanup_free_ struct cpu *cpus = xcalloc(VC_CPUS_MAX, sizeof(*cpus));
        size_t n = 0;
        for (int i = 0; i < VC_CPUS_MAX; i++)
                if (online[i]) {
                        cpus[n] = (struct cpu){.id = i};
                        topology(sysfs_cpu, online, &cpus[n++]);
                }
        /* a package's place: its lowest CPU */
        for (size_t i = 0; i < n; i++) {
                cpus[i].package_first = cpus[i].id;
                for (size_t k = 0; k < n; k++)
                        if (cpus[k].package == cpus[i].package && cpus[k].id < cpus[i].package_first)
                                cpus[i].package_first = cpus[k].id;
        }
        qsort(cpus, n, sizeof(*cpus), cpu_cmp);
        _cleanup_free_ bool *out = xcalloc(VC_CPUS_MAX, sizeof(bool));
        for (int i = 0; i < VC_CPUS_MAX; i++) {
                if (!want[i])
                        continue;
                if ((size_t)i >= n) {
                        *err = xasprintf("Slurm's CPU id %d is beyond this node's %zu online CPUs (%s: %s): "
                                         "slurm.conf describes more CPUs than the node has",
                                         i, n, online_path, text);
                        return -EINVAL;
                }
                out[cpus[i].id] = true;
        }
        *kernel_ids = vc_cpulist_format(out);
        return 0;
}
