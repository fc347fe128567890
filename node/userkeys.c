#include "userkeys.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "util.h"

#define KEYS_MAX (64u << 10)

/* copy: what fd holds, up to *left bytes, then a newline, to out; 0 or -1. */
static int copy(int fd, int out, size_t *left) {
        char buf[4096];
        ssize_t r;
        while (*left > 0 && (r = read(fd, buf, *left < sizeof(buf) ? *left : sizeof(buf))) > 0) {
                if (write_all(out, buf, (size_t)r) < 0)
                        return -1;
                *left -= (size_t)r;
        }
        return write_all(out, "\n", 1) < 0 ? -1 : 0;
}

/* child: as the user, copy the key files to out; never returns. Nothing
 * but system calls after the fork (no malloc: the parent may have threads),
 * so the directory is read with getdents64, not readdir. */
static void child(int out, uid_t uid, gid_t gid, const char *home) {
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(3);
        int h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ssh = h >= 0 ? openat(h, ".ssh", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (ssh < 0)
                _exit(0);
        size_t left = KEYS_MAX;
        int fd = openat(ssh, "authorized_keys", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 && copy(fd, out, &left) < 0)
                _exit(4);
        if (fd >= 0)
                close(fd);
        char dents[8192] __attribute__((aligned(8)));
        long n;
        while ((n = syscall(SYS_getdents64, ssh, dents, sizeof(dents))) > 0) {
                for (long at = 0; at < n;) {
                        struct linux_dirent64 {
                                uint64_t d_ino;
                                int64_t d_off;
                                unsigned short d_reclen;
                                unsigned char d_type;
                                char d_name[];
                        } *e = (void *)(dents + at);
                        at += e->d_reclen;
                        size_t len = strlen(e->d_name);
                        if (strncmp(e->d_name, "id_", 3) || len < 8 || strcmp(e->d_name + len - 4, ".pub"))
                                continue;
                        fd = openat(ssh, e->d_name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                        if (fd < 0)
                                continue;
                        if (copy(fd, out, &left) < 0)
                                _exit(4);
                        close(fd);
                }
        }
        _exit(0);
}

/* key_line: whether line is "TYPE KEY [COMMENT]" of a type sshd knows. */
static bool key_line(const char *line) {
        static const char *const types[] = {"ssh-ed25519 ", "ssh-rsa ", "ecdsa-sha2-", "sk-ssh-ed25519@openssh.com ",
                                            "sk-ecdsa-sha2-", "ssh-dss "};
        for (size_t i = 0; i < ARRAY_SIZE(types); i++)
                if (!strncmp(line, types[i], strlen(types[i])))
                        goto known;
        return false;
known:
        for (const char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int vc_user_pubkeys(uid_t uid, gid_t gid, const char *home, json_t **keys, char **err) {
        *keys = NULL;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) {
                *err = xasprintf("pipe: %s", strerror(errno));
                return -errno;
        }
        pid_t pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                *err = xasprintf("fork: %s", strerror(-r));
                return r;
        }
        if (pid == 0) {
                close(p[0]);
                child(p[1], uid, gid, home);
        }
        close(p[1]);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_fd(p[0], KEYS_MAX + 4096, &text, &len);
        close(p[0]);
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                *err = xasprintf("reading uid %u's keys in %s/.ssh: the reader could not become the user (status %d)",
                                 (unsigned)uid, home, status);
                return -EPERM;
        }
        if (r < 0) {
                *err = xasprintf("reading uid %u's keys in %s/.ssh: %s", (unsigned)uid, home, strerror(-r));
                return r;
        }
        json_t *out = json_array();
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                line[strcspn(line, "\r")] = 0;
                if (!key_line(line))
                        continue;
                bool dup = false;
                size_t i;
                json_t *k;
                json_array_foreach(out, i, k) dup |= streq(json_string_value(k), line);
                if (!dup)
                        json_array_append_new(out, json_string(line));
        }
        *keys = out;
        return 0;
}
