/* nlbridge — the node's bridge host network (node/bridge.c) from a shell,
 * for tests. It acts in the network namespace it runs in.
 *
 *   nlbridge [-v] up TRUNK VLAN BRIDGE     vc_bridge_vlan_up
 *   nlbridge [-v] down TRUNK VLAN BRIDGE   vc_bridge_vlan_down
 *   nlbridge [-v] create-bridge BR         vc_bridge_create
 *   nlbridge [-v] enslave LINK BR          vc_link_enslave
 *   nlbridge [-v] delete LINK              vc_link_delete
 *   nlbridge [-v] ports BR                 vc_bridge_ports, one name a line
 *
 * Exit 0 on success, 1 with the error on stderr, 2 on bad usage. -v shows
 * the module's debug messages.
 */
#include <errno.h>
#include <limits.h>

#include "bridge.h"
#include "log.h"
#include "util.h"

#define EXIT_FAILED 1
#define EXIT_USAGE 2

static int usage(const char *why) {
        if (why)
                fprintf(stderr, "nlbridge: %s\n", why);
        fputs("usage: nlbridge [-v] up TRUNK VLAN BRIDGE | down TRUNK VLAN BRIDGE | create-bridge BR |\n"
              "                     enslave LINK BR | delete LINK | ports BR\n",
              stderr);
        return EXIT_USAGE;
}

static int failed(int r, const char *err) {
        fprintf(stderr, "nlbridge: %s\n", err ? err : strerror(-r));
        return EXIT_FAILED;
}

int main(int argc, char **argv) {
        vc_log_open("nlbridge", true);
        int i = 1;
        if (i < argc && streq(argv[i], "-v")) {
                vc_log_set_level(LOG_DEBUG);
                i++;
        }
        if (i >= argc)
                return usage("no command");
        const char *cmd = argv[i++];
        int n = argc - i;
        char **a = argv + i;
        _cleanup_free_ char *err = NULL;
        int r;

        if (streq(cmd, "up") || streq(cmd, "down")) {
                if (n != 3)
                        return usage("up/down take TRUNK VLAN BRIDGE");
                /* any integer: the range is the module's to check */
                unsigned long long v;
                if (parse_uint(a[1], 0, INT_MAX, &v) < 0)
                        return usage("VLAN must be a number");
                r = streq(cmd, "up") ? vc_bridge_vlan_up(a[0], (int)v, a[2], &err)
                                     : vc_bridge_vlan_down(a[0], (int)v, a[2], &err);
        } else if (streq(cmd, "create-bridge")) {
                if (n != 1)
                        return usage("create-bridge takes BR");
                r = vc_bridge_create(a[0], &err);
        } else if (streq(cmd, "enslave")) {
                if (n != 2)
                        return usage("enslave takes LINK BR");
                r = vc_link_enslave(a[0], a[1], &err);
        } else if (streq(cmd, "delete")) {
                if (n != 1)
                        return usage("delete takes LINK");
                r = vc_link_delete(a[0], &err);
        } else if (streq(cmd, "ports")) {
                if (n != 1)
                        return usage("ports takes BR");
                _cleanup_strv_ char **ports = NULL;
                r = vc_bridge_ports(a[0], &ports, &err);
                if (r >= 0)
                        for (char **p = ports; *p; p++)
                                puts(*p);
        } else {
                return usage("unknown command");
        }
        return r < 0 ? failed(r, err) : 0;
}
