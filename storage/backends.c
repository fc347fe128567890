/* The registries of volume and export backends, chosen by name from config. */
#include <stdlib.h>

#include "backends.h"
#include "util.h"

static const struct vc_volume_backend *const volume_backends[] = {&vc_volume_file, &vc_volume_lvm};
static const struct vc_export_backend *const export_backends[] = {&vc_export_tgt};

const struct vc_volume_backend *vc_volume_backend_find(const char *name) {
        for (size_t i = 0; name && i < ARRAY_SIZE(volume_backends); i++)
                if (streq(volume_backends[i]->name, name))
                        return volume_backends[i];
        return NULL;
}

const char *vc_volume_backend_names(void) { return "file, lvm"; }

void vc_volume_infos_free(struct vc_volume_info *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

const struct vc_export_backend *vc_export_backend_find(const char *name) {
        for (size_t i = 0; name && i < ARRAY_SIZE(export_backends); i++)
                if (streq(export_backends[i]->name, name))
                        return export_backends[i];
        return NULL;
}

const char *vc_export_backend_names(void) { return "tgt"; }

void vc_export_state_clear(struct vc_export_state *s) {
        strv_free(s->accounts);
        strv_free(s->initiators);
        *s = (struct vc_export_state){0};
}
