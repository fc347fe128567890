/* agent.h — the storage agent's front door (vcluster-storaged): one TCP
 * listener on the storage host, one request per connection; connections
 * are read and authenticated side by side under gate.h's limits and
 * deadlines, so a slow or idle peer delays nobody, and the operations run
 * one at a time (the tools it drives serialize anyway). Only the controller may
 * ask: the munge credential must be root's and must have been encoded on
 * the controller's host (munge's origin address is one of ControllerAddr's
 * addresses), so root on a compute node cannot create or export volumes.
 * Requests: {op:"ping"} and {op:"storage", do:OP, args:{…}, secret?:CRED}
 * (ops.h); the reply is {ok:true} or an error naming the fault.
 */
#ifndef VC_STORAGE_AGENT_H
#define VC_STORAGE_AGENT_H

#include <netinet/in.h>
#include <stddef.h>

struct vc_conf;

struct vc_agent {
        const char *munge_socket;
        struct in_addr *controller; /* the controller host's IPv4 addresses */
        size_t n_controller;
        const char *controller_name;
};

/* vc_agent_init: resolve the controller's addresses from c; 0 or -errno with *err. */
int vc_agent_init(struct vc_agent *ag, const struct vc_conf *c, char **err);
/* vc_agent_done: free what init allocated. */
void vc_agent_done(struct vc_agent *ag);
/* vc_agent_serve: answer requests on lfd until SIGTERM/SIGINT arrives on sigfd. */
int vc_agent_serve(struct vc_agent *ag, int lfd, int sigfd);

#endif
