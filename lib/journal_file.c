/* The node's journal store: one append-only file per job, one JSON object
 * per line, fsync'd after every record. Records are {"seq","kind","args"}
 * for a new step and {"seq","state"} for a state change; replaying the file
 * in order rebuilds the steps. A crash can tear only the last line, which
 * never became durable, so it is ignored. */
#include <errno.h>
#include <fcntl.h>

#include "journal.h"
#include "log.h"
#include "util.h"

struct file_store {
        int fd;
};

static int append(struct file_store *fs, json_t *rec) {
        _cleanup_free_ char *line = json_dumps(rec, JSON_COMPACT);
        json_decref(rec);
        if (!line)
                return -ENOMEM;
        size_t n = strlen(line);
        line[n] = '\n';
        /* write the line with its newline; json_dumps' NUL slot became the '\n' */
        int r = write_all(fs->fd, line, n + 1);
        if (r < 0)
                return r;
        return fsync(fs->fd) < 0 ? -errno : 0;
}

static int file_add(void *self, const struct vc_step *st) {
        return append(self, json_pack("{s:i, s:s, s:O}", "seq", st->seq, "kind", st->kind, "args", st->args));
}

static int file_mark(void *self, const struct vc_step *st, enum vc_step_state to) {
        return append(self, json_pack("{s:i, s:s}", "seq", st->seq, "state", vc_step_state_name(to)));
}

static int replay_line(struct vc_journal *j, const char *line, size_t lineno, const char *path, char **err) {
        json_error_t je;
        _cleanup_(json_decrefp) json_t *rec = json_loads(line, 0, &je);
        int seq;
        const char *kind = NULL, *state = NULL;
        json_t *args = NULL;
        if (!rec || json_unpack(rec, "{s:i, s?s, s?s, s?o}", "seq", &seq, "kind", &kind, "state", &state, "args", &args) < 0)
                goto bad;
        if (kind) {
                if (seq != (int)j->n + 1 || !args)
                        goto bad;
                j->steps = xrealloc(j->steps, (j->n + 1) * sizeof(*j->steps));
                j->steps[j->n++] = (struct vc_step){.seq = seq, .kind = xstrdup(kind),
                                                    .args = json_incref(args), .state = VC_STEP_PLANNED};
                return 0;
        }
        enum vc_step_state s;
        if (!state || seq < 1 || seq > (int)j->n || vc_step_state_parse(state, &s) < 0)
                goto bad;
        j->steps[seq - 1].state = s;
        return 0;
bad:
        *err = xasprintf("%s:%zu: corrupt journal record", path, lineno);
        return -EBADMSG;
}

int vc_journal_file_open(struct vc_journal *j, const char *path, char **err) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd < 0)
                return vc_fail_errno(err, "%s", path);
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = read_file(path, &buf, &len, 64u << 20);
        if (r < 0) {
                *err = xasprintf("%s: %s", path, strerror(-r));
                return r;
        }
        size_t lineno = 0;
        char *p = buf;
        while (p < buf + len) {
                char *nl = memchr(p, '\n', (size_t)(buf + len - p));
                lineno++;
                if (!nl) {
                        /* torn tail: the record never completed, so it never happened */
                        log_warning("%s:%zu: ignoring incomplete last record", path, lineno);
                        if (ftruncate(fd, p - buf) < 0) {
                                r = -errno;
                                *err = xasprintf("%s: truncating torn record: %s", path, strerror(-r));
                                vc_journal_clear(j);
                                return r;
                        }
                        break;
                }
                *nl = 0;
                r = replay_line(j, p, lineno, path, err);
                if (r < 0) {
                        vc_journal_clear(j);
                        return r;
                }
                p = nl + 1;
        }
        struct file_store *fs = xmalloc(sizeof(*fs));
        fs->fd = TAKE_FD(fd);
        j->store = (struct vc_journal_store){.add = file_add, .mark = file_mark, .self = fs};
        return 0;
}

void vc_journal_file_close(struct vc_journal *j) {
        struct file_store *fs = j->store.self;
        if (fs) {
                close(fs->fd);
                free(fs);
        }
        j->store.self = NULL;
        vc_journal_clear(j);
}
