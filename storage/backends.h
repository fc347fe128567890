/* backends.h — the backend tables, for the registry in backends.c only. */
#ifndef VC_STORAGE_BACKENDS_H
#define VC_STORAGE_BACKENDS_H

#include "export.h"
#include "volume.h"

extern const struct vc_volume_backend vc_volume_file; /* vol_file.c */
extern const struct vc_volume_backend vc_volume_lvm;  /* vol_lvm.c */
extern const struct vc_export_backend vc_export_tgt;  /* exp_tgt.c */

#endif
