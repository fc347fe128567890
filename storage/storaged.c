/* vcluster-storaged — the storage agent on a storage host that is not the
 * controller: creates, exports, unexports and removes a job's volumes when
 * vlanallocd asks (agent.h). */
#include <getopt.h>
#include <unistd.h>

#include "agent.h"
#include "conf.h"
#include "daemon.h"
#include "log.h"
#include "sock.h"
#include "util.h"

static void usage(FILE *f) {
        fprintf(f, "usage: vcluster-storaged -s STORAGE [-c FILE] [-f] [-v]\n"
                   "  -s, --storage NAME  the StorageName= line this host serves (listens on its Host:AgentPort)\n"
                   "  -c, --config FILE   configuration (default $VCLUSTER_CONF or " VC_CONF_DEFAULT ")\n"
                   "  -f, --foreground    stay in the foreground and log to stderr\n"
                   "  -v, --verbose       log debug messages\n"
                   "  -h, --help          this text\n"
                   "  -V, --version       the version\n");
}

int main(int argc, char **argv) {
        const char *conf_path = vc_conf_path(), *name = NULL;
        bool foreground = false, verbose = false;
        int opt;
        static const struct option longopts[] = {
                {"storage", required_argument, NULL, 's'}, {"config", required_argument, NULL, 'c'},
                {"foreground", no_argument, NULL, 'f'},    {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},          {"version", no_argument, NULL, 'V'},
                {0},
        };
        while ((opt = getopt_long(argc, argv, "s:c:fvhV", longopts, NULL)) != -1) {
                switch (opt) {
                case 'V': puts("vcluster-storaged " VC_VERSION); return 0;
                case 's': name = optarg; break;
                case 'c': conf_path = optarg; break;
                case 'f': foreground = true; break;
                case 'v': verbose = true; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 1;
                }
        }
        if (optind != argc || !name) {
                fprintf(stderr, optind != argc ? "vcluster-storaged: unexpected argument '%s'\n"
                                               : "vcluster-storaged: -s STORAGE is required%s\n",
                        optind != argc ? argv[optind] : "");
                usage(stderr);
                return 1;
        }
        _cleanup_free_ char *err = NULL;
        _cleanup_conf_ struct vc_conf *c = NULL;
        if (vc_daemon_start("vcluster-storaged", verbose, conf_path, &c) < 0)
                return 1;
        const struct vc_storage *st = vc_conf_storage(c, name);
        if (!st) {
                log_error("%s: no StorageName=%s line", c->path, name);
                return 1;
        }
        struct vc_agent ag;
        if (vc_agent_init(&ag, c, &err) < 0) {
                log_error("%s", err);
                return 1;
        }
        int lfd = vc_tcp_listen(st->host, st->agent_port, &err);
        if (lfd < 0) {
                log_error("storage '%s': %s", name, err);
                vc_agent_done(&ag);
                return 1;
        }
        if (vc_daemon_detach("vcluster-storaged", foreground) < 0)
                return 1;
        int sfd = vc_daemon_signalfd(true);
        if (sfd < 0)
                return 1;
        log_notice("ready: storage '%s' (%s, export %s) on %s:%s; only root on %s may ask", name, st->backend,
                   st->export, st->host, st->agent_port, c->controller_host);
        (void)vc_daemon_notify("READY=1");
        int r = vc_agent_serve(&ag, lfd, sfd);
        close(lfd);
        close(sfd);
        vc_agent_done(&ag);
        return r < 0 ? 1 : 0;
}
