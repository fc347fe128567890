/* ssh.c — `vcluster ssh [-j JOB] [GUEST] [-- CMD…]`: OpenSSH to GUEST (the
 * frontend by default) as the job's user, with the job's key, the
 * cluster's known_hosts (strict checking) and `vcluster proxy` as the
 * ProxyCommand; ssh is exec'd, so CMD's exit status is ours. */
#include <errno.h>
#include <getopt.h>

#include "commands.h"
#include "log.h"
#include "util.h"

int vc_cmd_ssh(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        const char *job = NULL;
        int r = vc_cli_job_opt(cli, "ssh", argc, argv, &job);
        if (r)
                return r;
        /* "ssh -- CMD": no GUEST; "ssh GUEST [--] CMD" */
        const char *guest = NULL;
        int at = optind;
        if (!streq(argv[at - 1], "--") && at < argc) {
                guest = argv[at++];
                if (at < argc && streq(argv[at], "--"))
                        at++;
        }
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        r = vc_job_access_open(c, conf_path, job, true, &a);
        if (r)
                return r;
        if (!guest)
                guest = a.guests[0].name; /* the frontend: the cluster's first guest */
        else if (vc_job_access_guest(&a, guest) < 0)
                return VC_EXIT_USAGE;
        _cleanup_free_ char *proxy = vc_job_access_proxy(&a), *user = NULL;
        struct vc_access_ssh s;
        if ((r = vc_job_access_ssh(&a, proxy, &s, &user)))
                return r;
        char **v = vc_access_ssh_argv(&s, guest, argv + at, (size_t)(argc - at));
        if (a.remote) { /* the fetched key is removed when ssh is done */
                r = vc_run_wait(v);
                strv_free(v);
                return r;
        }
        fflush(stdout);
        execvp(v[0], v);
        log_error("cannot run ssh: %s", strerror(errno));
        strv_free(v);
        return VC_EXIT_UNREACHABLE;
}
