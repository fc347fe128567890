#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "log.h"
#include "util.h"

static const char *const ctx_names[] = {
        [VC_HOOK_PROLOG_SLURMCTLD] = "prolog_slurmctld",
        [VC_HOOK_PROLOG_SLURMD] = "prolog_slurmd",
        [VC_HOOK_EPILOG_SLURMD] = "epilog_slurmd",
        [VC_HOOK_EPILOG_SLURMCTLD] = "epilog_slurmctld",
};

const char *vc_hook_spec(void) {
        const char *s = getenv("SPANK_VCLUSTER");
        return s && *s ? s : NULL;
}

int vc_hook_ctx_parse(const char *s, enum vc_hook_ctx *out) {
        for (size_t i = 0; s && i < ARRAY_SIZE(ctx_names); i++)
                if (streq(s, ctx_names[i])) {
                        *out = (enum vc_hook_ctx)i;
                        return 0;
                }
        return -EINVAL;
}

bool vc_hook_ctx_is_prolog(enum vc_hook_ctx ctx) {
        return ctx == VC_HOOK_PROLOG_SLURMCTLD || ctx == VC_HOOK_PROLOG_SLURMD;
}

static bool controller(enum vc_hook_ctx ctx) {
        return ctx == VC_HOOK_PROLOG_SLURMCTLD || ctx == VC_HOOK_EPILOG_SLURMCTLD;
}

/* A node name becomes a directory name under StateDir: no '/', no dot names. */
static bool safe_component(const char *s) {
        return *s && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..") && strlen(s) <= 255;
}

int vc_hook_env_read(struct vc_hook_env *e, char **err) {
        unsigned long long v;
        *e = (struct vc_hook_env){0};
        e->ctx_name = getenv("SLURM_SCRIPT_CONTEXT");
        if (vc_hook_ctx_parse(e->ctx_name, &e->ctx) < 0) {
                *err = xasprintf("SLURM_SCRIPT_CONTEXT='%s': not one of prolog_slurmctld, prolog_slurmd, "
                                 "epilog_slurmd, epilog_slurmctld (is this program run by Slurm?)",
                                 e->ctx_name ? e->ctx_name : "");
                return -EINVAL;
        }
        const char *s = getenv("SLURM_JOB_ID");
        if (parse_uint(s, 1, UINT32_MAX, &v) < 0) {
                *err = xasprintf("SLURM_JOB_ID='%s': not a job id", s ? s : "");
                return -EINVAL;
        }
        e->job = (int64_t)v;
        s = getenv("SLURM_JOB_UID");
        if (parse_uint(s, 0, UINT32_MAX - 1, &v) < 0) {
                *err = xasprintf("job %lld: SLURM_JOB_UID='%s': not a uid", (long long)e->job, s ? s : "");
                return -EINVAL;
        }
        e->uid = (int64_t)v;
        s = getenv("SLURM_JOB_RESTART_COUNT");
        e->restarts = s && parse_uint(s, 0, UINT32_MAX, &v) == 0 ? (unsigned)v : 0;
        e->spec = vc_hook_spec();
        if (controller(e->ctx)) {
                e->nodes = getenv("SLURM_JOB_NODELIST");
                return 0;
        }
        e->nodes = getenv("SLURM_NODELIST");
        e->node = getenv("SLURMD_NODENAME");
        if (!e->node || !safe_component(e->node)) {
                *err = xasprintf("job %lld: SLURMD_NODENAME='%s': not a node name", (long long)e->job,
                                 e->node ? e->node : "");
                return -EINVAL;
        }
        return 0;
}

void vc_hook_log_open(const char *ident) {
        const char *f = getenv("VCLUSTER_HOOK_LOG");
        if (f && *f) {
                int fd = open(f, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        (void)dup2(fd, STDERR_FILENO);
                        close(fd);
                        /* Fully buffered, so vc_log's flush after each message is one
                         * O_APPEND write: hooks running at once never mix their lines. */
                        (void)setvbuf(stderr, NULL, _IOFBF, BUFSIZ);
                        vc_log_open(ident, true);
                        return;
                }
        }
        vc_log_open(ident, false);
}

void vc_hook_path(void) {
        static const char *const sbin[] = {"/usr/local/sbin", "/usr/sbin", "/sbin"};
        const char *path = getenv("PATH");
        _cleanup_free_ char *p = xstrdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
        for (size_t i = 0; i < ARRAY_SIZE(sbin); i++) {
                _cleanup_free_ char *padded = xasprintf(":%s:", p), *dir = xasprintf(":%s:", sbin[i]);
                if (!strstr(padded, dir)) {
                        char *q = xasprintf("%s:%s", p, sbin[i]);
                        free(p);
                        p = q;
                }
        }
        (void)setenv("PATH", p, 1);
}
