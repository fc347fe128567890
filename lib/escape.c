#include "escape.h"

#include "util.h"

/* utf8_len: the length of the valid UTF-8 sequence at s that is not a
 * control character (1 for printable ASCII), or 0: escape its first byte.
 * C1 controls (U+0080..U+009F) are refused too: some terminals act on them. */
static size_t utf8_len(const unsigned char *s) {
        if (s[0] >= 0x20 && s[0] < 0x7f)
                return 1;
        size_t n;
        unsigned min;
        unsigned cp;
        if (s[0] >= 0xc2 && s[0] <= 0xdf) {
                n = 2, min = 0xa0, cp = s[0] & 0x1f; /* below U+00A0: C1 controls */
        } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
                n = 3, min = 0x800, cp = s[0] & 0x0f;
        } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
                n = 4, min = 0x10000, cp = s[0] & 0x07;
        } else {
                return 0; /* C0, DEL, a stray continuation byte, or never valid */
        }
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool vc_escape_needed(const char *s) {
        for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
                size_t n = utf8_len(p);
                if (n == 0)
                        return true;
                p += n;
        }
        return false;
}

char *vc_escape(const char *s) {
        if (!s)
                return NULL;
        size_t len = strlen(s);
        /* every byte grows to at most 4 ("\xHH") */
        char *out = xmalloc(len * 4 + 1), *o = out;
        for (const unsigned char *p = (const unsigned char *)s; *p;) {
                size_t n = utf8_len(p);
                if (n == 0) {
                        static const char hex[] = "0123456789abcdef";
                        *o++ = '\\';
                        *o++ = 'x';
                        *o++ = hex[*p >> 4];
                        *o++ = hex[*p & 15];
                        p++;
                        continue;
                }
                memcpy(o, p, n);
                o += n;
                p += n;
        }
        *o = 0;
        return out;
}

void vc_escape_json(json_t *v) {
        const char *key;
        json_t *x;
        size_t i;
        if (json_is_string(v)) {
                if (vc_escape_needed(json_string_value(v))) {
                        _cleanup_free_ char *e = vc_escape(json_string_value(v));
                        json_string_set(v, e);
                }
        } else if (json_is_object(v)) {
                json_object_foreach(v, key, x)
                        vc_escape_json(x);
        } else if (json_is_array(v)) {
                json_array_foreach(v, i, x)
                        vc_escape_json(x);
        }
}
