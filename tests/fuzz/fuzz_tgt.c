/* fuzz_tgt — tgtd's replies (storage/tgt_proto.c): the reply header and the
 * target listing the storage steps read back after every change. */
#include "fuzz.h"
#include "tgt_proto.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size >= VC_TGT_RSP_SIZE) {
                uint32_t status;
                size_t len;
                (void)vc_tgt_decode_reply(data, &status, &len);
        }
        _cleanup_free_ char *text = fuzz_str(data, size);
        struct vc_tgt_target *t = NULL;
        size_t n = 0;
        if (vc_tgt_parse_targets(text, &t, &n) == 0) {
                (void)vc_tgt_free_tid(t, n);
                vc_tgt_targets_free(t, n);
        }
        return 0;
}
