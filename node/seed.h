/* seed.h — the cloud-init steps of a node (seed.c), for images with
 * Context=cloud-init:
 *   guest.seed  a guest's NoCloud volume (ISO 9660, label cidata, made by
 *               cloud-localds), StateDir/nodes/NODE/JOB/NAME.seed, 0600
 *               root's; attached read-only as a cdrom (domxml.h)
 *   user.keys   the job's key pair and the cluster's known_hosts for the
 *               job's user, StateDir/keys/NODE/JOB/ (0700, the user's; its
 *               parents 0711), so only that user can read the private key
 * Both derive the keys from the job's SSH seed, which the prolog puts in
 * the node ctx (node.h) only while they run. Args are documented in seed.c.
 */
#ifndef VC_SEED_H
#define VC_SEED_H

#include <jansson.h>

/* vc_guest_seed_do: the guest's seed volume made from args and the ctx's SSH seed (and user-data); 0 or -errno with *err. */
int vc_guest_seed_do(void *ctx, json_t *args, char **err);
/* vc_guest_seed_undo: the volume and its scratch dir removed; 0 also when already gone. */
int vc_guest_seed_undo(void *ctx, json_t *args, char **err);
/* vc_user_keys_do: the user's key dir made from args and the ctx's SSH seed; 0 or -errno with *err. */
int vc_user_keys_do(void *ctx, json_t *args, char **err);
/* vc_user_keys_undo: the user's key dir and all in it removed, following no link; 0 also when gone. */
int vc_user_keys_undo(void *ctx, json_t *args, char **err);
/* vc_seed_known_hosts: known_hosts lines ("NAME,IP ssh-ed25519 KEY") for
 * hosts, an array of {name, ip}, from the job's seed (malloc'd); NULL when
 * the seed is malformed. */
char *vc_seed_known_hosts(const char *seed_hex, const json_t *hosts);
/* vc_guest_seed_path: DIR/NAME.seed, the guest's NoCloud volume (malloc'd). */
char *vc_guest_seed_path(const char *dir, const char *name);
/* vc_user_keys_dir: StateDir/keys/NODE/JOB, the job's keys for its user on NODE (malloc'd). */
char *vc_user_keys_dir(const char *state_dir, const char *node, long long job);

/* vc_remove_path: path and, if a directory, all in it, following no link (it may be a user's); 0 also when gone. */
int vc_remove_path(const char *path);
/* vc_user_dir_parents: StateDir/KIND and StateDir/KIND/NODE above dir
 * (StateDir/KIND/NODE/JOB) exist, root's, 0711; 0 or -errno with *err. */
int vc_user_dir_parents(const char *dir, char **err);

#endif
