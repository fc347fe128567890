/* secret.c — IscsiAttach=qemu: the job's CHAP secret as a libvirt secret,
 * the step "storage.secret". Through the C API only: the value travels on
 * libvirt's socket, never on a command line; libvirtd keeps it in memory
 * (ephemeral) and gives it to QEMU encrypted with the domain's master key. */
#include "iscsi.h"

#include <errno.h>
#include <libvirt/virterror.h>

#include "domxml.h"
#include "journal.h"
#include "node.h"
#include "util.h"

static void virsecret_freep(virSecretPtr *s) {
        if (*s)
                virSecretFree(*s);
}

/* lookup: the secret of usage, 0 with *s (NULL when there is none), or -EIO with *err. */
static int lookup(virConnectPtr conn, const char *usage, virSecretPtr *s, char **err) {
        *s = virSecretLookupByUsage(conn, VIR_SECRET_USAGE_TYPE_ISCSI, usage);
        if (*s)
                return 0;
        virErrorPtr e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_SECRET)
                return 0;
        *err = xasprintf("libvirt secret %s: lookup: %s", usage, vc_virt_error());
        return -EIO;
}

/* storage.secret — args {uri, usage}: one per node and job, named
 * "vcluster-JOB-NODE" (iscsi.h). Do defines it (or finds it, from an
 * earlier do of this step) and sets its value from the ctx; undo
 * undefines it, done when libvirt has no such secret (a restarted
 * libvirtd forgot it, an earlier undo removed it). */
/* storage.secret's args, parsed once for do and undo (strings borrowed from the step's args). */
struct secret_args {
        const char *uri, *usage;
};

static int secret_parse(const json_t *args, struct secret_args *a, char **err) {
        *a = (struct secret_args){.uri = vc_step_arg(args, "uri"), .usage = vc_step_arg(args, "usage")};
        if (!a->uri || !a->usage)
                return vc_fail(err, -EINVAL, "storage.secret: needs \"uri\" and \"usage\"");
        return 0;
}

int vc_storage_secret_do(void *ctx, json_t *args, char **err) {
        struct vc_node_ctx *c = ctx;
        struct secret_args a;
        if (secret_parse(args, &a, err) < 0)
                return vc_step_untouched(-EINVAL);
        const char *uri = a.uri, *usage = a.usage;
        if (!c || !vc_iscsi_secret_ok(c->chap)) {
                *err = xasprintf("libvirt secret %s: no usable CHAP secret of the job to give it", usage);
                return vc_step_untouched(-EINVAL);
        }
        virConnectPtr conn;
        int r = vc_node_conn(c, uri, &conn, err);
        if (r < 0)
                return vc_step_untouched(r);
        _cleanup_(virsecret_freep) virSecretPtr s = NULL;
        if ((r = lookup(conn, usage, &s, err)) < 0)
                return vc_step_untouched(r);
        if (!s) {
                _cleanup_free_ char *u = vc_xml_escape(usage);
                _cleanup_free_ char *xml = xasprintf("<secret ephemeral='yes' private='yes'><usage type='iscsi'>"
                                                     "<target>%s</target></usage></secret>", u);
                s = virSecretDefineXML(conn, xml, 0);
                if (!s) {
                        *err = xasprintf("libvirt secret %s: define: %s", usage, vc_virt_error());
                        return vc_step_untouched(-EINVAL);
                }
        }
        if (virSecretSetValue(s, (const unsigned char *)c->chap, strlen(c->chap), 0) < 0) {
                *err = xasprintf("libvirt secret %s: setting its value: %s", usage, vc_virt_error());
                return -EIO;
        }
        return 0;
}

int vc_storage_secret_undo(void *ctx, json_t *args, char **err) {
        struct secret_args a;
        if (secret_parse(args, &a, err) < 0)
                return -EINVAL;
        const char *uri = a.uri, *usage = a.usage;
        virConnectPtr conn;
        int r = vc_node_conn(ctx, uri, &conn, err);
        if (r < 0)
                return r;
        _cleanup_(virsecret_freep) virSecretPtr s = NULL;
        if ((r = lookup(conn, usage, &s, err)) < 0 || !s)
                return r;
        if (virSecretUndefine(s) < 0) {
                virErrorPtr e = virGetLastError();
                if (e && e->code == VIR_ERR_NO_SECRET)
                        return 0;
                *err = xasprintf("libvirt secret %s: undefine: %s", usage, vc_virt_error());
                return -EIO;
        }
        return 0;
}
