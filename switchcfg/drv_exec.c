/* Driver "exec": a site-provided program configures a vendor switch.
 *
 * Protocol (argv, never a shell; one invocation per operation):
 *   PROGRAM create-vlan ID NAME
 *   PROGRAM delete-vlan ID
 *   PROGRAM add-ports ID tagged|untagged PORT…
 *   PROGRAM remove-ports ID PORT…
 *   PROGRAM read-vlan ID     prints {"exists":B,"name":S,"tagged":[…],"untagged":[…]}
 *   PROGRAM list-vlans       prints [ID,…]; exit 69 (EX_UNAVAILABLE) if unsupported
 * Exit 0 is success; any other status fails the step with the program's
 * stderr in the message. Every operation must succeed when repeated, and
 * delete/remove must succeed when the thing is already gone. Each call is
 * killed (with everything it started) after Timeout= (default 30 s).
 * A session's operations run at commit, creations before removals.
 */
#include <errno.h>
#include <stdio.h>

#include "run.h"
#include "switch.h"
#include "util.h"

#define EX_UNAVAILABLE_ 69

struct exec_sess {
        const struct vc_switch_target *t;
        const char *program;
        int timeout_ms;
        char ***calls; /* queued argvs, NULL-terminated */
        size_t n;
};

static int exec_open(const struct vc_switch_target *t, void **out, char **err) {
        const char *program = json_string_value(json_object_get(t->opts, "Program"));
        const char *timeout = json_string_value(json_object_get(t->opts, "Timeout"));
        unsigned long long secs = 30;
        if (!program || program[0] != '/') {
                *err = xasprintf("switch '%s': the exec driver needs Program=/ABSOLUTE/PATH", t->name);
                return -EINVAL;
        }
        if (timeout && parse_duration(timeout, &secs) < 0) {
                *err = xasprintf("switch '%s': Timeout=%s is not a duration", t->name, timeout);
                return -EINVAL;
        }
        struct exec_sess *s = xcalloc(1, sizeof(*s));
        s->t = t;
        s->program = program;
        s->timeout_ms = (int)(secs * 1000);
        s->calls = xcalloc(1, sizeof(char **));
        *out = s;
        return 0;
}

static void exec_close(void *sess) {
        struct exec_sess *s = sess;
        for (size_t i = 0; i < s->n; i++)
                strv_free(s->calls[i]);
        free(s->calls);
        free(s);
}

/* queue: an invocation "PROGRAM verb args…" to run at commit. */
static void queue(struct exec_sess *s, char **argv) {
        s->calls = xrealloc(s->calls, (s->n + 2) * sizeof(char **));
        s->calls[s->n++] = argv;
        s->calls[s->n] = NULL;
}

static char **make_argv(struct exec_sess *s, const char *verb, int id) {
        char **v = xcalloc(1, sizeof(char *));
        char num[16];
        snprintf(num, sizeof(num), "%d", id);
        strv_push(&v, s->program);
        strv_push(&v, verb);
        strv_push(&v, num);
        return v;
}

static int exec_vlan_create(void *sess, int id, const char *name, char **err) {
        char **v = make_argv(sess, "create-vlan", id);
        strv_push(&v, name);
        queue(sess, v);
        return 0;
}

static int exec_vlan_delete(void *sess, int id, char **err) {
        queue(sess, make_argv(sess, "delete-vlan", id));
        return 0;
}

static int exec_ports_add(void *sess, int id, char *const *ports, enum vc_port_mode mode, char **err) {
        char **v = make_argv(sess, "add-ports", id);
        strv_push(&v, mode == VC_PORT_UNTAGGED ? "untagged" : "tagged");
        for (; *ports; ports++)
                strv_push(&v, *ports);
        queue(sess, v);
        return 0;
}

static int exec_ports_remove(void *sess, int id, char *const *ports, char **err) {
        char **v = make_argv(sess, "remove-ports", id);
        for (; *ports; ports++)
                strv_push(&v, *ports);
        queue(sess, v);
        return 0;
}

/* call: run one invocation; its stdout in *out (may be NULL). */
static int call(struct exec_sess *s, char *const *argv, char **out, char **err) {
        struct vc_run_result res = {0};
        int r = vc_run((const char *const *)argv, NULL, s->timeout_ms, &res);
        if (r < 0) {
                *err = xasprintf("switch '%s': cannot run %s: %s", s->t->name, s->program,
                                 res.err && *res.err ? res.err : strerror(-r));
                vc_run_result_free(&res);
                return r;
        }
        if (res.timed_out) {
                *err = xasprintf("switch '%s': '%s %s' did not finish within %d s (killed)", s->t->name, s->program,
                                 argv[1], s->timeout_ms / 1000);
                r = -ETIMEDOUT;
        } else if (res.status != 0) {
                size_t n = res.err_len;
                while (n && (res.err[n - 1] == '\n' || res.err[n - 1] == ' '))
                        n--;
                *err = xasprintf("switch '%s': '%s %s' exited %d%s%.*s", s->t->name, s->program, argv[1],
                                 res.status, n ? ": " : "", (int)n, res.err);
                r = res.status == EX_UNAVAILABLE_ ? -EOPNOTSUPP : -EIO;
        } else if (out) {
                *out = TAKE_PTR(res.out);
        }
        vc_run_result_free(&res);
        return r;
}

static int exec_commit(void *sess, char **err) {
        struct exec_sess *s = sess;
        int r = 0;
        /* creations and additions first, then removals and deletions, each in queue order */
        for (int pass = 0; pass < 2 && r == 0; pass++)
                for (size_t i = 0; i < s->n && r == 0; i++) {
                        bool adds = streq(s->calls[i][1], "create-vlan") || streq(s->calls[i][1], "add-ports");
                        if (adds == (pass == 0))
                                r = call(s, s->calls[i], NULL, err);
                }
        for (size_t i = 0; i < s->n; i++)
                strv_free(s->calls[i]);
        s->n = 0;
        s->calls[0] = NULL;
        return r;
}

static char **strings(json_t *arr, bool *ok) {
        char **v = xcalloc(1, sizeof(char *));
        size_t i;
        json_t *e;
        if (arr && !json_is_array(arr))
                *ok = false;
        json_array_foreach(arr, i, e) {
                if (json_is_string(e))
                        strv_push(&v, json_string_value(e));
                else if (json_is_integer(e)) {
                        char num[24];
                        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(e));
                        strv_push(&v, num);
                } else
                        *ok = false;
        }
        return v;
}

static int exec_vlan_read(void *sess, int id, struct vc_vlan_state *st, char **err) {
        struct exec_sess *s = sess;
        _cleanup_strv_ char **argv = make_argv(s, "read-vlan", id);
        _cleanup_free_ char *out = NULL;
        int r = call(s, argv, &out, err);
        if (r < 0)
                return r;
        json_error_t jerr;
        json_t *j = json_loads(out, 0, &jerr);
        json_t *exists = json_object_get(j, "exists"), *name = json_object_get(j, "name");
        bool ok = json_is_boolean(exists) && (!name || json_is_string(name) || json_is_null(name));
        *st = (struct vc_vlan_state){.exists = ok && json_is_true(exists)};
        if (ok) {
                st->name = json_is_string(name) ? xstrdup(json_string_value(name)) : NULL;
                st->tagged = strings(json_object_get(j, "tagged"), &ok);
                st->untagged = strings(json_object_get(j, "untagged"), &ok);
        }
        json_decref(j);
        if (!ok) {
                vc_vlan_state_clear(st);
                *err = xasprintf("switch '%s': '%s read-vlan %d' printed no valid JSON object "
                                 "{\"exists\":…, \"name\":…, \"tagged\":[…], \"untagged\":[…]}",
                                 s->t->name, s->program, id);
                return -EPROTO;
        }
        return 0;
}

static int cmp_int(const void *a, const void *b) {
        int x = *(const int *)a, y = *(const int *)b;
        return (x > y) - (x < y);
}

static int exec_vlan_list(void *sess, int **ids, size_t *n, char **err) {
        struct exec_sess *s = sess;
        _cleanup_strv_ char **argv = xcalloc(1, sizeof(char *));
        strv_push(&argv, s->program);
        strv_push(&argv, "list-vlans");
        _cleanup_free_ char *out = NULL;
        int r = call(s, argv, &out, err);
        if (r < 0)
                return r;
        json_t *j = json_loads(out, 0, NULL);
        size_t i;
        json_t *e;
        *ids = xcalloc(json_array_size(j) + 1, sizeof(int));
        *n = 0;
        json_array_foreach(j, i, e) {
                if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 4094) {
                        json_decref(j);
                        free(*ids);
                        *ids = NULL;
                        *err = xasprintf("switch '%s': '%s list-vlans' printed no JSON array of VLAN ids", s->t->name,
                                         s->program);
                        return -EPROTO;
                }
                (*ids)[(*n)++] = (int)json_integer_value(e);
        }
        if (!json_is_array(j)) {
                free(*ids);
                *ids = NULL;
                *err = xasprintf("switch '%s': '%s list-vlans' printed no JSON array of VLAN ids", s->t->name,
                                 s->program);
                r = -EPROTO;
        } else
                qsort(*ids, *n, sizeof(int), cmp_int);
        json_decref(j);
        return r;
}

const struct vc_switch_driver vc_drv_exec = {
        .name = "exec",
        .can_read = true,
        .open = exec_open,
        .close = exec_close,
        .vlan_create = exec_vlan_create,
        .vlan_delete = exec_vlan_delete,
        .ports_add = exec_ports_add,
        .ports_remove = exec_ports_remove,
        .commit = exec_commit,
        .vlan_read = exec_vlan_read,
        .vlan_list = exec_vlan_list,
};
