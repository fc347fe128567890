/* secret.h — credentials files (SecretFile=): root-only Key=Value lines.
 *
 * Secrets never travel on a command line or into a log: a driver reads its
 * file when it opens a session, and errors name the file and the key, never
 * a value. The file must be a regular file owned by the reader (root) and
 * not accessible by group or others, as ssh insists for private keys.
 */
#ifndef VC_SECRET_H
#define VC_SECRET_H

/* vc_secret_load: the "Key=Value" lines of path ('#' comments and blank lines
 * skipped) as a NULL-terminated vector; 0, or -errno with *err naming the file
 * and what is wrong (mode, owner, a line that is not Key=Value). */
int vc_secret_load(const char *path, char ***kv, char **err);
/* vc_secret_get: the value of key (case-insensitive) in kv, or NULL. */
const char *vc_secret_get(char *const *kv, const char *key);
/* vc_secret_free: wipe and free what vc_secret_load returned. */
void vc_secret_free(char **kv);

#endif
