/* chap_file.h — a job's CHAP secret at rest on the controller:
 * StateDir/secrets/JOB.chap, a 0600 root file in a 0700 directory, made by
 * the "storage.chap" journal step before anything is exported and removed
 * by its undo after the export is gone. The secret is 24 characters drawn
 * from getrandom() over [A-Za-z0-9] (about 143 bits): within the 12..16+
 * character range every initiator accepts, and no character needs quoting.
 */
#ifndef VC_CHAP_FILE_H
#define VC_CHAP_FILE_H

#include <jansson.h>
#include <stdint.h>

#include "chap.h"   /* VC_TUNNEL_KEY_LEN */
#include "sshkey.h" /* VC_SSH_SEED_LEN */

#define VC_CHAP_SECRET_LEN 24

/* vc_chap_file_path: StateDir/secrets/JOB.chap (malloc'd). */
char *vc_chap_file_path(const char *state_dir, int64_t job);
/* vc_tunnel_key_path: StateDir/secrets/JOB.tunnel (malloc'd), the job's
 * OpenVPN key, kept and checked like the CHAP secret (same functions and step
 * code, journal kind "tunnel.key"; the suffix picks the format). */
char *vc_tunnel_key_path(const char *state_dir, int64_t job);
/* vc_ssh_seed_path: StateDir/secrets/JOB.ssh (malloc'd), the job's SSH seed
 * (sshkey.h: 64 hex digits), made by the journal kind "ssh.seed" for a job
 * whose image is a cloud-init one, kept and checked the same way. */
char *vc_ssh_seed_path(const char *state_dir, int64_t job);
/* vc_chap_file_read: the secret in path (malloc'd; wipe after use); -errno with
 * *err naming the file when it is missing, not 0600, not ours or malformed. */
int vc_chap_file_read(const char *path, char **secret, char **err);
/* The journal step "storage.chap": args {job, file}. Do writes a fresh secret
 * unless the file already holds one (a replayed step keeps it); undo removes
 * the file, succeeding when it is gone. */
int vc_chap_step_do(void *ctx, json_t *args, char **err);
int vc_chap_step_undo(void *ctx, json_t *args, char **err);

#endif
