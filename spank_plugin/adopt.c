/* adopt.c — slurmstepd, the batch step: the QEMU processes of the job's
 * guests on this node join the job's extern step, as pam_slurm_adopt
 * adopts a user's ssh session. libvirtd started them, so otherwise Slurm
 * knows nothing of them. Once adopted, slurmstepd accounts them to the job
 * (JOBID.extern in sstat and sacct, with a JobAcctGatherType plugin), and
 * with proctrack/cgroup and task/cgroup moves them into the job's cgroups,
 * where the job's CPU and memory limits hold and scancel reaches them.
 *
 * It needs PrologFlags=Contain (the extern step); without it there is no
 * step to join and the guests stay outside Slurm's accounting. The calls
 * are libslurmfull's stepd_connect and stepd_add_extern_pid (the ones
 * pam_slurm_adopt makes), found at run time in slurmstepd, which links
 * libslurmfull. Only the batch step adopts, so each QEMU is added once;
 * a salloc job has no batch step and its guests are not adopted.
 *
 * A guest's QEMU is the process whose argv has "-name guest=DOMAIN,…"
 * (libvirt's) with DOMAIN its libvirt domain from the node's plan. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <slurm/slurm.h>
#include <stdbool.h>

#include "plugin.h"
#include "util.h"

typedef int (*stepd_connect_fn)(const char *dir, const char *node, slurm_step_id_t *step, uint16_t *proto);
typedef int (*stepd_add_fn)(int fd, uint16_t proto, pid_t pid);

/* The longest argv we read of a process: QEMU's command line under libvirt is a few KiB. */
#define CMDLINE_MAX 65536

/* names_domain: whether a NUL-separated argv holds "-name" then "guest=DOMAIN[,…]". */
static bool names_domain(const char *argv, size_t len, const char *domain) {
        size_t dl = strlen(domain);
        for (const char *a = argv; a < argv + len; a += strlen(a) + 1) {
                if (!streq(a, "-name"))
                        continue;
                const char *v = a + strlen(a) + 1;
                if (v >= argv + len)
                        return false;
                return !strncmp(v, "guest=", 6) && !strncmp(v + 6, domain, dl) && (v[6 + dl] == ',' || !v[6 + dl]);
        }
        return false;
}

static void dir_closep(DIR **d) {
        if (*d)
                closedir(*d);
}

/* qemu_pid: the pid of domain's QEMU, or 0 when none runs. */
static pid_t qemu_pid(const char *domain) {
        _cleanup_(dir_closep) DIR *d = opendir("/proc");
        if (!d)
                return 0;
        _cleanup_free_ char *buf = xmalloc(CMDLINE_MAX);
        struct dirent *e;
        while ((e = readdir(d))) {
                unsigned long long pid;
                if (parse_uint(e->d_name, 1, INT32_MAX, &pid) < 0)
                        continue;
                char path[64];
                snprintf(path, sizeof(path), "/proc/%llu/cmdline", pid);
                _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
                ssize_t n = fd < 0 ? -1 : read(fd, buf, CMDLINE_MAX - 1);
                if (n <= 0)
                        continue;
                buf[n] = 0;
                if (names_domain(buf, (size_t)n, domain))
                        return (pid_t)pid;
        }
        return 0;
}

void vc_spank_adopt(spank_t sp, uint32_t job, const char *node, const struct vc_nodeplan *plan) {
        uint32_t step;
        if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS || step != SLURM_BATCH_SCRIPT)
                return;
        if (plan->n_guests == 0)
                return;
        stepd_connect_fn conn = (stepd_connect_fn)dlsym(RTLD_DEFAULT, "stepd_connect");
        stepd_add_fn add = (stepd_add_fn)dlsym(RTLD_DEFAULT, "stepd_add_extern_pid");
        if (!conn || !add) {
                slurm_info("vcluster: job %" PRIu32 ": this slurmstepd offers no stepd_add_extern_pid: "
                           "the guests' QEMU is not accounted to the job", job);
                return;
        }
        slurm_step_id_t ext = {.job_id = job, .step_het_comp = NO_VAL, .step_id = SLURM_EXTERN_CONT};
        uint16_t proto = 0;
        _cleanup_close_ int fd = conn(NULL, node, &ext, &proto);
        if (fd < 0) {
                slurm_info("vcluster: job %" PRIu32 " on %s has no extern step (PrologFlags=Contain): "
                           "the guests' QEMU is not accounted to the job", job, node);
                return;
        }
        for (size_t i = 0; i < plan->n_guests; i++) {
                const char *domain = plan->guests[i].domain;
                pid_t pid = qemu_pid(domain);
                if (!pid) {
                        slurm_error("vcluster: job %" PRIu32 " on %s: no QEMU runs domain %s: not accounted", job,
                                    node, domain);
                        continue;
                }
                if (add(fd, proto, pid) != 0)
                        slurm_error("vcluster: job %" PRIu32 " on %s: the extern step refused QEMU %d of %s", job,
                                    node, (int)pid, domain);
                else
                        slurm_info("vcluster: job %" PRIu32 " on %s: QEMU %d of %s joined the job's extern step",
                                   job, node, (int)pid, domain);
        }
}
