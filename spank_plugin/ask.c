/* ask.c — sbatch/salloc (and srun making its own allocation): what the job
 * asks Slurm for on each node, so a spec whose guests cannot fit it is
 * refused before anything is queued.
 *
 * SPANK gives a plugin on the user's side none of the job's other options,
 * so they are read from the program's own option table: sbatch, salloc and
 * srun keep their merged options (command line, #SBATCH lines, SBATCH_,
 * SALLOC_ and SLURM_ variables) in their global `opt`, and libslurmfull,
 * which all three load, answers slurm_option_get(&opt, "long-option-name") with the option's
 * value as text, as cli_filter plugins read them. Both are looked up at run
 * time (dlsym): when a Slurm release lacks them the check is skipped here
 * and the hooks apply the same rule to what Slurm allocated.
 *
 * Per node the job asks for (an upper bound where Slurm still chooses):
 *   CPUs  --exclusive: the whole node, not known here (left to the hooks);
 *         else max(T × c, --mincpus) with c = --cpus-per-task (1) and T =
 *         --ntasks-per-node, or for -n N on at least M nodes (-N M, 1) at
 *         most N - M + 1 tasks, or one task per node without -n
 *   mem   --mem per node, or --mem-per-cpu × those CPUs; without either
 *         (or --mem=0) Slurm's default decides: left to the hooks. */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "jobfit.h"
#include "plugin.h"
#include "spec.h"
#include "util.h"

typedef char *(*opt_get_fn)(void *opt, const char *name);
typedef bool (*opt_isset_fn)(void *opt, const char *name);
typedef void (*xfree_fn)(void *p);

struct opts {
        void *opt;
        opt_get_fn get;
        opt_isset_fn isset;
        xfree_fn xfree;
};

/* value: the option's text when the user set it (malloc'd), else NULL. */
static char *value(const struct opts *o, const char *name) {
        if (!o->isset(o->opt, name))
                return NULL;
        char *v = o->get(o->opt, name);
        char *copy = v ? xstrdup(v) : NULL;
        if (v)
                o->xfree(v);
        return copy;
}

/* number: a set option's whole-number value, else dflt. */
static unsigned long long number(const struct opts *o, const char *name, unsigned long long dflt) {
        _cleanup_free_ char *v = value(o, name);
        unsigned long long n;
        return v && parse_uint(v, 1, UINT32_MAX, &n) == 0 ? n : dflt;
}

/* min_nodes: the lower end of -N ("2" or "2-4"), 1 when not set. */
static unsigned long long min_nodes(const struct opts *o) {
        _cleanup_free_ char *v = value(o, "nodes");
        if (!v)
                return 1;
        char *dash = strchr(v, '-');
        if (dash)
                *dash = 0;
        unsigned long long n;
        return parse_uint(v, 1, UINT32_MAX, &n) == 0 ? n : 1;
}

/* share: what the job asks per node, with the options each number comes from. */
static void share(const struct opts *o, struct vc_node_share *s, char *cpu_how, char *mem_how, size_t n) {
        *s = (struct vc_node_share){.cpus_how = cpu_how, .mem_how = mem_how};
        unsigned long long c = number(o, "cpus-per-task", 1), tasks;
        if (o->isset(o->opt, "ntasks-per-node")) {
                tasks = number(o, "ntasks-per-node", 1);
                snprintf(cpu_how, n, "asked: --ntasks-per-node=%llu, -c %llu", tasks, c);
        } else if (o->isset(o->opt, "ntasks")) {
                unsigned long long all = number(o, "ntasks", 1), nodes = min_nodes(o);
                tasks = all > nodes ? all - nodes + 1 : 1;
                snprintf(cpu_how, n, "asked: -n %llu on at least %llu node%s, -c %llu", all, nodes,
                         nodes == 1 ? "" : "s", c);
        } else {
                tasks = 1;
                snprintf(cpu_how, n, "asked: one task per node, -c %llu", c);
        }
        unsigned long long cpus = tasks * c, mincpus = number(o, "mincpus", 0);
        if (mincpus > cpus) {
                cpus = mincpus;
                snprintf(cpu_how, n, "asked: --mincpus=%llu", mincpus);
        }
        _cleanup_free_ char *excl = value(o, "exclusive");
        bool whole = excl && streq(excl, "exclusive"); /* the node's CPUs: the hooks will know */
        if (!whole && cpus <= UINT32_MAX)
                s->cpus = (unsigned)cpus;
        _cleanup_free_ char *mem = value(o, "mem"), *per_cpu = value(o, "mem-per-cpu");
        uint64_t v;
        char size[32]; /* Slurm writes a bare number of MiB: the message says it with its unit */
        if (mem && parse_size_mib(mem, &v) == 0 && v) {
                s->mem = v;
                vc_size_format(v, size, sizeof(size));
                snprintf(mem_how, n, "asked: --mem=%s", size);
        } else if (per_cpu && !whole && parse_size_mib(per_cpu, &v) == 0 && v && v <= UINT64_MAX / cpus) {
                s->mem = v * cpus;
                vc_size_format(v, size, sizeof(size));
                snprintf(mem_how, n, "asked: --mem-per-cpu=%s × %llu CPUs", size, cpus);
        }
}

int vc_spank_local_fit(const char *canonical) {
        struct opts o = {.opt = dlsym(RTLD_DEFAULT, "opt"),
                         .get = (opt_get_fn)dlsym(RTLD_DEFAULT, "slurm_option_get"),
                         .isset = (opt_isset_fn)dlsym(RTLD_DEFAULT, "slurm_option_isset"),
                         .xfree = (xfree_fn)dlsym(RTLD_DEFAULT, "slurm_xfree_ptr")};
        if (!o.opt || !o.get || !o.isset || !o.xfree) {
                slurm_debug("--vcluster: this Slurm does not let a plugin read the job's options; "
                            "the node prologs check that the guests fit");
                return 0;
        }
        struct vc_spec spec;
        _cleanup_free_ char *err = NULL;
        if (vc_spec_parse(canonical, &spec, &err) < 0) {
                slurm_error("--vcluster: %s", err);
                return -1;
        }
        if (!spec.image[0])
                return 0; /* no guests: nothing to fit */
        char cpu_how[128] = "", mem_how[128] = "";
        struct vc_node_share s;
        share(&o, &s, cpu_how, mem_how, sizeof(cpu_how));
        if (vc_guests_fit(&spec, &s, &err) < 0) {
                slurm_error("--vcluster: %s", err);
                return -1;
        }
        return 0;
}
