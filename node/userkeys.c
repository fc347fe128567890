#include "userkeys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>

#include "util.h"

#define KEYS_MAX (64u << 10)

/* child: as the user, copy the key files to out; never returns. Only
 * open/read/write/getdents after the fork: the parent may have threads. */
static void child(int out, uid_t uid, gid_t gid, const char *home) {
        if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(3);
        int h = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int ssh = h >= 0 ? openat(h, ".ssh", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (ssh < 0)
                _exit(0);
        size_t left = KEYS_MAX;
        char buf[4096];
        for (int pass = 0; pass < 2; pass++) {
                DIR *d = NULL;
                if (pass == 1) {
                        int dfd = dup(ssh);
                        d = dfd >= 0 ? fdopendir(dfd) : NULL;
                        if (!d)
                                break;
                }
                for (;;) {
                        const char *name = "authorized_keys";
                        if (d) {
                                struct dirent *e = readdir(d);
                                if (!e)
                                        break;
                                size_t n = strlen(e->d_name);
                                if (strncmp(e->d_name, "id_", 3) || n < 8 || strcmp(e->d_name + n - 4, ".pub"))
                                        continue;
                                name = e->d_name;
                        }
                        int fd = openat(ssh, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                        ssize_t r;
                        while (fd >= 0 && left > 0 && (r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf))) > 0) {
                                if (write_all(out, buf, (size_t)r) < 0)
                                        _exit(4);
                                left -= (size_t)r;
                        }
                        if (fd >= 0) {
                                close(fd);
                                if (write_all(out, "\n", 1) < 0)
                                        _exit(4);
                        }
                        if (!d)
                                break;
                }
                if (d)
                        closedir(d);
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
