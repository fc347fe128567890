/* userdata.h — a user's own cloud-config (--vcluster=…,user-data=PATH):
 * sbatch/salloc read PATH as the user and refuse it at submit unless it is
 * readable, at most 64 KiB and cloud-config ("#cloud-config") or a script
 * ("#!"); the node prolog checks the text it gets again. It reaches every
 * guest after our own part of user-data (node/cloudinit.h). */
#ifndef VC_USERDATA_H
#define VC_USERDATA_H

#include <stddef.h>

#define VC_USER_DATA_MAX (64u << 10)

/* vc_user_data_check: 0 when text may be user-data, else -EFBIG / -EINVAL
 * with *err saying why (no path in it). */
int vc_user_data_check(const char *text, size_t len, char **err);
/* vc_user_data_read: path's text (malloc'd, NUL added) with the caller's
 * rights, a regular file, checked; 0, or -errno with *err naming path. */
int vc_user_data_read(const char *path, char **text, size_t *len, char **err);

#endif
