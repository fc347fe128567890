/* alloc.h — the allocator's operations, each a transaction over state.h and
 * the controller's journal. Every function returns a reply object ready for
 * the wire ({"ok":true,…} or vc_rpc_error(…)); the caller has already
 * decided the caller may do it.
 *
 * acquire and release are idempotent per job. A second acquire of a job
 * that is being acquired waits for the first and returns its plan; release
 * of a job being acquired waits, then releases. A failure in any step undoes
 * every step that may have acted, in reverse, and frees the ids.
 */
#ifndef VC_ALLOC_H
#define VC_ALLOC_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vc_conf;
struct vc_state;

struct vc_alloc {
        struct vc_state *st;
        pthread_mutex_t conf_lock;
        struct vc_conf *conf;  /* swapped on reload; take refs with vc_alloc_conf() */
        int64_t *inflight;     /* jobs a thread is releasing right now (under the state lock) */
        size_t n_inflight;
};

struct vc_acquire_req {
        int64_t job;
        const char *nodes; /* hostlist expression */
        const char *spec;  /* may be NULL */
        int64_t end;       /* the job's end time (epoch s), 0: unknown */
        int64_t uid;       /* the job's owner */
};

/* vc_alloc_init: wrap an opened state and a loaded config (the ref is taken over). */
void vc_alloc_init(struct vc_alloc *a, struct vc_state *st, struct vc_conf *c);
/* vc_alloc_done: drop the config and bookkeeping (the state is the caller's). */
void vc_alloc_done(struct vc_alloc *a);
/* vc_alloc_conf: a reference to the current config (vc_conf_unref it). */
struct vc_conf *vc_alloc_conf(struct vc_alloc *a);
/* vc_alloc_set_conf: install a reloaded config, warning about holds it orphans. */
void vc_alloc_set_conf(struct vc_alloc *a, struct vc_conf *c);

json_t *vc_alloc_acquire(struct vc_alloc *a, const struct vc_acquire_req *q);
/* vc_alloc_release: undo and free; reason goes into the job's history. */
json_t *vc_alloc_release(struct vc_alloc *a, int64_t job, const char *reason);
/* vc_alloc_recover: at start-up, roll back jobs left acquiring and finish jobs left releasing. */
int vc_alloc_recover(struct vc_alloc *a);
/* vc_alloc_job_owner: the owner uid of a job, or -ENOENT. */
int64_t vc_alloc_job_owner(struct vc_alloc *a, int64_t job);

json_t *vc_alloc_show(struct vc_alloc *a, int64_t job);
/* vc_alloc_chap: for a held job with volumes, its CHAP secret (tunnel: with an
 * OpenVPN-stitched segment, its tunnel key) sealed in a
 * munge credential only root can open ({ok, cred}); the caller checked uid 0. */
json_t *vc_alloc_chap(struct vc_alloc *a, int64_t job, bool tunnel);
/* vc_alloc_ssh_seed: for a held job whose image is a cloud-init one, its SSH
 * seed (sshkey.h) sealed the same way; not_found otherwise. */
json_t *vc_alloc_ssh_seed(struct vc_alloc *a, int64_t job);
json_t *vc_alloc_list(struct vc_alloc *a);
json_t *vc_alloc_ranges(struct vc_alloc *a);
json_t *vc_alloc_check(struct vc_alloc *a);
json_t *vc_alloc_drain(struct vc_alloc *a, const char *site, int vlan, const char *reason);
json_t *vc_alloc_undrain(struct vc_alloc *a, const char *site, int vlan);

#endif
