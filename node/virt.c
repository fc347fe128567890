/* virt.c — the libvirt side of a node: one shared connection, and the
 * guest.define / guest.start steps. Domains are transient to the job:
 * defined and started by the prolog, destroyed and undefined by the
 * epilog, and nothing of the job stays in libvirt. */
#include "node.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/virterror.h>
#include <sys/stat.h>

#include "log.h"
#include "ovsport.h"
#include "run.h"
#include "util.h"

/* libvirt prints every error on stderr unless told otherwise; we report
 * them ourselves, once, where the decision is made. */
static void quiet(void *opaque, virErrorPtr e) {}

const char *vc_virt_error(void) {
        const char *m = virGetLastErrorMessage();
        return m ? m : "unknown libvirt error";
}

void vc_node_ctx_init(struct vc_node_ctx *c) {
        *c = (struct vc_node_ctx){0};
        pthread_mutex_init(&c->lock, NULL);
}

void vc_node_ctx_chap_clear(struct vc_node_ctx *c) {
        secret_freep(&c->chap);
        secret_freep(&c->gw.tunnel_key);
        secret_freep(&c->ssh_seed);
        if (c->user_data)
                explicit_bzero(c->user_data, c->user_data_len);
        free(c->user_data);
        c->user_data = NULL;
        c->user_data_len = 0;
}

void vc_node_ctx_done(struct vc_node_ctx *c) {
        vc_node_ctx_chap_clear(c);
        if (c->conn)
                virConnectClose(c->conn);
        free(c->uri);
        pthread_mutex_destroy(&c->lock);
        c->conn = NULL;
        c->uri = NULL;
}

int vc_node_conn(struct vc_node_ctx *c, const char *uri, virConnectPtr *conn, char **err) {
        pthread_mutex_lock(&c->lock);
        int r = 0;
        if (c->conn && !streq(c->uri, uri)) {
                virConnectClose(c->conn);
                c->conn = NULL;
        }
        if (!c->conn) {
                virSetErrorFunc(NULL, quiet);
                c->conn = virConnectOpen(uri);
                if (!c->conn) {
                        *err = xasprintf("libvirt %s: cannot connect: %s", uri, vc_virt_error());
                        r = -ECONNREFUSED;
                } else {
                        free(c->uri);
                        c->uri = xstrdup(uri);
                }
        }
        *conn = c->conn;
        pthread_mutex_unlock(&c->lock);
        return r;
}

static void domain_freep(virDomainPtr *d) {
        if (*d)
                virDomainFree(*d);
}

/* lookup: the domain called name, or NULL when there is none (-ENOENT) or on error (*err). */
static int lookup(virConnectPtr conn, const char *name, virDomainPtr *dom, char **err) {
        *dom = virDomainLookupByName(conn, name);
        if (*dom)
                return 0;
        virErrorPtr e = virGetLastError();
        if (e && e->code == VIR_ERR_NO_DOMAIN)
                return -ENOENT;
        *err = xasprintf("domain %s: lookup: %s", name, vc_virt_error());
        return -EIO;
}

/* backing_format: what qemu-img says the image's format is (malloc'd). */
static int backing_format(const char *image, char **fmt, char **err) {
        const char *argv[] = {"qemu-img", "info", "--output=json", "-U", image, NULL};
        struct vc_run_result res = {0};
        int r = vc_run(argv, NULL, 30000, &res);
        if (r == 0 && res.status != 0)
                r = -EIO;
        if (r < 0) {
                *err = xasprintf("image %s: qemu-img info: %s", image, res.err && *res.err ? res.err : strerror(-r));
                vc_run_result_free(&res);
                return r;
        }
        _cleanup_(json_decrefp) json_t *info = json_loads(res.out, 0, NULL);
        vc_run_result_free(&res);
        const char *f = json_string_value(json_object_get(info, "format"));
        if (!f) {
                *err = xasprintf("image %s: qemu-img info names no format", image);
                return -EIO;
        }
        *fmt = xstrdup(f);
        return 0;
}

static int overlay_create(const char *image, const char *overlay, char **err) {
        _cleanup_free_ char *fmt = NULL;
        int r = backing_format(image, &fmt, err);
        if (r < 0)
                return r;
        const char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", fmt, "-b", image, overlay, NULL};
        struct vc_run_result res = {0};
        r = vc_run(argv, NULL, 30000, &res);
        if (r == 0 && res.status != 0)
                r = -EIO;
        if (r < 0)
                *err = xasprintf("overlay %s over %s: qemu-img create: %s", overlay, image,
                                 res.err && *res.err ? res.err : strerror(-r));
        vc_run_result_free(&res);
        return r;
}

/* readable: a file the image names must be there before libvirt is asked,
 * so the error names the image's file rather than a QEMU command line. */
static int readable(const char *what, const char *path, char **err) {
        if (!path || access(path, R_OK) == 0)
                return 0;
        return vc_fail_errno(err, "%s %s", what, path);
}

/* The args of a guest step, parsed once for its do and undo (as
 * switch_step.c does); strings are borrowed from the args.
 *   guest.define  {uri, domain, xml, files: [console, agent: paths the
 *                 guest creates], overlay: {path, image} (optional),
 *                 check: [paths that must be readable], owner: {uid, gid}
 *                 (QEMU's user: the overlay and the console are theirs)}
 *   guest.start   {uri, domain, tap, job, ovs: {db} (HostNet=ovs)} */
struct guest_args {
        const char *uri, *domain, *xml, *tap;
        char **files, **check;            /* NULL-terminated; what is not a string is skipped */
        bool has_overlay;
        const char *overlay, *image;      /* the overlay's path and its backing image */
        bool has_owner;
        uid_t uid;                        /* owner: QEMU's user and group */
        gid_t gid;
        bool has_ovs;                     /* HostNet=ovs: mark the guest's port on ovs_db */
        const char *ovs_db;
        int64_t job;
};

static void guest_args_clear(struct guest_args *a) {
        strv_free(a->files);
        strv_free(a->check);
}

static char **paths(const json_t *arr) {
        char **v = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *p;
        json_array_foreach(arr, i, p) if (json_is_string(p)) strv_push(&v, json_string_value(p));
        return v;
}

/* guest_args_parse: args into *a (to clear with guest_args_clear); each
 * do and undo checks the members it needs, with its own message. */
static void guest_args_parse(const json_t *args, struct guest_args *a) {
        *a = (struct guest_args){.uri = vc_step_arg(args, "uri"), .domain = vc_step_arg(args, "domain"),
                                 .xml = vc_step_arg(args, "xml"), .tap = vc_step_arg(args, "tap")};
        a->files = paths(json_object_get(args, "files"));
        a->check = paths(json_object_get(args, "check"));
        const json_t *ov = json_object_get(args, "overlay");
        if (ov) {
                a->has_overlay = true;
                a->overlay = vc_step_arg(ov, "path");
                a->image = vc_step_arg(ov, "image");
        }
        const json_t *own = json_object_get(args, "owner");
        if (own) {
                a->has_owner = true;
                a->uid = (uid_t)json_integer_value(json_object_get(own, "uid"));
                a->gid = (gid_t)json_integer_value(json_object_get(own, "gid"));
        }
        const json_t *ovs = json_object_get(args, "ovs");
        if (ovs) {
                a->has_ovs = true;
                a->ovs_db = vc_step_arg(ovs, "db");
        }
        a->job = json_integer_value(json_object_get(args, "job"));
}

/* own_file: path made empty (or truncated), a regular file of uid:gid, 0600; never through a link. */
static int own_file(const char *path, uid_t uid, gid_t gid, char **err) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || (!S_ISREG(st.st_mode) && (errno = EINVAL)) || fchown(fd, uid, gid) < 0 ||
            fchmod(fd, 0600) < 0)
                return vc_fail_errno(err, "%s: giving it to uid %u", path, (unsigned)uid);
        return 0;
}

/* guest.define: the guest's files checked, its overlay made, its domain defined. */
int vc_guest_define_do(void *ctx, json_t *args, char **err) {
        _cleanup_(guest_args_clear) struct guest_args a;
        guest_args_parse(args, &a);
        if (!a.uri || !a.domain || !a.xml) {
                *err = xstrdup("guest.define: needs \"uri\", \"domain\", \"xml\"");
                return -EINVAL;
        }
        for (char **p = a.check; *p; p++) {
                int r = readable("image file", *p, err);
                if (r < 0)
                        return vc_step_untouched(r);
        }
        if (a.has_overlay) {
                int r = overlay_create(a.image, a.overlay, err);
                if (r == 0 && a.has_owner && (chown(a.overlay, a.uid, a.gid) < 0 || chmod(a.overlay, 0600) < 0))
                        r = vc_fail_errno(err, "overlay %s: giving it to uid %u", a.overlay, (unsigned)a.uid);
                if (r < 0)
                        return r;
        }
        /* the console log (files[0]) made the user's before QEMU, which runs as them, opens it */
        if (a.has_owner && a.files[0]) {
                int r = own_file(a.files[0], a.uid, a.gid, err);
                if (r < 0)
                        return r;
        }
        virConnectPtr conn;
        int r = vc_node_conn(ctx, a.uri, &conn, err);
        if (r < 0)
                return r;
        _cleanup_(domain_freep) virDomainPtr dom = virDomainDefineXML(conn, a.xml);
        if (!dom) {
                *err = xasprintf("domain %s: libvirt refused its definition: %s", a.domain, vc_virt_error());
                return -EINVAL;
        }
        return 0;
}

static int remove_file(const char *path, char **err) {
        if (path && unlink(path) < 0 && errno != ENOENT)
                return vc_fail_errno(err, "%s", path);
        return 0;
}

/* stopped: the domain of a guest step's args, made not to run; 0 with *dom
 * (NULL when libvirt has no such domain), or -errno with *err. */
static int stopped(void *ctx, const struct guest_args *a, const char *kind, virDomainPtr *dom, char **err) {
        *dom = NULL;
        if (!a->uri || !a->domain) {
                *err = xasprintf("%s: needs \"uri\" and \"domain\"", kind);
                return -EINVAL;
        }
        virConnectPtr conn;
        int r = vc_node_conn(ctx, a->uri, &conn, err);
        if (r < 0)
                return r;
        r = lookup(conn, a->domain, dom, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* Destroy fails when the guest stopped meanwhile: what counts is that it is not running. */
        if (virDomainIsActive(*dom) == 1 && virDomainDestroy(*dom) < 0 && virDomainIsActive(*dom) == 1) {
                *err = xasprintf("domain %s: destroy: %s", a->domain, vc_virt_error());
                virDomainFree(*dom);
                *dom = NULL;
                return -EIO;
        }
        return 0;
}

int vc_guest_define_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(guest_args_clear) struct guest_args a;
        guest_args_parse(args, &a);
        /* A start whose step record was lost (crash) may have left it running. */
        _cleanup_(domain_freep) virDomainPtr dom = NULL;
        int r = stopped(ctx, &a, "guest.define", &dom, err);
        if (r < 0)
                return r;
        if (dom && virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) < 0) {
                *err = xasprintf("domain %s: undefine: %s", a.domain, vc_virt_error());
                return -EIO;
        }
        for (char **p = a.files; *p; p++) {
                if ((r = remove_file(*p, err)) < 0)
                        return r;
        }
        return a.has_overlay ? remove_file(a.overlay, err) : 0;
}

/* guest.start: the domain started, its OVS port marked with the job. */
int vc_guest_start_do(void *ctx, json_t *args, char **err) {
        _cleanup_(guest_args_clear) struct guest_args a;
        guest_args_parse(args, &a);
        if (!a.uri || !a.domain || !a.tap) {
                *err = xstrdup("guest.start: needs \"uri\", \"domain\", \"tap\"");
                return -EINVAL;
        }
        virConnectPtr conn;
        int r = vc_node_conn(ctx, a.uri, &conn, err);
        if (r < 0)
                return vc_step_untouched(r);
        _cleanup_(domain_freep) virDomainPtr dom = NULL;
        if ((r = lookup(conn, a.domain, &dom, err)) < 0) {
                if (r == -ENOENT)
                        *err = xasprintf("domain %s: not defined", a.domain);
                return r;
        }
        if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
                *err = xasprintf("domain %s: start: %s", a.domain, vc_virt_error());
                return -EIO;
        }
        return a.has_ovs ? vc_ovs_port_mark(a.ovs_db, a.tap, a.job, err) : 0;
}

int vc_guest_start_undo(void *ctx, json_t *args, char **err) {
        _cleanup_(guest_args_clear) struct guest_args a;
        guest_args_parse(args, &a);
        _cleanup_(domain_freep) virDomainPtr dom = NULL;
        return stopped(ctx, &a, "guest.start", &dom, err);
}


