#include "journal.h"

#include <errno.h>

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

size_t vc_journal_pending(const struct vc_journal *j) {
        size_t n = 0;
        for (size_t i = 0; i < j->n; i++)
                n += needs_undo(j->steps[i].state);
        return n;
}

static int step_do(struct vc_journal *j, struct vc_step *st, char **err) {
        const struct vc_step_kind *k = kind_find(j, st->kind);
        if (!k) {
                *err = xasprintf("step %d: unknown kind '%s'", st->seq, st->kind);
                return -EINVAL;
        }
        int r = mark(j, st, VC_STEP_DOING);
        if (r < 0) {
                *err = xasprintf("step %d (%s): journal write failed: %s", st->seq, st->kind, strerror(-r));
                return r;
        }
        r = FAILPOINT("step.do.before");
        if (r == 0)
                r = k->do_(j->ctx, st->args, err);
        else
                *err = xstrdup("injected failure (step.do.before)");
        if (r == 0) {
                r = FAILPOINT("step.do.after");
                if (r < 0)
                        *err = xstrdup("injected failure (step.do.after)");
        }
        if (r < 0) {
                _cleanup_free_ char *why = TAKE_PTR(*err);
                *err = xasprintf("step %d (%s): %s", st->seq, st->kind, why ? why : strerror(-r));
                return r;
        }
        r = mark(j, st, VC_STEP_DONE);
        if (r < 0)
                *err = xasprintf("step %d (%s): journal write failed: %s", st->seq, st->kind, strerror(-r));
        return r;
}

static int step_undo(struct vc_journal *j, struct vc_step *st, char **err) {
        const struct vc_step_kind *k = kind_find(j, st->kind);
        if (!k) {
                *err = xasprintf("step %d: unknown kind '%s'", st->seq, st->kind);
                return -EINVAL;
        }
        int r = mark(j, st, VC_STEP_UNDOING);
        if (r == 0)
                r = FAILPOINT("step.undo.before");
        if (r == 0)
                r = k->undo(j->ctx, st->args, err);
        if (r == 0)
                r = FAILPOINT("step.undo.after");
        if (r == 0)
                r = mark(j, st, VC_STEP_UNDONE);
        if (r < 0) {
                _cleanup_free_ char *why = TAKE_PTR(*err);
                *err = xasprintf("undo of step %d (%s): %s", st->seq, st->kind, why ? why : strerror(-r));
        }
        return r;
}

int vc_journal_undo(struct vc_journal *j, char **err) {
        int first = 0;
        for (size_t i = j->n; i-- > 0;) {
                struct vc_step *st = &j->steps[i];
                if (!needs_undo(st->state))
                        continue;
                _cleanup_free_ char *e = NULL;
                int r = step_undo(j, st, &e);
                if (r < 0) {
                        log_error("%s", e);
                        if (first == 0) {
                                first = r;
                                *err = TAKE_PTR(e);
                        }
                }
        }
        return first;
}

int vc_journal_run(struct vc_journal *j, char **err) {
        for (size_t i = 0; i < j->n; i++) {
                if (j->steps[i].state != VC_STEP_PLANNED)
                        continue;
                int r = step_do(j, &j->steps[i], err);
                if (r < 0)
                        return r;
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
