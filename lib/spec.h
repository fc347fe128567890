/* spec.h — the --vcluster=SPEC grammar, shared by every component.
 *
 * SPEC is comma-separated key=value: image=NAME vms=N cpus=N mem=SIZE
 * disk=SIZE name=NAME subnet=CIDR frontend=yes|no l2=auto|shared|stitched
 * cache=on|off sudo=yes|no share=yes|no user-data=PATH. Unknown keys, repeated keys, and bad values are refused with
 * a message that names the key and says what would be valid, e.g.
 * "mem=3X: not a size (examples: 512M, 4G)". The canonical form lists every
 * key in the order above, so two specs that mean the same format the same
 * (sudo=, share= and user-data= only when they are not the default).
 * share=no: the guests run without the job's directory (node/share.h).
 * user-data=PATH names the user's own cloud-config; sbatch reads it and
 * hands its text to the hooks apart from the spec (spank_plugin/local.c).
 * Sizes take K/M/G/T (powers of 1024); a bare number means MiB, as in --mem.
 */
#ifndef VC_SPEC_H
#define VC_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vc_conf;

enum vc_l2 { VC_L2_AUTO, VC_L2_SHARED, VC_L2_STITCHED };

#define VC_SPEC_NAME_MAX 32
#define VC_SPEC_IMAGE_MAX 64
#define VC_SPEC_PATH_MAX 255
/* What sbatch names the user-data= text (base64) in the job's control
 * environment; the hooks see it with Slurm's SPANK_ prefix. */
#define VC_USER_DATA_ENV "VCLUSTER_USER_DATA"

struct vc_spec {
        char image[VC_SPEC_IMAGE_MAX + 1]; /* "" = none chosen */
        unsigned vms;                      /* guests per node, default 1, >= 1 */
        unsigned cpus;                     /* default 1 */
        uint64_t mem;                      /* bytes, default 512M */
        uint64_t disk;                     /* bytes, 0 = no volume (default) */
        char name[VC_SPEC_NAME_MAX + 1];   /* [a-z][a-z0-9-]*, default "vc" */
        uint32_t subnet;                   /* host order network address, default 10.0.0.0 */
        unsigned prefix;                   /* default 24, 8..30 */
        bool frontend;                     /* default no */
        enum vc_l2 l2;                     /* default auto */
        bool cache;                        /* default on */
        bool sudo;                         /* the user may sudo in the guests; default yes */
        bool share;                        /* the job's directory in the guests; default yes */
        char user_data[VC_SPEC_PATH_MAX + 1]; /* user-data=PATH, "" = none */
};

/* vc_spec_default: fill with defaults. */
void vc_spec_default(struct vc_spec *s);
/* vc_spec_parse: parse text (NULL or "" = defaults); 0, or -EINVAL with *err malloc'd. */
int vc_spec_parse(const char *text, struct vc_spec *out, char **err);
/* vc_spec_format: canonical text (malloc'd). */
char *vc_spec_format(const struct vc_spec *s);
/* vc_spec_check: validate against the site's Limits; 0, or -EINVAL with *err malloc'd. */
int vc_spec_check(const struct vc_spec *s, const struct vc_conf *c, char **err);
/* vc_size_format: v bytes as the spec writes sizes ("512M", "4G"), into buf. */
void vc_size_format(uint64_t v, char *buf, size_t n);
/* vc_l2_name: "auto", "shared" or "stitched". */
const char *vc_l2_name(enum vc_l2 l2);

#endif
