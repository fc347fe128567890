/* escape.h — text from users and guests made safe for a terminal or a log.
 *
 * A spec, a guest's console line or a URL may carry control characters
 * (ESC sequences that repaint a terminal, a newline that forges a log line,
 * a NUL that cuts a message). Whatever shows such text to people — logs,
 * AdminComment, `vcluster status` — passes it through here first.
 */
#ifndef VC_ESCAPE_H
#define VC_ESCAPE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* vc_escape_needed: whether vc_escape would change s (NULL: false). */
bool vc_escape_needed(const char *s);
/* vc_escape: a malloc'd copy of s with every C0/C1 control character, DEL
 * and byte that is not valid UTF-8 written as \xHH; NULL for NULL. */
char *vc_escape(const char *s);
/* vc_escape_json: every string value inside v (objects and arrays, to any
 * depth) replaced by its vc_escape form, in place. */
void vc_escape_json(json_t *v);

#endif
