/* test_access — the access path's pure parts (lib/access.h): names and
 * paths, the node's address from the top of the subnet, the guests file,
 * the hostfile, ssh's config and argv, shell quoting; and the relay
 * (lib/relay.h) over a socket pair and pipes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "access.h"
#include "relay.h"
#include "util.h"

static void test_names(void **state) {
        _cleanup_free_ char *d = vc_access_dir("/var/lib/vcluster", "a001", 42), *ns = vc_access_netns(42, "a001");
        assert_string_equal(d, "/var/lib/vcluster/access/a001/42");
        assert_string_equal(ns, "vcl-42-a001-access");
        _cleanup_free_ char *s = vc_access_socket(d, "deb-1-2");
        assert_string_equal(s, "/var/lib/vcluster/access/a001/42/deb-1-2.sock");
        char long_dir[120];
        memset(long_dir, 'x', sizeof(long_dir) - 1);
        long_dir[sizeof(long_dir) - 1] = 0;
        assert_null(vc_access_socket(long_dir, "g"));
        char port[16];
        assert_true(vc_access_port(0x2a, 3, port));
        assert_string_equal(port, "va2a.3");
        assert_true(vc_access_port(4294967295LL, 0xffff, port));
        assert_string_equal(port, "vaffffffff.ffff");
        assert_false(vc_access_port(4294967295LL, 0x10000, port));
}

static void test_addr(void **state) {
        char buf[16];
        /* 10.0.1.0/24: 254 hosts; one site (its cache's .254) above the nodes */
        assert_int_equal(vc_access_addr(0x0a000100, 24, 1, 0, 2, buf), 0);
        assert_string_equal(buf, "10.0.1.253");
        assert_int_equal(vc_access_addr(0x0a000100, 24, 1, 1, 2, buf), 0);
        assert_string_equal(buf, "10.0.1.252");
        assert_int_equal(vc_access_addr(0x0a000000, 16, 2, 0, 2, buf), 0);
        assert_string_equal(buf, "10.0.255.252");
        /* a /29 (6 hosts) with 4 guests: one site's cache at .6, node 0 at .5, node 1 would be .4 (a guest) */
        assert_int_equal(vc_access_addr(0x0a000000, 29, 1, 0, 4, buf), 0);
        assert_string_equal(buf, "10.0.0.5");
        assert_int_equal(vc_access_addr(0x0a000000, 29, 1, 1, 4, buf), -ERANGE);
        assert_int_equal(vc_access_addr(0x0a000000, 30, 1, 0, 1, buf), -ERANGE);
        assert_int_equal(vc_access_addr(0x0a000000, 31, 0, 0, 0, buf), -ERANGE);
}

static void test_guests_parse(void **state) {
        struct vc_access_guest *g = NULL;
        size_t n = 0;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_access_guests_parse("deb-1-1 2 a001\ndeb-1-2 2 a002\n", &g, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(g[0].name, "deb-1-1");
        assert_int_equal(g[1].cpus, 2);
        assert_string_equal(g[1].node, "a002");
        assert_int_equal(vc_access_guest_find(g, n, "deb-1-2"), 1);
        assert_int_equal(vc_access_guest_find(g, n, "deb-1-3"), -1);
        _cleanup_free_ char *hf = vc_access_hostfile(g, n);
        assert_string_equal(hf, "deb-1-1 slots=2\ndeb-1-2 slots=2\n");
        vc_access_guests_free(g, n);
        /* no trailing newline is fine */
        assert_int_equal(vc_access_guests_parse("a 1 n", &g, &n, &err), 0);
        assert_int_equal(n, 1);
        vc_access_guests_free(g, n);
        const char *bad[] = {"",          "a 1\n",       "a 0 n\n",  "a x n\n",  "a/b 1 n\n",
                             "-a 1 n\n",  "a 1 n\nb 5000 n\n", "a  1 n\n", "a 1 n m\n", "a 1 n/m\n"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                free(err);
                err = NULL;
                assert_int_equal(vc_access_guests_parse(bad[i], &g, &n, &err), -EINVAL);
                assert_non_null(err);
                assert_null(g);
        }
        assert_string_equal(err, "line 1: not \"NAME CPUS NODE\": a 1 n/m");
}

static void test_quote(void **state) {
        _cleanup_free_ char *a = vc_sh_quote("/usr/bin/vcluster"), *b = vc_sh_quote("/my dir/it's"),
                            *c = vc_sh_quote("");
        assert_string_equal(a, "/usr/bin/vcluster");
        assert_string_equal(b, "'/my dir/it'\\''s'");
        assert_string_equal(c, "''");
}

static void test_ssh(void **state) {
        struct vc_access_guest g[] = {{"deb-1-1", 1, "a001"}, {"deb-1-2", 1, "a002"}};
        struct vc_access_ssh s = {.user = "ann", .key = "/st/keys/a001/7/id_ed25519",
                                  .known_hosts = "/st dir/known_hosts", .proxy = "vcluster proxy -j 7 %h"};
        _cleanup_free_ char *cfg = vc_access_ssh_config(&s, g, 2);
        assert_non_null(strstr(cfg, "Host deb-1-1\n\tHostName deb-1-1\n\tUser ann\n\tIdentityFile "
                                    "/st/keys/a001/7/id_ed25519\n\tIdentitiesOnly yes\n\tUserKnownHostsFile "
                                    "\"/st dir/known_hosts\"\n\tStrictHostKeyChecking yes\n\tProxyCommand vcluster "
                                    "proxy -j 7 %h\nHost deb-1-2\n"));
        char *cmd[] = {"ls", "-l", NULL};
        _cleanup_strv_ char **v = vc_access_ssh_argv(&s, "deb-1-2", cmd, 2);
        _cleanup_free_ char *line = strv_join(v, "|");
        assert_string_equal(line, "ssh|-o|User=ann|-o|IdentityFile=/st/keys/a001/7/id_ed25519|-o|IdentitiesOnly=yes|"
                                  "-o|UserKnownHostsFile=/st dir/known_hosts|-o|StrictHostKeyChecking=yes|-o|"
                                  "ProxyCommand=vcluster proxy -j 7 %h|--|deb-1-2|ls|-l");
        _cleanup_strv_ char **w = vc_access_ssh_argv(&s, "deb-1-1", NULL, 0);
        assert_string_equal(w[strv_len(w) - 1], "deb-1-1");
}

/* relay: bytes both ways, EOF passed on as a half-close */
static void test_relay(void **state) {
        int b[2], in[2], out[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, b), 0);
        assert_int_equal(pipe(in), 0);
        assert_int_equal(pipe(out), 0);
        pid_t pid = fork();
        if (pid == 0) {
                /* the far side: echo what comes, upper-cased, until EOF; then say bye */
                close(b[0]);
                close(in[0]);
                close(in[1]);
                close(out[0]);
                close(out[1]);
                char buf[64];
                ssize_t k;
                while ((k = read(b[1], buf, sizeof(buf))) > 0) {
                        for (ssize_t i = 0; i < k; i++)
                                buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
                        (void)!write(b[1], buf, (size_t)k);
                }
                (void)!write(b[1], "bye", 3);
                _exit(0);
        }
        close(b[1]);
        pid_t relay = fork();
        if (relay == 0) {
                close(in[1]);
                close(out[0]);
                _exit(vc_relay(in[0], out[1], b[0]) == 0 ? 0 : 1);
        }
        close(in[0]);
        close(out[1]);
        close(b[0]);
        assert_int_equal(write(in[1], "hello", 5), 5);
        close(in[1]);
        char got[64] = "";
        size_t n = 0;
        ssize_t k;
        while ((k = read(out[0], got + n, sizeof(got) - 1 - n)) > 0)
                n += (size_t)k;
        got[n] = 0;
        assert_string_equal(got, "HELLObye");
        int st;
        assert_int_equal(waitpid(relay, &st, 0), relay);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        waitpid(pid, &st, 0);
        close(out[0]);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),       cmocka_unit_test(test_guests_parse), cmocka_unit_test(test_addr),
                cmocka_unit_test(test_quote),       cmocka_unit_test(test_ssh),          cmocka_unit_test(test_relay),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
