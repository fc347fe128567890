/* journal.h — the undo journal: a job's work as an ordered list of steps,
 * each a pair (do, undo), recorded durably before it runs.
 *
 * One engine serves the controller (steps stored in SQLite by vlanallocd)
 * and each node (a journal file per job, journal_file.c). A step moves
 * planned → doing → done, and back through undoing → undone. The state is
 * written (and made durable by the store) before the action and after it,
 * so after a crash every step that may have had an effect is known: undo
 * is replayed for every step that is doing, done or undoing. Undo actions
 * must be idempotent and succeed when the thing is already gone.
 */
#ifndef VC_JOURNAL_H
#define VC_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum vc_step_state { VC_STEP_PLANNED, VC_STEP_DOING, VC_STEP_DONE, VC_STEP_UNDOING, VC_STEP_UNDONE };

struct vc_step {
        int seq;               /* 1-based position in the journal */
        char *kind;            /* selects the vc_step_kind */
        json_t *args;          /* everything do and undo need: never re-read from config */
        enum vc_step_state state;
};

/* A kind of step. do_ and undo return 0 or -errno and set *err (malloc'd) on failure.
 * parallel: consecutive steps of this kind may run, and be undone, concurrently
 * (each touches a different device, e.g. one switch each); do_ and undo must
 * be thread-safe. */
struct vc_step_kind {
        const char *name;
        int (*do_)(void *ctx, json_t *args, char **err);
        int (*undo)(void *ctx, json_t *args, char **err);
        bool parallel;
};

/* vc_step_kinds_join: one {NULL}-terminated table of the kinds of a, then
 * of b (both {NULL}-terminated), malloc'd: how a program that acts in
 * several roles (a host is a compute node and maybe a gateway) journals
 * the steps of each. Free it once no journal uses it. */
struct vc_step_kind *vc_step_kinds_join(const struct vc_step_kind *a, const struct vc_step_kind *b);

/* A do_ that fails before it changed anything (it could not reach the device)
 * returns vc_step_untouched(-errno): the step is then recorded undone, so no
 * undo is owed to a device that may stay unreachable. */
#define VC_STEP_UNTOUCHED_BIAS 0x10000000
static inline int vc_step_untouched(int r) { return r - VC_STEP_UNTOUCHED_BIAS; }

/* Durable storage behind a journal. Each call returns only once the record is durable. */
struct vc_journal_store {
        int (*add)(void *self, const struct vc_step *st);
        int (*mark)(void *self, const struct vc_step *st, enum vc_step_state to);
        void *self;
};

struct vc_journal {
        struct vc_step *steps;
        size_t n;
        const struct vc_step_kind *kinds; /* terminated by a {NULL} entry */
        struct vc_journal_store store;
        void *ctx;                        /* handed to every do/undo */
};

/* vc_step_arg: the string member key of a step's args, or NULL (missing or not a string). */
static inline const char *vc_step_arg(const json_t *args, const char *key) {
        return json_string_value(json_object_get(args, key));
}

/* vc_step_state_name: "planned", "doing", "done", "undoing", "undone". */
const char *vc_step_state_name(enum vc_step_state s);
/* vc_step_state_parse: inverse of vc_step_state_name; 0 or -EINVAL. */
int vc_step_state_parse(const char *s, enum vc_step_state *out);
/* vc_journal_add: append a planned step (args reference is stolen), durably. */
int vc_journal_add(struct vc_journal *j, const char *kind, json_t *args);
/* vc_journal_run: do every planned step in order (a run of consecutive
 * parallel-kind steps concurrently), stopping after the first failure (*err
 * names the step and why; a failed step stays "doing" so undo covers it). It does not roll back: the caller
 * decides when, with vc_journal_undo, so there is one rollback path. */
int vc_journal_run(struct vc_journal *j, char **err);
/* vc_journal_undo: undo, in reverse, every step that is doing, done or undoing
 * (a run of one parallel kind concurrently, as vc_journal_run does it);
 * continues past failures so as much as possible is undone; first error returned. */
int vc_journal_undo(struct vc_journal *j, char **err);
/* vc_journal_pending: how many steps still need an undo. */
size_t vc_journal_pending(const struct vc_journal *j);
/* vc_journal_clear: free the in-memory steps (the store is untouched). */
void vc_journal_clear(struct vc_journal *j);

/* vc_journal_file_open: a journal stored in an append-only, fsync'd file;
 * loads existing records (a torn last line from a crash is ignored). */
int vc_journal_file_open(struct vc_journal *j, const char *path, char **err);
/* vc_journal_file_close: close the file and free the steps. */
void vc_journal_file_close(struct vc_journal *j);

#endif
