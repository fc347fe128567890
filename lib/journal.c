#include "journal.h"

#include <errno.h>
#include <pthread.h>

#include "failpoint.h"
#include "log.h"
#include "util.h"

static const char *const state_names[] = {"planned", "doing", "done", "undoing", "undone"};

const char *vc_step_state_name(enum vc_step_state s) {
        return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

int vc_step_state_parse(const char *s, enum vc_step_state *out) {
        for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
                if (streq(s, state_names[i])) {
                        *out = (enum vc_step_state)i;
                        return 0;
                }
        return -EINVAL;
}

static const struct vc_step_kind *kind_find(const struct vc_journal *j, const char *name) {
        for (const struct vc_step_kind *k = j->kinds; k && k->name; k++)
                if (streq(k->name, name))
                        return k;
        return NULL;
}

int vc_journal_add(struct vc_journal *j, const char *kind, json_t *args) {
        j->steps = xrealloc(j->steps, (j->n + 1) * sizeof(*j->steps));
        struct vc_step *st = &j->steps[j->n];
        *st = (struct vc_step){.seq = (int)j->n + 1, .kind = xstrdup(kind), .args = args,
                               .state = VC_STEP_PLANNED};
        j->n++;
        int r = FAILPOINT("journal.add.before");
        if (r == 0)
                r = j->store.add(j->store.self, st);
        if (r == 0)
                r = FAILPOINT("journal.add.after");
        if (r < 0) {
                /* Not durable: forget it so memory matches the store. */
                j->n--;
                free(st->kind);
                json_decref(st->args);
        }
        return r;
}

static int mark(struct vc_journal *j, struct vc_step *st, enum vc_step_state to) {
        int r = FAILPOINT("journal.mark.before");
        if (r < 0)
                return r;
        r = j->store.mark(j->store.self, st, to);
        if (r < 0)
                return r;
        st->state = to;
        return FAILPOINT("journal.mark.after");
}

static bool needs_undo(enum vc_step_state s) {
        return s == VC_STEP_DOING || s == VC_STEP_DONE || s == VC_STEP_UNDOING;
}

struct vc_step_kind *vc_step_kinds_join(const struct vc_step_kind *a, const struct vc_step_kind *b) {
        size_t na = 0, nb = 0;
        while (a[na].name)
                na++;
        while (b[nb].name)
                nb++;
        struct vc_step_kind *v = xcalloc(na + nb + 1, sizeof(*v));
        memcpy(v, a, na * sizeof(*v));
        memcpy(v + na, b, nb * sizeof(*v));
        return v;
}

size_t vc_journal_pending(const struct vc_journal *j) {
        size_t n = 0;
        for (size_t i = 0; i < j->n; i++)
                n += needs_undo(j->steps[i].state);
        return n;
}

/* step_act: the step's action between "doing" and "done", failpoints included. */
static int step_act(struct vc_journal *j, const struct vc_step_kind *k, struct vc_step *st, char **err) {
        int r = FAILPOINT("step.do.before");
        if (r == 0) {
                r = k->do_(j->ctx, st->args, err);
        } else
                *err = xstrdup("injected failure (step.do.before)");
        if (r == 0) {
                r = FAILPOINT("step.do.after");
                if (r < 0)
                        *err = xstrdup("injected failure (step.do.after)");
        }
        if (r < 0) {
                _cleanup_free_ char *why = TAKE_PTR(*err);
                *err = xasprintf("step %d (%s): %s", st->seq, st->kind, why ? why : strerror(-r));
        }
        return r;
}

static int step_begin(struct vc_journal *j, struct vc_step *st, const struct vc_step_kind **k, char **err) {
        *k = kind_find(j, st->kind);
        if (!*k) {
                *err = xasprintf("step %d: unknown kind '%s'", st->seq, st->kind);
                return -EINVAL;
        }
        int r = mark(j, st, VC_STEP_DOING);
        if (r < 0)
                *err = xasprintf("step %d (%s): journal write failed: %s", st->seq, st->kind, strerror(-r));
        return r;
}

static int step_end(struct vc_journal *j, struct vc_step *st, char **err) {
        int r = mark(j, st, VC_STEP_DONE);
        if (r < 0)
                *err = xasprintf("step %d (%s): journal write failed: %s", st->seq, st->kind, strerror(-r));
        return r;
}

struct batch_item {
        struct vc_journal *j;
        const struct vc_step_kind *k;
        struct vc_step *st;
        int r;
        char *err;
        pthread_t thread;
        bool threaded, ran;
};

static void *batch_thread(void *arg) {
        struct batch_item *it = arg;
        it->r = step_act(it->j, it->k, it->st, &it->err);
        it->ran = true;
        return NULL;
}

/* run_batch: steps [from, to) concurrently. Every step is marked doing before
 * any action starts and done after its own action, from this thread only, so
 * the store never sees concurrent writes. */
static int run_batch(struct vc_journal *j, size_t from, size_t to, char **err) {
        size_t n = to - from;
        _cleanup_free_ struct batch_item *items = xcalloc(n, sizeof(*items));
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                items[i] = (struct batch_item){.j = j, .st = &j->steps[from + i]};
                r = step_begin(j, items[i].st, &items[i].k, err);
        }
        for (size_t i = 0; i < n && r == 0; i++) {
                /* the last one runs here: a batch of one costs no thread */
                if (i + 1 < n && pthread_create(&items[i].thread, NULL, batch_thread, &items[i]) == 0)
                        items[i].threaded = true;
                else
                        batch_thread(&items[i]);
        }
        for (size_t i = 0; i < n; i++)
                if (items[i].threaded)
                        pthread_join(items[i].thread, NULL);
        /* successes are recorded even after a failure, so the journal says
         * exactly what happened; the first failure is the one reported */
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = TAKE_PTR(items[i].err);
                if (!items[i].ran)
                        continue; /* never begun, or begun but not acted on: undo covers "doing" */
                int q = items[i].r;
                if (q <= -VC_STEP_UNTOUCHED_BIAS) {
                        /* it acted on nothing: nothing to undo, ever */
                        q += VC_STEP_UNTOUCHED_BIAS;
                        int m = mark(j, items[i].st, VC_STEP_UNDONE);
                        if (m < 0)
                                log_error("step %d (%s): journal write failed: %s", items[i].st->seq,
                                          items[i].st->kind, strerror(-m));
                } else if (q == 0)
                        q = step_end(j, items[i].st, &e);
                if (q < 0 && r == 0) {
                        r = q;
                        *err = TAKE_PTR(e);
                }
        }
        return r;
}

/* undo_act: a step's undo between "undoing" and "undone", failpoints included. */
static int undo_act(struct vc_journal *j, const struct vc_step_kind *k, struct vc_step *st, char **err) {
        int r = FAILPOINT("step.undo.before");
        if (r == 0)
                r = k->undo(j->ctx, st->args, err);
        if (r == 0)
                r = FAILPOINT("step.undo.after");
        return r;
}

static void undo_failed(struct vc_step *st, int r, char **err) {
        _cleanup_free_ char *why = TAKE_PTR(*err);
        *err = xasprintf("undo of step %d (%s): %s", st->seq, st->kind, why ? why : strerror(-r));
}

static void *undo_thread(void *arg) {
        struct batch_item *it = arg;
        it->r = undo_act(it->j, it->k, it->st, &it->err);
        it->ran = true;
        return NULL;
}

/* undo_batch: undo the n steps of one parallel kind at once (one guest per
 * step, say): all marked undoing first, then acted on concurrently, then
 * marked undone, the journal written from this thread only. Each failure is
 * logged; the first is returned. */
static int undo_batch(struct vc_journal *j, const struct vc_step_kind *k, struct vc_step **steps, size_t n,
                      char **err) {
        _cleanup_free_ struct batch_item *items = xcalloc(n, sizeof(*items));
        int first = 0;
        for (size_t i = 0; i < n; i++) {
                items[i] = (struct batch_item){.j = j, .k = k, .st = steps[i]};
                items[i].r = mark(j, steps[i], VC_STEP_UNDOING);
        }
        for (size_t i = 0; i < n; i++) {
                if (items[i].r < 0)
                        continue;
                if (i + 1 < n && pthread_create(&items[i].thread, NULL, undo_thread, &items[i]) == 0)
                        items[i].threaded = true;
                else
                        undo_thread(&items[i]);
        }
        for (size_t i = 0; i < n; i++) {
                if (items[i].threaded)
                        pthread_join(items[i].thread, NULL);
                int r = items[i].r;
                if (r == 0)
                        r = mark(j, steps[i], VC_STEP_UNDONE);
                if (r < 0) {
                        undo_failed(steps[i], r, &items[i].err);
                        log_error("%s", items[i].err);
                        if (first == 0) {
                                first = r;
                                *err = TAKE_PTR(items[i].err);
                        }
                }
                free(items[i].err);
        }
        return first;
}

int vc_journal_undo(struct vc_journal *j, char **err) {
        int first = 0;
        _cleanup_free_ struct vc_step **batch = xcalloc(j->n ? j->n : 1, sizeof(*batch));
        for (size_t i = j->n; i-- > 0;) {
                struct vc_step *st = &j->steps[i];
                if (!needs_undo(st->state))
                        continue;
                const struct vc_step_kind *k = kind_find(j, st->kind);
                if (!k) {
                        log_error("step %d: unknown kind '%s'", st->seq, st->kind);
                        if (first == 0) {
                                first = -EINVAL;
                                *err = xasprintf("step %d: unknown kind '%s'", st->seq, st->kind);
                        }
                        continue;
                }
                /* the run of this kind back to its first step, for a parallel kind */
                size_t n = 0;
                batch[n++] = st;
                while (k->parallel && i > 0 && streq(j->steps[i - 1].kind, k->name)) {
                        i--;
                        if (needs_undo(j->steps[i].state))
                                batch[n++] = &j->steps[i];
                }
                _cleanup_free_ char *e = NULL;
                int r = undo_batch(j, k, batch, n, &e);
                if (r < 0 && first == 0) {
                        first = r;
                        *err = TAKE_PTR(e);
                }
        }
        return first;
}

int vc_journal_run(struct vc_journal *j, char **err) {
        for (size_t i = 0; i < j->n;) {
                if (j->steps[i].state != VC_STEP_PLANNED) {
                        i++;
                        continue;
                }
                const struct vc_step_kind *k = kind_find(j, j->steps[i].kind);
                size_t end = i + 1;
                while (k && k->parallel && end < j->n && j->steps[end].state == VC_STEP_PLANNED &&
                       streq(j->steps[end].kind, k->name))
                        end++;
                int r = run_batch(j, i, end, err);
                if (r < 0)
                        return r;
                i = end;
        }
        return 0;
}

void vc_journal_clear(struct vc_journal *j) {
        for (size_t i = 0; i < j->n; i++) {
                free(j->steps[i].kind);
                json_decref(j->steps[i].args);
        }
        free(j->steps);
        j->steps = NULL;
        j->n = 0;
}
