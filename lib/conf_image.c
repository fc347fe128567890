/* conf_image.c — ImageName= lines: the catalog of images guests boot. */
#include "conf_internal.h"

#include "util.h"

#include <errno.h>

enum { I_NAME, I_KERNEL, I_INITRD, I_CMDLINE, I_DISK, I_CONTEXT, I_COUNT };
static const char *const image_keys[I_COUNT] = {"ImageName", "Kernel", "Initrd", "Cmdline", "Disk", "Context"};
static const struct keyset image_set = {"ImageName line", image_keys, I_COUNT};

int conf_parse_image(struct conf_parser *p, char *const *w) {
        struct vc_conf *c = p->c;
        const char *v[I_COUNT] = {0};
        int r = conf_collect(p, w, &image_set, v);
        if (r < 0)
                return r;
        const char *name = v[I_NAME];
        r = conf_check_name(p, "ImageName", name);
        if (r < 0)
                return r;
        for (size_t i = 0; i < c->n_images; i++)
                if (streq(c->images[i].name, name))
                        return conf_fail(p, "duplicate image name '%s' (first at %s:%u)", name,
                                         p->image_loc[i].file, p->image_loc[i].line);
        if (!v[I_KERNEL] && !v[I_DISK])
                return conf_fail(p, "image '%s': needs Kernel= (direct boot), Disk= (a disk image) or both",
                                 name);
        if (!v[I_KERNEL] && (v[I_INITRD] || v[I_CMDLINE]))
                return conf_fail(p, "image '%s': %s= only goes with Kernel=", name,
                                 v[I_INITRD] ? "Initrd" : "Cmdline");
        /* A disk image is a real system: it learns who it is from cloud-init,
         * the one way in every stock image has. A bare kernel + initramfs
         * (the busybox test guest) reads the kernel command line. */
        enum vc_image_context ctx = v[I_DISK] ? VC_CTX_CLOUD_INIT : VC_CTX_CMDLINE;
        if (v[I_CONTEXT] && streq(v[I_CONTEXT], "cloud-init"))
                ctx = VC_CTX_CLOUD_INIT;
        else if (v[I_CONTEXT] && streq(v[I_CONTEXT], "cmdline"))
                ctx = VC_CTX_CMDLINE;
        else if (v[I_CONTEXT])
                return conf_fail(p, "image '%s': Context=%s: must be cloud-init or cmdline", name, v[I_CONTEXT]);
        if (ctx == VC_CTX_CMDLINE && !v[I_KERNEL])
                return conf_fail(p, "image '%s': Context=cmdline needs Kernel= (the command line is the kernel's)",
                                 name);
        _cleanup_(conf_image_clear) struct vc_image im = {0};
        im.name = xstrdup(name);
        im.context = ctx;
        /* paths are on the compute nodes: resolved, not checked here */
        if (v[I_KERNEL])
                im.kernel = conf_resolve(p->file, v[I_KERNEL]);
        if (v[I_INITRD])
                im.initrd = conf_resolve(p->file, v[I_INITRD]);
        if (v[I_CMDLINE])
                im.cmdline = xstrdup(v[I_CMDLINE]);
        if (v[I_DISK])
                im.disk = conf_resolve(p->file, v[I_DISK]);

        conf_append_loc(p, &p->image_loc, c->n_images);
        c->images = xrealloc(c->images, (c->n_images + 1) * sizeof(*c->images));
        c->images[c->n_images++] = im;
        memset(&im, 0, sizeof(im));
        return 0;
}

const struct vc_image *vc_conf_image(const struct vc_conf *c, const char *name) {
        for (size_t i = 0; i < c->n_images; i++)
                if (streq(c->images[i].name, name))
                        return &c->images[i];
        return NULL;
}

void conf_image_clear(struct vc_image *im) {
        free(im->name);
        free(im->kernel);
        free(im->initrd);
        free(im->cmdline);
        free(im->disk);
        memset(im, 0, sizeof(*im));
}
