/* state.h — vlanallocd's durable state: SQLite (WAL, synchronous=FULL) in
 * StateDir/vlanalloc.db.
 *
 * Tables: jobs (one row per Slurm job id: state, owner, spec, nodes, plan,
 * lease), holds (one row per VLAN id that is not free: held by a job and/or
 * drained — the primary key (site, vlan) is what makes a double allocation
 * impossible), steps (the controller's undo journal), history (what happened
 * to each job, and why). Free ids are not stored: an id is free when it is in
 * the configured ranges and has no holds row, so a range change never needs
 * a migration and never frees an id still in use.
 *
 * One connection, guarded by one recursive lock: every caller holds
 * vc_state_lock() around its reads and writes; job state changes are
 * announced with vc_state_broadcast() so waiters (a second acquire of the
 * same job) wake up.
 */
#ifndef VC_STATE_H
#define VC_STATE_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

#include "choose.h"
#include "journal.h"

struct vc_state;

/* Job states as stored. */
#define JS_ACQUIRING "acquiring"
#define JS_HELD "held"
#define JS_RELEASING "releasing"
#define JS_RELEASED "released"
#define JS_FAILED "failed"

struct vc_job {
        int64_t job;
        int64_t uid;
        char *state, *mode, *spec, *nodes, *plan, *error; /* plan/error may be NULL */
        int64_t vni;                                      /* -1: none */
        int64_t lease;                                    /* epoch seconds; 0: none */
        int64_t since, updated;
};

/* vc_state_open: open or create the database in dir; 0 or -errno with *err. */
int vc_state_open(const char *dir, struct vc_state **out, char **err);
/* vc_state_close: close; NULL is fine. */
void vc_state_close(struct vc_state *st);
/* vc_state_lock / vc_state_unlock: the one lock around every use (recursive). */
void vc_state_lock(struct vc_state *st);
void vc_state_unlock(struct vc_state *st);
/* vc_state_wait: sleep until the next broadcast (lock held exactly once). */
void vc_state_wait(struct vc_state *st);
/* vc_state_broadcast: wake every waiter. */
void vc_state_broadcast(struct vc_state *st);

/* Transactions: 0 or -EIO (logged). */
int vc_state_begin(struct vc_state *st);
int vc_state_commit(struct vc_state *st);
void vc_state_rollback(struct vc_state *st);

/* vc_job_clear: free a job's strings. */
void vc_job_clear(struct vc_job *j);
/* vc_state_job_get: 0, -ENOENT, or -EIO. */
int vc_state_job_get(struct vc_state *st, int64_t job, struct vc_job *out);
/* vc_state_job_put: insert or replace the whole row. */
int vc_state_job_put(struct vc_state *st, const struct vc_job *j);
/* vc_state_job_set: set state and error (NULL clears), clear vni when leaving service. */
int vc_state_job_set(struct vc_state *st, int64_t job, const char *state, const char *error);
/* vc_state_jobs_in: ids of jobs in state (a NULL-free json array of integers). */
json_t *vc_state_jobs_in(struct vc_state *st, const char *state);
/* vc_state_jobs_expired: held jobs whose lease is set and ≤ now (json array of ids). */
json_t *vc_state_jobs_expired(struct vc_state *st, int64_t now);

/* vc_state_busy: ids of site that are held or drained. */
int vc_state_busy(struct vc_state *st, const char *site, struct vc_vlanset *busy);
/* vc_state_hold: record vlan of site as held by job; -EEXIST if not free. */
int vc_state_hold(struct vc_state *st, const char *site, int vlan, int64_t job);
/* vc_state_unhold: free job's ids; drained ids stay drained. */
int vc_state_unhold(struct vc_state *st, int64_t job);
/* vc_state_drain: mark drained (kept with its job if held); vc_state_undrain: clear. */
int vc_state_drain(struct vc_state *st, const char *site, int vlan, const char *reason);
int vc_state_undrain(struct vc_state *st, const char *site, int vlan);
/* vc_state_holds: every holds row as [{site,vlan,job?,drained,reason?,since,lease?}]. */
json_t *vc_state_holds(struct vc_state *st);
/* vc_state_vnis: sorted VNIs of jobs that have one (malloc'd array). */
int vc_state_vnis(struct vc_state *st, uint32_t **out, size_t *n);
/* vc_state_history_add: append an event to a job's history. */
int vc_state_history_add(struct vc_state *st, int64_t job, const char *event, const char *detail);
/* vc_state_history: a job's events, oldest first. */
json_t *vc_state_history(struct vc_state *st, int64_t job);

/* vc_state_jobs_active: ids of jobs acquiring, held or releasing, of uid (or everyone's when uid < 0). */
json_t *vc_state_jobs_active(struct vc_state *st, int64_t uid);
/* vc_state_acquisition: an id unique to the job's latest acquisition (its
 * last "acquire" history event), 0 when it has none. */
int64_t vc_state_acquisition(struct vc_state *st, int64_t job);
/* vc_state_node_phase_set: record what node reports for job (epoch: vc_state_acquisition). */
int vc_state_node_phase_set(struct vc_state *st, int64_t job, const char *node, int64_t epoch, const char *phase,
                            const char *detail);
/* vc_state_guest_phase_set: record the phase node reports for one guest of job. */
int vc_state_guest_phase_set(struct vc_state *st, int64_t job, const char *guest, const char *node, int64_t epoch,
                             const char *phase);
/* vc_state_node_cpus_set: the CPU ids node pins job's guests to in epoch; 0 or -EIO. */
int vc_state_node_cpus_set(struct vc_state *st, int64_t job, const char *node, int64_t epoch, const char *cpus);
/* vc_state_node_cpus: {node: cpus} reported for job in epoch. */
json_t *vc_state_node_cpus(struct vc_state *st, int64_t job, int64_t epoch);
/* vc_state_guest_phases: {guest: phase} reported for job in epoch. */
json_t *vc_state_guest_phases(struct vc_state *st, int64_t job, int64_t epoch);
/* vc_state_node_phases: {node: {phase, detail?, updated}} reported for job in epoch. */
json_t *vc_state_node_phases(struct vc_state *st, int64_t job, int64_t epoch);

/* vc_state_journal: attach job's stored steps to j (kinds/ctx set by the caller). */
int vc_state_journal(struct vc_state *st, int64_t job, struct vc_journal *j);
/* vc_state_journal_release: detach and free. */
void vc_state_journal_release(struct vc_journal *j);
/* vc_state_steps_delete: forget a finished journal before a job is acquired again. */
int vc_state_steps_delete(struct vc_state *st, int64_t job);

#endif
