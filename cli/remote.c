/* remote.c — a job's access path reached from a node that is not one of
 * the job's (a login node), through Slurm itself (commands.h): the caller
 * must own the running job; every byte then goes through a job step,
 * `srun --jobid=JOB --overlap -N1 -n1 -w NODE --quiet --unbuffered vcluster …`
 * (--unbuffered: slurmstepd would otherwise hold the task's output until a
 * newline, and ssh's binary stream has none to wait for)
 * on the job's first node, so Slurm's own checks (the step runs as the job's
 * user, in its allocation) stand guard; the key is read the same way into
 * a private directory that lives as long as the command. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <slurm/slurm.h>

#include "commands.h"
#include "hostlist.h"
#include "log.h"
#include "run.h"
#include "slurmjob.h"
#include "util.h"

#define STEP_TIMEOUT_MS 120000

/* job_node: the caller's running job's first node (malloc'd), or NULL after saying why. */
static char *job_node(long long job) {
        if (!vc_slurm_available()) {
                log_error("job %lld: no access path on this host and no Slurm configuration to reach the job's nodes",
                          job);
                return NULL;
        }
        job_info_msg_t *msg = NULL;
        if (slurm_load_job(&msg, (uint32_t)job, SHOW_ALL) != SLURM_SUCCESS || msg->record_count == 0) {
                log_error("job %lld is not running (Slurm does not know it: %s)", job, slurm_strerror(slurm_get_errno()));
                if (msg)
                        slurm_free_job_info_msg(msg);
                return NULL;
        }
        const slurm_job_info_t *j = &msg->job_array[0];
        uint32_t base = j->job_state & JOB_STATE_BASE;
        char *node = NULL;
        if (j->user_id != getuid())
                log_error("job %lld is not yours: only its user reaches its guests", job);
        else if (base != JOB_RUNNING)
                log_error("job %lld is not running (%s): its guests are gone or not up yet", job,
                          vc_slurm_state_name(base));
        else {
                char **nodes = NULL;
                _cleanup_free_ char *err = NULL;
                if (j->nodes && vc_hostlist_expand(j->nodes, &nodes, &err) == 0 && nodes && nodes[0])
                        node = xstrdup(nodes[0]);
                else
                        log_error("job %lld: its nodes (%s): %s", job, j->nodes ? j->nodes : "none",
                                  err ? err : "none");
                strv_free(nodes);
        }
        slurm_free_job_info_msg(msg);
        return node;
}

char **vc_remote_argv(const struct vc_job_access *a, char *const *words) {
        char **v = NULL;
        _cleanup_free_ char *jobid = xasprintf("--jobid=%lld", a->job), *w = xasprintf("-w%s", a->node);
        const char *const head[] = {"srun", jobid, "--overlap", "-N1", "-n1", w, "--quiet", "--unbuffered",
                                    a->self, "-c", a->conf_path};
        for (size_t i = 0; i < ARRAY_SIZE(head); i++)
                strv_push(&v, head[i]);
        for (; words && *words; words++)
                strv_push(&v, *words);
        return v;
}

/* step: words run as a step on the job's node; its stdout (malloc'd) or NULL after saying why. */
static char *step(const struct vc_job_access *a, char *const *words, const char *what) {
        _cleanup_strv_ char **v = vc_remote_argv(a, words);
        struct vc_run_result res = {0};
        int r = vc_run((const char *const *)v, NULL, STEP_TIMEOUT_MS, &res);
        char *out = NULL;
        if (r == 0 && res.status == 0)
                out = TAKE_PTR(res.out);
        else
                log_error("job %lld: %s on %s through srun: %s", a->job, what, a->node,
                          r < 0 ? strerror(-r) : res.err && *res.err ? res.err : "failed");
        vc_run_result_free(&res);
        return out;
}

/* put: text into dir/name, 0600; 0 or -1 after saying why. */
static int put(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = xasprintf("%s/%s", dir, name);
        _cleanup_close_ int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || write_all(fd, text, strlen(text)) < 0) {
                log_error("%s: %s", p, strerror(errno));
                return -1;
        }
        return 0;
}

int vc_remote_route(struct vc_job_access *a) {
        free(a->node);
        if (!(a->node = job_node(a->job)))
                return VC_EXIT_UNREACHABLE;
        a->remote = true;
        return 0;
}

int vc_remote_open(struct vc_job_access *a) {
        int r = vc_remote_route(a);
        if (r)
                return r;
        _cleanup_free_ char *job = xasprintf("%lld", a->job);
        char *words[] = {"access-info", job, NULL};
        _cleanup_(secret_freep) char *info = step(a, words, "the guest list and the job's key");
        if (!info)
                return VC_EXIT_UNREACHABLE;
        /* access-info: the guests file, the private key, the known_hosts */
        static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----\n", end[] = "-----END OPENSSH PRIVATE KEY-----\n";
        char *k = strstr(info, begin), *e = k ? strstr(k, end) : NULL;
        if (!e) {
                log_error("job %lld: no key came from %s", a->job, a->node);
                return VC_EXIT_UNREACHABLE;
        }
        e += strlen(end);
        _cleanup_free_ char *kh = xstrdup(e), *err = NULL;
        *e = 0;
        _cleanup_(secret_freep) char *key = xstrdup(k);
        *k = 0;
        if (vc_access_guests_parse(info, &a->guests, &a->n, &err) < 0) {
                log_error("job %lld: the guest list from %s: %s", a->job, a->node, err);
                return VC_EXIT_UNREACHABLE;
        }
        const char *base = getenv("XDG_RUNTIME_DIR");
        _cleanup_free_ char *tmpl = xasprintf("%s/vcluster-%lld-XXXXXX", base && *base ? base : "/tmp", a->job);
        if (!mkdtemp(tmpl)) {
                log_error("%s: %s", tmpl, strerror(errno));
                return VC_EXIT_UNREACHABLE;
        }
        a->tmp = TAKE_PTR(tmpl);
        free(a->key);
        free(a->known_hosts);
        a->key = xasprintf("%s/id_ed25519", a->tmp);
        a->known_hosts = xasprintf("%s/known_hosts", a->tmp);
        return put(a->tmp, "id_ed25519", key) < 0 || put(a->tmp, "known_hosts", kh) < 0 ? VC_EXIT_UNREACHABLE : 0;
}

void vc_remote_clear(struct vc_job_access *a) {
        if (!a->tmp)
                return;
        const char *const names[] = {"id_ed25519", "known_hosts"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                _cleanup_free_ char *p = xasprintf("%s/%s", a->tmp, names[i]);
                (void)unlink(p);
        }
        (void)rmdir(a->tmp);
        free(a->tmp);
        a->tmp = NULL;
}
