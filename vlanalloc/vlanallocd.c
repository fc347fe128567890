/* vlanallocd — the transactional VLAN allocator, one per Slurm cluster. */
#include <errno.h>
#include <getopt.h>

#include "alloc.h"
#include "client.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "reaper.h"
#include "server.h"
#include "state.h"
#include "switch.h"
#include "util.h"

static void usage(FILE *f) {
        fprintf(f, "usage: vlanallocd [-c FILE] [-f] [-v]\n"
                   "  -c, --config FILE  configuration (default $VCLUSTER_CONF or " VC_CONF_DEFAULT ")\n"
                   "  -f, --foreground   stay in the foreground and log to stderr\n"
                   "  -v, --verbose      log debug messages\n"
                   "  -h, --help         this text\n"
                   "  -V, --version      the version\n");
}

int main(int argc, char **argv) {
        const char *conf_path = vc_conf_path();
        bool foreground = false, verbose = false;
        int opt;
        static const struct option longopts[] = {
                {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
                {"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},      {0},
        };
        while ((opt = getopt_long(argc, argv, "c:fvhV", longopts, NULL)) != -1) {
                switch (opt) {
                case 'V':
                        puts("vlanallocd " VC_VERSION);
                        return 0;
                case 'c':
                        conf_path = optarg;
                        break;
                case 'f':
                        foreground = true;
                        break;
                case 'v':
                        verbose = true;
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                default:
                        usage(stderr);
                        return 1;
                }
        }
        if (optind != argc) {
                fprintf(stderr, "vlanallocd: unexpected argument '%s'\n", argv[optind]);
                usage(stderr);
                return 1;
        }
        _cleanup_free_ char *err = NULL;
        struct vc_conf *c = NULL;
        if (vc_daemon_start("vlanallocd", verbose, conf_path, &c) < 0)
                return 1;
        if (vc_conf_check_ids(c, &err) < 0 || vc_switch_conf_check(c, &err) < 0) {
                log_error("%s", err);
                vc_conf_unref(c);
                return 1;
        }
        struct vc_state *st = NULL;
        if (vc_state_open(c->state_dir, &st, &err) < 0) {
                log_error("%s", err);
                vc_conf_unref(c);
                return 1;
        }
        struct vc_alloc a;
        vc_alloc_init(&a, st, c);
        int ufd, tfd;
        /* StateDir may change on reload; the socket to remove is the one bound now. */
        _cleanup_free_ char *sock_path = vc_socket_path(c);
        if (vc_server_listen(&a, &ufd, &tfd, &err) < 0) {
                log_error("%s", err);
                vc_alloc_done(&a);
                vc_state_close(st);
                return 1;
        }
        if (vc_daemon_detach("vlanallocd", foreground) < 0)
                return 1;
        /* Signals arrive through a signalfd in the main loop; no thread sees them. */
        int sfd = vc_daemon_signalfd(true);
        if (sfd < 0)
                return 1;
        if (vc_alloc_recover(&a) < 0)
                log_warning("recovery left work for the reaper");
        if (vc_reaper_start(&a) < 0) {
                log_error("cannot start the reaper");
                return 1;
        }
        log_notice("ready: %s, ControllerAddr %s:%s", c->state_dir, c->controller_host, c->controller_port);
        (void)vc_daemon_notify("READY=1"); /* recovered and answering: systemd may start slurmctld */
        int r = vc_server_serve(&a, ufd, tfd, sfd, conf_path);
        vc_reaper_stop();
        close(ufd);
        close(tfd);
        close(sfd);
        (void)unlink(sock_path);
        vc_alloc_done(&a);
        vc_state_close(st);
        return r < 0 ? 1 : 0;
}
