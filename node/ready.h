/* ready.h — waiting for guests to say they are up.
 *
 * A guest is up when it writes the line "up NAME" on its virtio-serial port
 * org.vcluster.agent, whose host end is a unix socket (domxml.h). Until the
 * host connects, the guest's write blocks, so the line is never lost; we
 * connect, read it, and disconnect (the port then serves others, e.g. an
 * admin's guestexec). While waiting we also watch the domains: one that
 * stops running fails at once, with the end of its console log, instead of
 * waiting out the timeout.
 */
#ifndef VC_READY_H
#define VC_READY_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

struct vc_ready_guest {
        const char *name, *domain, *agent, *console; /* borrowed */
        bool up;
        int fd;        /* internal: -1 when not connected */
        char line[128];
        size_t len;
};

/* vc_guests_wait_up: wait until every guest is up or timeout_s passes;
 * on_up(arg, name) is called as each comes up. 0, or -ETIMEDOUT / -EIO
 * (a guest stopped) with *err naming the guest and quoting its console. */
int vc_guests_wait_up(virConnectPtr conn, struct vc_ready_guest *g, size_t n, unsigned timeout_s,
                      void (*on_up)(void *arg, const char *name), void *arg, char **err);

#endif
