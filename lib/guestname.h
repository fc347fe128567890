/* guestname.h — the host names of a virtual cluster's guests, computed the
 * same way by every component that names them (the node prolog, the SPANK
 * plugin's VCLUSTER_NODES, the guests themselves later).
 *
 * A guest is NAME-SITEID-N: NAME from the spec's name=, SITEID the SiteId of
 * the site it runs in, N counting that site's guests from 1 — the site's
 * nodes in the order the plan lists them (the job's order), `vms` guests per
 * node. Same plan and spec, same names, on every host; a name says its site,
 * so two sites never produce the same name. With frontend=yes the cluster's
 * first guest (first site, first guest of its gateway node) is the frontend.
 */
#ifndef VC_GUESTNAME_H
#define VC_GUESTNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "jobplan.h"

/* A host name label is at most 63 characters (RFC 1035). */
#define VC_GUEST_NAME_MAX 63

/* vc_guest_name: NAME-SITEID-N into buf; 0, or -ENAMETOOLONG when it would
 * not fit a host name label or buf. */
int vc_guest_name(const char *name, int site_id, unsigned long n, char *buf, size_t len);
/* vc_plan_guests: the guest names of plan p's sites, all of them (node
 * NULL) or those of one node, in order; 0 with *out (NULL-terminated,
 * malloc'd), or -EINVAL with *err when a site id is not 1..255, a name too
 * long, vms < 1 or node not in the plan. */
int vc_plan_guests(const struct vc_jobplan *p, const char *name, unsigned vms, const char *node, char ***out,
                   char **err);
/* vc_plan_frontend: the frontend's name into buf when frontend is true and
 * the plan has a node; else buf = "". 0, or -EINVAL / -ENAMETOOLONG. */
int vc_plan_frontend(const struct vc_jobplan *p, const char *name, bool frontend, char *buf, size_t len);

#endif
