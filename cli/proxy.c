/* proxy.c — `vcluster proxy [-j JOB] GUEST`: stdin/stdout ⇄ GUEST's sshd
 * through the job's access path on this node (lib/access.h), for ssh's
 * ProxyCommand. Only the job's user may open the path's socket. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>

#include "commands.h"
#include "log.h"
#include "relay.h"
#include "sock.h"
#include "util.h"

int vc_cmd_proxy(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        const char *job = NULL;
        int r = vc_cli_job_opt(cli, "proxy", argc, argv, &job);
        if (r)
                return r;
        if (argc - optind != 1)
                return vc_cli_usage_error(cli, "proxy: expected GUEST, got %d arguments", argc - optind);
        const char *guest = argv[optind];
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        r = vc_job_access_open(c, conf_path, job, false, &a);
        if (r)
                return r;
        if (!a.remote && vc_job_access_guest(&a, guest) < 0)
                return VC_EXIT_USAGE;
        if (a.remote) {
                /* ssh hangs up its ProxyCommand when the session ends: srun
                 * would cancel the step and say so; it ends by itself once the
                 * connection is closed, so let it */
                signal(SIGHUP, SIG_IGN);
                _cleanup_free_ char *jid = xasprintf("%lld", a.job);
                char *words[] = {"proxy", "-j", jid, (char *)guest, NULL};
                _cleanup_strv_ char **v = vc_remote_argv(&a, words);
                return vc_run_wait(v);
        }
        _cleanup_free_ char *path = vc_access_socket(a.dir, guest);
        _cleanup_close_ int fd = path ? vc_unix_connect(path) : -ENAMETOOLONG;
        if (fd < 0) {
                log_error("job %lld: cannot reach %s through %s: %s%s", a.job, guest, path ? path : a.dir,
                          strerror(-fd), fd == -EACCES ? " (only the job's user may)" : "");
                return VC_EXIT_UNREACHABLE;
        }
        signal(SIGPIPE, SIG_IGN);
        r = vc_relay(STDIN_FILENO, STDOUT_FILENO, fd);
        if (r < 0) {
                log_error("job %lld: %s: %s", a.job, guest, strerror(-r));
                return VC_EXIT_UNREACHABLE;
        }
        return 0;
}
