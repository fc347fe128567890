/* vol_lvm.h — the pure parts of the volume backends, for vol_file.c and the
 * unit tests: volume name checks, size text, and reading `lvs` JSON.
 */
#ifndef VC_VOL_LVM_H
#define VC_VOL_LVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "volume.h"

/* LVM's own limit on an LV name; also keeps "NAME.img" under NAME_MAX. */
#define VC_VOLUME_NAME_MAX 127

/* One row of `lvs --reportformat json --units b --nosuffix -o lv_name,lv_size[,vg_extent_size][,pool_lv]`. */
struct vc_lvm_lv {
        char *name;
        uint64_t bytes;
        uint64_t extent_bytes; /* the VG's extent size; 0 when not reported */
        char *pool;            /* thin pool, "" for a thick volume; NULL when not reported */
};

/* vc_volume_name_valid: 1..127 of [A-Za-z0-9+_.-], not starting with '-' (so never an option). */
bool vc_volume_name_valid(const char *name);
/* vc_volume_name_check: 0, or -EINVAL with *err "invalid WHAT '…'" (control bytes shown as '?'). */
int vc_volume_name_check(const char *what, const char *name, char **err);
/* vc_volume_size_text: bytes as "4.0 GiB" (or "512 B") into buf; returns buf. */
const char *vc_volume_size_text(uint64_t bytes, char *buf, size_t len);
/* vc_lvm_parse_lvs: rows of lvs JSON whose name starts with prefix (NULL or "": all),
 * hidden LVs ("[x]") skipped; 0, or -EINVAL with *err when json is not such a report. */
int vc_lvm_parse_lvs(const char *json, const char *prefix, struct vc_lvm_lv **out, size_t *n, char **err);
/* vc_lvm_message: what went wrong, from an lvm command's stderr: its first line that is not
 * a WARNING or device-mapper noise, trimmed; else the first such line; else "exited STATUS…" (malloc'd). */
char *vc_lvm_message(const char *err, int status);
/* vc_lvm_lvs_free: free what vc_lvm_parse_lvs returned. */
void vc_lvm_lvs_free(struct vc_lvm_lv *v, size_t n);

#endif
