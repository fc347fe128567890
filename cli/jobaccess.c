/* jobaccess.c — a job's access path as `vcluster ssh` and its kin find it
 * (commands.h): on one of the job's nodes, StateDir/access/NODE/JOB, NODE
 * being SLURMD_NODENAME inside a job step (several slurmd may share a
 * host) or else the host name. */
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "commands.h"
#include "log.h"
#include "util.h"

#define GUESTS_MAX_BYTES (1u << 20)

static char *this_node(void) {
        const char *n = getenv("SLURMD_NODENAME");
        if (n && *n)
                return xstrdup(n);
        char host[256] = "";
        if (gethostname(host, sizeof(host) - 1) < 0)
                return xstrdup("localhost");
        host[strcspn(host, ".")] = 0; /* Slurm's node names are short */
        return xstrdup(host);
}

static char *self_path(void) {
        char buf[4096];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
        if (n <= 0)
                return xstrdup("vcluster");
        buf[n] = 0;
        return xstrdup(buf);
}

int vc_job_access_open(const struct vc_conf *c, const char *conf_path, const char *job_arg, bool fetch,
                       struct vc_job_access *a) {
        *a = (struct vc_job_access){.conf_path = conf_path};
        const char *from_env = job_arg ? NULL : getenv("SLURM_JOB_ID");
        const char *text = job_arg ? job_arg : from_env;
        unsigned long long v;
        if (!text) {
                log_error("no job given (-j JOB) and not inside one (no SLURM_JOB_ID)");
                return VC_EXIT_USAGE;
        }
        if (parse_uint(text, 1, UINT32_MAX, &v) < 0) {
                log_error("job '%s'%s: must be a whole number from 1 to %u", text, from_env ? " (SLURM_JOB_ID)" : "",
                          UINT32_MAX);
                return VC_EXIT_USAGE;
        }
        a->job = (long long)v;
        a->node = this_node();
        a->self = self_path();
        a->dir = vc_access_dir(c->state_dir, a->node, a->job);
        a->keys = xasprintf("%s/keys/%s/%lld", c->state_dir, a->node, a->job);
        a->key = xasprintf("%s/id_ed25519", a->keys);
        a->known_hosts = xasprintf("%s/known_hosts", a->keys);
        _cleanup_free_ char *list = xasprintf("%s/" VC_ACCESS_GUESTS, a->dir), *text_list = NULL, *err = NULL;
        size_t len;
        int r = read_file(list, &text_list, &len, GUESTS_MAX_BYTES);
        if (r == -EACCES) {
                log_error("job %lld: its access path on %s is not yours (only the job's user reaches its guests)",
                          a->job, a->node);
                return VC_EXIT_UNREACHABLE;
        }
        if (r == -ENOENT && !getenv("SLURMD_NODENAME")) /* not in a step of a node of the job: through Slurm */
                return fetch ? vc_remote_open(a) : vc_remote_route(a);
        if (r == -ENOENT) {
                log_error("job %lld: no access path on %s: not one of the job's running nodes, or the job has no "
                          "cloud-init guests (or has ended)", a->job, a->node);
                return VC_EXIT_UNREACHABLE;
        }
        if (r < 0) {
                log_error("job %lld: %s: %s", a->job, list, strerror(-r));
                return VC_EXIT_UNREACHABLE;
        }
        if (vc_access_guests_parse(text_list, &a->guests, &a->n, &err) < 0) {
                log_error("job %lld: %s: %s", a->job, list, err);
                return VC_EXIT_UNREACHABLE;
        }
        return 0;
}

void vc_job_access_clear(struct vc_job_access *a) {
        vc_remote_clear(a);
        vc_access_guests_free(a->guests, a->n);
        free(a->node);
        free(a->dir);
        free(a->keys);
        free(a->key);
        free(a->known_hosts);
        free(a->self);
        *a = (struct vc_job_access){0};
}

int vc_job_access_guest(const struct vc_job_access *a, const char *guest) {
        int i = vc_access_guest_find(a->guests, a->n, guest);
        if (i < 0) {
                _cleanup_free_ char *names = xstrdup("");
                for (size_t k = 0; k < a->n; k++) {
                        char *t = xasprintf("%s%s%s", names, k ? ", " : "", a->guests[k].name);
                        free(names);
                        names = t;
                }
                log_error("job %lld has no guest '%s' (its guests: %s)", a->job, guest, names);
        }
        return i;
}

char *vc_job_access_proxy(const struct vc_job_access *a) {
        _cleanup_free_ char *job = xasprintf("%lld", a->job);
        char *words[] = {"proxy", "-j", job, "%h", NULL};
        char **v = NULL;
        /* from a login node too: that proxy goes through srun itself (proxy.c) */
        const char *const head[] = {a->self, "-c", a->conf_path};
        for (size_t i = 0; i < ARRAY_SIZE(head); i++)
                strv_push(&v, head[i]);
        for (char **w = words; *w; w++)
                strv_push(&v, *w);
        char *line = xstrdup("");
        for (char **w = v; *w; w++) {
                _cleanup_free_ char *q = vc_sh_quote(*w);
                char *t = xasprintf("%s%s%s", line, *line ? " " : "", q);
                free(line);
                line = t;
        }
        strv_free(v);
        return line;
}

int vc_run_wait(char *const *argv) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                execvp(argv[0], argv);
                fprintf(stderr, "vcluster: cannot run %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        if (pid < 0) {
                log_error("fork: %s", strerror(errno));
                return VC_EXIT_UNREACHABLE;
        }
        /* the child is the foreground: ^C is for it (ssh passes it on) */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        int st;
        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return VC_EXIT_UNREACHABLE;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int vc_job_access_ssh(const struct vc_job_access *a, const char *proxy, struct vc_access_ssh *s, char **user) {
        struct passwd *pw = getpwuid(getuid());
        if (!pw) {
                log_error("uid %u has no user name on this host", (unsigned)getuid());
                return VC_EXIT_USAGE;
        }
        *user = xstrdup(pw->pw_name);
        *s = (struct vc_access_ssh){.user = *user, .key = a->key, .known_hosts = a->known_hosts, .proxy = proxy};
        return 0;
}

int vc_cli_job_opt(const struct vc_cli *cli, const char *cmd, int argc, char **argv, const char **job) {
        static const struct option longopts[] = {{"job", required_argument, NULL, 'j'}, {NULL, 0, NULL, 0}};
        int o;
        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "+j:", longopts, NULL)) != -1) {
                if (o != 'j')
                        return vc_cli_usage_error(cli, "%s: option '%s' is not valid here", cmd, argv[optind - 1]);
                *job = optarg;
        }
        return 0;
}
