#include "slurmalloc.h"

#include <errno.h>
#include <strings.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "jobfit.h"
#include "util.h"

/* node_mem: the job's memory on a node of ncpus CPUs, in bytes; 0 when unbounded. */
static uint64_t node_mem(uint64_t pn_min_memory, unsigned ncpus) {
        if (pn_min_memory == NO_VAL64 || pn_min_memory == INFINITE64 || pn_min_memory == 0)
                return 0;
        uint64_t per = pn_min_memory & ~MEM_PER_CPU;
        uint64_t mib = pn_min_memory & MEM_PER_CPU ? per * ncpus : pn_min_memory;
        /* an "unlimited" that is not INFINITE64 bounds nothing either */
        if ((pn_min_memory & MEM_PER_CPU && ncpus && per > UINT64_MAX / ncpus) || mib > (UINT64_MAX >> 20))
                return 0;
        return mib << 20;
}

static int one_node(const slurm_job_info_t *j, const char *node, json_t *out, char **err) {
        /* Slurm writes at most this many characters of a CPU id list here */
        char cpus[1024] = "";
        int n = slurm_job_cpus_allocated_on_node(j->job_resrcs, node);
        if (n <= 0 || slurm_job_cpus_allocated_str_on_node(cpus, sizeof(cpus), j->job_resrcs, node) != 0 || !*cpus) {
                *err = xasprintf("slurmctld: job %u has no CPUs on node %s", j->job_id, node);
                return -ENOENT;
        }
        json_object_set_new(out, node, json_pack("{s:s, s:i, s:I}", "cpus", cpus, "ncpus", n, "mem",
                                                 (json_int_t)node_mem(j->pn_min_memory, (unsigned)n)));
        return 0;
}

int vc_slurm_job_allocs(int64_t job, const char *node, json_t **out, char **err) {
        *out = NULL;
        job_info_msg_t *msg = NULL;
        if (slurm_load_job(&msg, (uint32_t)job, SHOW_DETAIL) != SLURM_SUCCESS) {
                int e = slurm_get_errno();
                *err = xasprintf("slurmctld: loading job %lld: %s", (long long)job, slurm_strerror(e));
                return e == ESLURM_INVALID_JOB_ID ? -ENOENT : -EIO;
        }
        int r = 0;
        json_t *o = json_object();
        const slurm_job_info_t *j = msg->record_count ? &msg->job_array[0] : NULL;
        if (!j) {
                *err = xasprintf("slurmctld does not know job %lld", (long long)job);
                r = -ENOENT;
        } else if (!j->job_resrcs || !j->nodes) {
                *err = xasprintf("slurmctld: job %lld has no resources allocated yet", (long long)job);
                r = -EAGAIN;
        } else if (node) {
                r = one_node(j, node, o, err);
        } else {
                hostlist_t hl = slurm_hostlist_create(j->nodes);
                char *h;
                while (r == 0 && hl && (h = slurm_hostlist_shift(hl))) {
                        r = one_node(j, h, o, err);
                        free(h);
                }
                if (hl)
                        slurm_hostlist_destroy(hl);
        }
        slurm_free_job_info_msg(msg);
        if (r < 0)
                json_decref(o);
        else
                *out = o;
        return r;
}

int vc_slurm_guests_fit(int64_t job, const char *node, const struct vc_spec *spec, json_t **allocs, char **err) {
        int r = vc_slurm_job_allocs(job, node, allocs, err);
        if (r < 0)
                return r;
        const char *name;
        json_t *a;
        json_object_foreach(*allocs, name, a) {
                const char *cpus = json_string_value(json_object_get(a, "cpus"));
                _cleanup_free_ char *cpus_how = xasprintf("allocated on %s: CPU ids %s", name, cpus ? cpus : "?");
                _cleanup_free_ char *mem_how = xasprintf("allocated on %s", name);
                struct vc_node_share share = {.cpus = (unsigned)json_integer_value(json_object_get(a, "ncpus")),
                                              .mem = (uint64_t)json_integer_value(json_object_get(a, "mem")),
                                              .cpus_how = cpus_how, .mem_how = mem_how};
                if ((r = vc_guests_fit(spec, &share, err)) < 0)
                        return r;
        }
        return 0;
}

bool vc_slurm_cgroup_bounds_memory(void) {
        slurm_conf_t *conf = NULL;
        if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS || !conf)
                return false;
        bool yes = (conf->prolog_flags & PROLOG_FLAG_CONTAIN) && conf->proctrack_type &&
                   streq(conf->proctrack_type, "proctrack/cgroup") && conf->task_plugin &&
                   strstr(conf->task_plugin, "task/cgroup");
        bool ram = false;
        if (yes && conf->cgroup_conf) {
                /* the pairs are opaque: read them as `scontrol show config` prints them, "Key = value" */
                char *text = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&text, &len);
                if (f) {
                        slurm_print_key_pairs(f, conf->cgroup_conf, "cgroup.conf");
                        fclose(f);
                }
                for (char *line = text; line && *line;) {
                        char *end = strchr(line, '\n');
                        if (end)
                                *end = 0;
                        char key[64], value[64];
                        if (sscanf(line, " %63s = %63s", key, value) == 2 && !strcasecmp(key, "ConstrainRAMSpace"))
                                ram = !strcasecmp(value, "yes");
                        line = end ? end + 1 : NULL;
                }
                free(text);
        }
        slurm_free_ctl_conf(conf);
        return yes && ram;
}
