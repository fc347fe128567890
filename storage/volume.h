/* volume.h — block volumes on a storage host, one per guest of a job.
 *
 * A backend is a table of functions chosen by the Backend= word of a
 * StorageName= line: "lvm" (logical volumes in VolumeGroup=, optionally thin
 * in ThinPool=) or "file" (sparse files in Directory=). Every external
 * command is an argv (lib/run.h). Volumes are named by the caller
 * ("vc-JOB-GUEST"); the backend never invents names. create is idempotent
 * (a volume of that name and size already there is success: the journal
 * may replay a step), remove succeeds when the volume is already gone.
 * Errors name the volume and the tool's own message; the caller adds the
 * storage host. Functions are thread-safe for different volume names.
 */
#ifndef VC_VOLUME_H
#define VC_VOLUME_H

#include <stddef.h>
#include <stdint.h>

/* Where a backend keeps volumes: copied into journal steps, so an undo
 * never depends on the configuration still naming the storage. */
struct vc_volume_place {
        const char *backend;   /* "lvm" | "file" */
        const char *vg;        /* lvm: volume group (required) */
        const char *thin_pool; /* lvm: thin pool in vg, or NULL for thick volumes */
        const char *dir;       /* file: directory (required) */
};

struct vc_volume_info {
        char *name;
        uint64_t bytes;
};

struct vc_volume_backend {
        const char *name;
        /* create: make volume name of bytes; *path (malloc'd) is what an
         * export serves ("/dev/VG/NAME", "DIR/NAME.img"). */
        int (*create)(const struct vc_volume_place *p, const char *name, uint64_t bytes, char **path,
                      char **err);
        /* remove: delete volume name; 0 when already gone. */
        int (*remove)(const struct vc_volume_place *p, const char *name, char **err);
        /* list: every volume whose name starts with prefix (*out malloc'd array of *n). */
        int (*list)(const struct vc_volume_place *p, const char *prefix, struct vc_volume_info **out,
                    size_t *n, char **err);
};

/* vc_volume_backend_find: the backend called name, or NULL. */
const struct vc_volume_backend *vc_volume_backend_find(const char *name);
/* vc_volume_backend_names: "file, lvm" for error messages (static). */
const char *vc_volume_backend_names(void);
/* vc_volume_infos_free: free what list returned. */
void vc_volume_infos_free(struct vc_volume_info *v, size_t n);

#endif
