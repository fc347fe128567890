/* console.c — `vcluster console [-j JOB] GUEST [-f]`: GUEST's console log,
 * which the node gave the job's user in its access dir (user.console);
 * -f follows it as it grows, until the guest's log is removed (the job
 * ended) or the reader is interrupted. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "log.h"
#include "util.h"

#define FOLLOW_MS 500

/* copy_out: what fd holds from where it is to stdout; 0 or -errno. */
static int copy_out(int fd) {
        char buf[65536];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
                        return -errno;
        return n < 0 ? -errno : 0;
}

int vc_cmd_console(const struct vc_cli *cli, const struct vc_conf *c, const char *conf_path, int argc, char **argv) {
        static const struct option longopts[] = {
                {"job", required_argument, NULL, 'j'}, {"follow", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
        const char *job = NULL;
        bool follow = false;
        int o;
        optind = 1;
        opterr = 0;
        while ((o = getopt_long(argc, argv, "j:f", longopts, NULL)) != -1) {
                if (o == 'j')
                        job = optarg;
                else if (o == 'f')
                        follow = true;
                else
                        return vc_cli_usage_error(cli, "console: option '%s' is not valid here", argv[optind - 1]);
        }
        if (argc - optind != 1)
                return vc_cli_usage_error(cli, "console: expected GUEST, got %d arguments", argc - optind);
        const char *guest = argv[optind];
        _cleanup_(vc_job_access_clear) struct vc_job_access a;
        int r = vc_job_access_open(c, conf_path, job, true, &a);
        if (r)
                return r;
        int at = vc_job_access_guest(&a, guest);
        if (at < 0)
                return VC_EXIT_USAGE;
        if (a.remote || !streq(a.guests[at].node, a.node)) {
                /* its log is on the node that runs it: read there, by a step of the job */
                free(a.node);
                a.node = xstrdup(a.guests[at].node);
                _cleanup_free_ char *jid = xasprintf("%lld", a.job);
                char *words[] = {"console", "-j", jid, (char *)guest, follow ? "-f" : NULL, NULL};
                _cleanup_strv_ char **v = vc_remote_argv(&a, words);
                return vc_run_wait(v);
        }
        _cleanup_free_ char *path = xasprintf("%s/%s.console", a.dir, guest);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT) {
                log_error("job %lld: %s does not run on %s: its console is on the node that runs it", a.job, guest,
                          a.node);
                return VC_EXIT_UNREACHABLE;
        }
        if (fd < 0) {
                log_error("job %lld: %s: %s", a.job, path, strerror(errno));
                return VC_EXIT_UNREACHABLE;
        }
        for (;;) {
                if ((r = copy_out(fd)) < 0) {
                        log_error("job %lld: %s's console: %s", a.job, guest, strerror(-r));
                        return VC_EXIT_UNREACHABLE;
                }
                struct stat st;
                if (!follow || fstat(fd, &st) < 0 || st.st_nlink == 0)
                        return 0;
                struct timespec ts = {.tv_sec = 0, .tv_nsec = FOLLOW_MS * 1000000L};
                nanosleep(&ts, NULL);
        }
}
