/* test_volume — the volume backends' pure parts (lvs JSON, names, sizes,
 * lvm's messages) and the file backend in a private directory. The lvm
 * backend against real lvm2 is tests/integration/test_storage_volumes.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "util.h"
#include "vol_lvm.h"
#include "volume.h"

/* What lvs 2.03.16 prints, indentation and all. */
static const char LVS_VG[] = "  {\n"
                             "      \"report\": [\n"
                             "          {\n"
                             "              \"lv\": [\n"
                             "                  {\"lv_name\":\"pool\", \"lv_size\":\"16777216\"},\n"
                             "                  {\"lv_name\":\"vc-12-vm0\", \"lv_size\":\"4294967296\"},\n"
                             "                  {\"lv_name\":\"vc-12-vm1\", \"lv_size\":\"4194304\"},\n"
                             "                  {\"lv_name\":\"vc-13-vm0\", \"lv_size\":\"8388608\"}\n"
                             "              ]\n"
                             "          }\n"
                             "      ]\n"
                             "  }\n";

static void test_lvs_parse(void **state) {
        struct vc_lvm_lv *v = NULL;
        size_t n = 99;
        char *err = NULL;
        assert_int_equal(vc_lvm_parse_lvs(LVS_VG, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_string_equal(v[1].name, "vc-12-vm0");
        assert_true(v[1].bytes == 4294967296ULL);
        assert_int_equal(v[1].extent_bytes, 0); /* not asked for */
        assert_null(v[1].pool);
        vc_lvm_lvs_free(v, n);

        assert_int_equal(vc_lvm_parse_lvs(LVS_VG, "vc-12-", &v, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0].name, "vc-12-vm0");
        assert_string_equal(v[1].name, "vc-12-vm1");
        assert_int_equal(v[1].bytes, 4194304);
        vc_lvm_lvs_free(v, n);

        assert_int_equal(vc_lvm_parse_lvs(LVS_VG, "", &v, &n, &err), 0); /* "" is every LV */
        assert_int_equal(n, 4);
        vc_lvm_lvs_free(v, n);

        assert_int_equal(vc_lvm_parse_lvs(LVS_VG, "vc-99-", &v, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(v);
        assert_null(err);
}

static void test_lvs_parse_lookup_fields(void **state) {
        /* What the lookup asks for; hidden LVs of a thin pool (only with -a) are never ours. */
        static const char js[] = "{\"report\":[{\"lv\":["
                                 "{\"lv_name\":\"t1\",\"lv_size\":\"104857600\",\"vg_extent_size\":\"4194304\",\"pool_lv\":\"pool\"},"
                                 "{\"lv_name\":\"[pool_tdata]\",\"lv_size\":\"16777216\",\"vg_extent_size\":\"4194304\",\"pool_lv\":\"\"},"
                                 "{\"lv_name\":\"a\",\"lv_size\":\"4194304\",\"vg_extent_size\":\"4194304\",\"pool_lv\":\"\"}]}]}";
        struct vc_lvm_lv *v = NULL;
        size_t n = 0;
        char *err = NULL;
        assert_int_equal(vc_lvm_parse_lvs(js, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_string_equal(v[0].name, "t1");
        assert_int_equal(v[0].bytes, 104857600);
        assert_int_equal(v[0].extent_bytes, 4194304);
        assert_string_equal(v[0].pool, "pool");
        assert_string_equal(v[1].name, "a");
        assert_string_equal(v[1].pool, "");
        vc_lvm_lvs_free(v, n);

        /* --reportformat json_std prints numbers as numbers; two VGs, two reports. */
        static const char std[] = "{\"report\":[{\"lv\":[{\"lv_name\":\"x\",\"lv_size\":512}]},"
                                  "{\"lv\":[{\"lv_name\":\"y\",\"lv_size\":1024}]}]}";
        assert_int_equal(vc_lvm_parse_lvs(std, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 2);
        assert_int_equal(v[0].bytes, 512);
        assert_string_equal(v[1].name, "y");
        vc_lvm_lvs_free(v, n);
}

static void test_lvs_parse_empty(void **state) {
        /* An empty VG, as lvs prints it (a blank line inside the array). */
        static const char js[] = "  {\n      \"report\": [\n          {\n              \"lv\": [\n"
                                 "              ]\n          }\n      ]\n  }\n";
        struct vc_lvm_lv *v = (void *)1;
        size_t n = 99;
        char *err = NULL;
        assert_int_equal(vc_lvm_parse_lvs(js, "vc-", &v, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(v);
        assert_int_equal(vc_lvm_parse_lvs("{\"report\":[]}", NULL, &v, &n, &err), 0);
        assert_int_equal(n, 0);
}

static void test_lvs_parse_malformed(void **state) {
        static const struct {
                const char *json, *want;
        } bad[] = {
                {"", "not JSON"},
                {"  Volume group \"vg0\" not found", "not JSON"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"1\"}", "not JSON"}, /* cut off */
                {"[]", "no \"report\" array"},
                {"{\"report\":{}}", "no \"report\" array"},
                {"{\"report\":[{\"vg\":[]}]}", "without an \"lv\" array"},
                {"{\"report\":[{\"lv\":[{\"lv_size\":\"1\"}]}]}", "without lv_name"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":7,\"lv_size\":\"1\"}]}]}", "without lv_name"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"4.00m\"}]}]}", "lv_size of a"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"\"}]}]}", "lv_size of a"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":-1}]}]}", "lv_size of a"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\"}]}]}", "lv_size of a"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"1\",\"vg_extent_size\":\"x\"}]}]}",
                 "vg_extent_size of a"},
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"1\",\"pool_lv\":1}]}]}", "pool_lv of a"},
                /* a bad row after good ones: nothing is returned, nothing leaks */
                {"{\"report\":[{\"lv\":[{\"lv_name\":\"a\",\"lv_size\":\"1\"},{\"lv_name\":\"b\"}]}]}", "lv_size of b"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct vc_lvm_lv *v = (void *)1;
                size_t n = 99;
                _cleanup_free_ char *err = NULL;
                int r = vc_lvm_parse_lvs(bad[i].json, NULL, &v, &n, &err);
                if (r != -EINVAL || !err || !strstr(err, bad[i].want))
                        print_error("%s: %d %s\n", bad[i].json, r, err ? err : "(no error)");
                assert_int_equal(r, -EINVAL);
                assert_non_null(strstr(err, bad[i].want));
                assert_null(v);
                assert_int_equal(n, 0);
        }
        /* NULL (no output at all) is malformed too, not a crash. */
        struct vc_lvm_lv *v;
        size_t n;
        _cleanup_free_ char *err = NULL;
        assert_int_equal(vc_lvm_parse_lvs(NULL, NULL, &v, &n, &err), -EINVAL);
}

static void test_names(void **state) {
        static const char *const good[] = {"a", "vc-12-vm0", "vc_1.2+x", "0", "A-Z", "x-"};
        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                assert_true(vc_volume_name_valid(good[i]));
        char longest[VC_VOLUME_NAME_MAX + 2];
        memset(longest, 'a', sizeof(longest));
        longest[VC_VOLUME_NAME_MAX] = '\0';
        assert_true(vc_volume_name_valid(longest));
        longest[VC_VOLUME_NAME_MAX] = 'a';
        longest[VC_VOLUME_NAME_MAX + 1] = '\0';
        assert_false(vc_volume_name_valid(longest));

        static const char *const bad[] = {"", "-a", "--size", "a/b", "../x", "a b", "a\nb", "a;b", "ä", "a$", "a*"};
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                if (vc_volume_name_valid(bad[i]))
                        print_error("'%s' taken\n", bad[i]);
                assert_false(vc_volume_name_valid(bad[i]));
        }
        assert_false(vc_volume_name_valid(NULL));

        char *err = NULL;
        assert_int_equal(vc_volume_name_check("volume name", "ok", &err), 0);
        assert_null(err);
        assert_int_equal(vc_volume_name_check("volume name", "x\nFAKE LOG LINE", &err), -EINVAL);
        assert_string_equal(err, "invalid volume name 'x?FAKE LOG LINE' (1 to 127 of A-Z a-z 0-9 + _ . -, not "
                                 "starting with '-')");
        free(err);
        assert_int_equal(vc_volume_name_check("volume group name", NULL, &err), -EINVAL);
        assert_string_equal(err, "no volume group name given");
        free(err);
        char huge[300];
        memset(huge, 'b', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        assert_int_equal(vc_volume_name_check("volume name", huge, &err), -EINVAL);
        assert_non_null(strstr(err, "bbb...'")); /* cut, not 300 bytes of it */
        assert_true(strlen(err) < 250);
        free(err);
}

static void test_size_text(void **state) {
        char b[32];
        assert_string_equal(vc_volume_size_text(0, b, sizeof(b)), "0 B");
        assert_string_equal(vc_volume_size_text(512, b, sizeof(b)), "512 B");
        assert_string_equal(vc_volume_size_text(1024, b, sizeof(b)), "1.0 KiB");
        assert_string_equal(vc_volume_size_text(5000000, b, sizeof(b)), "4.8 MiB");
        assert_string_equal(vc_volume_size_text(4ULL << 30, b, sizeof(b)), "4.0 GiB");
        assert_string_equal(vc_volume_size_text(3ULL << 40, b, sizeof(b)), "3.0 TiB");
        assert_string_equal(vc_volume_size_text(UINT64_MAX, b, sizeof(b)), "16.0 EiB");
}

static void test_lvm_message(void **state) {
        static const struct {
                const char *err, *want;
        } cases[] = {
                {"  WARNING: Activation disabled. No device-mapper interaction will be attempted.\n"
                 "  WARNING: Skipping zeroing and wipping, compiled without activation support.\n"
                 "  Volume group \"vg0\" has insufficient free space (9 extents): 256 required.\n",
                 "Volume group \"vg0\" has insufficient free space (9 extents): 256 required."},
                {"  /dev/mapper/control: open failed: No such device\n"
                 "  Failure to communicate with kernel device-mapper driver.\n"
                 "  Check that device-mapper is available in the kernel.\n"
                 "  Incompatible libdevmapper 1.02.185 (2022-05-18) and kernel driver (unknown version).\n"
                 "  Volume group \"vg0\" not found\n  Cannot process volume group vg0\n",
                 "Volume group \"vg0\" not found"},
                {"\n  \t \n  Failed to find logical volume \"vg/x\"  \r\n", "Failed to find logical volume \"vg/x\""},
                {"  WARNING: first\n  WARNING: second\n", "WARNING: first"},
                {"no newline at the end", "no newline at the end"},
                {"", "exited 5 without a message"},
                {NULL, "exited 5 without a message"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *m = vc_lvm_message(cases[i].err, 5);
                assert_string_equal(m, cases[i].want);
        }
}

/* ---- file backend ---- */

static const struct vc_volume_backend *file_be(void) {
        const struct vc_volume_backend *b = vc_volume_backend_find("file");
        assert_non_null(b);
        return b;
}

static int dir_setup(void **state) {
        char tmpl[] = "/tmp/test_volume.XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        *state = xstrdup(tmpl);
        return 0;
}

static int dir_teardown(void **state) {
        _cleanup_free_ char *cmd = xasprintf("rm -rf '%s'", (char *)*state);
        assert_int_equal(system(cmd), 0);
        free(*state);
        return 0;
}

static void test_file_create(void **state) {
        const char *dir = *state;
        const struct vc_volume_backend *b = file_be();
        struct vc_volume_place p = {.backend = "file", .dir = dir};
        _cleanup_free_ char *path = NULL, *err = NULL, *want = xasprintf("%s/vc-1-vm0.img", dir);
        mode_t old = umask(0); /* whatever the umask, the file is 0600 */
        assert_int_equal(b->create(&p, "vc-1-vm0", 4ULL << 30, &path, &err), 0);
        umask(old);
        assert_null(err);
        assert_string_equal(path, want);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_true((uint64_t)st.st_size == 4ULL << 30);
        assert_int_equal(st.st_blocks, 0); /* sparse */

        /* A replay: the same size is success with the same path, the file untouched. */
        _cleanup_free_ char *path2 = NULL;
        assert_int_equal(b->create(&p, "vc-1-vm0", 4ULL << 30, &path2, &err), 0);
        assert_string_equal(path2, want);

        /* Another size is refused, saying both. */
        _cleanup_free_ char *path3 = NULL;
        assert_int_equal(b->create(&p, "vc-1-vm0", 8ULL << 30, &path3, &err), -EEXIST);
        assert_null(path3);
        _cleanup_free_ char *msg =
                xasprintf("create vc-1-vm0 (8.0 GiB) in %s: vc-1-vm0.img already exists with 4.0 GiB "
                          "(4294967296 bytes), not 8589934592 bytes",
                          dir);
        assert_string_equal(err, msg);
        assert_int_equal(stat(path, &st), 0);
        assert_true((uint64_t)st.st_size == 4ULL << 30);

        /* A trailing slash on the directory does not double in the path. */
        _cleanup_free_ char *slashed = xasprintf("%s/", dir), *path4 = NULL;
        struct vc_volume_place ps = {.backend = "file", .dir = slashed};
        assert_int_equal(b->create(&ps, "vc-1-vm0", 4ULL << 30, &path4, &err), 0);
        assert_string_equal(path4, want);
}

static void test_file_create_odd(void **state) {
        const char *dir = *state;
        const struct vc_volume_backend *b = file_be();
        struct vc_volume_place p = {.backend = "file", .dir = dir};
        char *path = NULL, *err = NULL;

        /* A create interrupted after open, before ftruncate, is finished by the replay. */
        _cleanup_free_ char *empty = xasprintf("%s/vc-2-vm0.img", dir);
        int fd = open(empty, O_CREAT | O_WRONLY, 0600);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(b->create(&p, "vc-2-vm0", 5000000, &path, &err), 0);
        struct stat st;
        assert_int_equal(stat(empty, &st), 0);
        assert_int_equal(st.st_size, 5000000); /* files take any size, no rounding */
        free(path);

        /* Not a regular file at NAME.img (a symlink, a directory): refused, not followed. */
        _cleanup_free_ char *link = xasprintf("%s/vc-2-vm1.img", dir), *sub = xasprintf("%s/vc-2-vm2.img", dir);
        assert_int_equal(symlink("/etc/passwd", link), 0);
        assert_int_equal(b->create(&p, "vc-2-vm1", 4096, &path, &err), -EEXIST);
        assert_non_null(strstr(err, "vc-2-vm1.img already exists and is not a regular file"));
        free(err);
        assert_int_equal(mkdir(sub, 0700), 0);
        assert_int_equal(b->create(&p, "vc-2-vm2", 4096, &path, &err), -EEXIST);
        free(err);
        err = NULL;

        /* Refused before anything is touched: bad names, no size, relative or missing directory. */
        assert_int_equal(b->create(&p, "../x", 4096, &path, &err), -EINVAL);
        assert_non_null(strstr(err, "invalid file volume name '../x'"));
        free(err);
        assert_int_equal(b->create(&p, "vc-2-vm3", 0, &path, &err), -EINVAL);
        assert_non_null(strstr(err, "a volume is 1 byte to 8 EiB"));
        free(err);
        struct vc_volume_place rel = {.backend = "file", .dir = "images"};
        assert_int_equal(b->create(&rel, "vc-2-vm3", 4096, &path, &err), -EINVAL);
        assert_string_equal(err, "file volumes need an absolute directory, not 'images'");
        free(err);
        _cleanup_free_ char *missing = xasprintf("%s/no/such", dir);
        struct vc_volume_place gone = {.backend = "file", .dir = missing};
        assert_int_equal(b->create(&gone, "vc-2-vm3", 4096, &path, &err), -ENOENT);
        _cleanup_free_ char *want = xasprintf("create vc-2-vm3 (4.0 KiB) in %s: directory %s does not exist", missing,
                                              missing);
        assert_string_equal(err, want);
        free(err);
        assert_int_equal(b->remove(&gone, "vc-2-vm3", &err), -ENOENT);
        assert_non_null(strstr(err, missing));
        free(err);
        struct vc_volume_info *v = NULL;
        size_t n = 0;
        assert_int_equal(b->list(&gone, NULL, &v, &n, &err), -ENOENT);
        _cleanup_free_ char *lwant = xasprintf("list volumes in %s: directory %s does not exist", missing, missing);
        assert_string_equal(err, lwant);
        free(err);
        assert_int_equal(access(missing, F_OK), -1); /* never created */
}

static void test_file_remove_list(void **state) {
        const char *dir = *state;
        const struct vc_volume_backend *b = file_be();
        struct vc_volume_place p = {.backend = "file", .dir = dir};
        static const char *const names[] = {"vc-3-vm1", "vc-3-vm0", "vc-30-vm0", "vc-4-vm0"};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char *path = NULL, *err = NULL;
                assert_int_equal(b->create(&p, names[i], (i + 1) << 20, &path, &err), 0);
                free(path);
        }
        /* Things that are not volumes: other suffixes, a directory, a bad name, a bare ".img". */
        static const char *const others[] = {"vc-3-x.raw", "vc-3-x.img.tmp", ".img", "-vc-3-x.img"};
        for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
                _cleanup_free_ char *f = xasprintf("%s/%s", dir, others[i]);
                int fd = open(f, O_CREAT | O_WRONLY, 0600);
                assert_true(fd >= 0);
                close(fd);
        }
        _cleanup_free_ char *d = xasprintf("%s/vc-3-dir.img", dir);
        assert_int_equal(mkdir(d, 0700), 0);

        struct vc_volume_info *v = NULL;
        size_t n = 0;
        char *err = NULL;
        assert_int_equal(b->list(&p, "vc-3-", &v, &n, &err), 0);
        assert_int_equal(n, 2); /* sorted, exact prefix (not vc-30-) */
        assert_string_equal(v[0].name, "vc-3-vm0");
        assert_int_equal(v[0].bytes, 2 << 20);
        assert_string_equal(v[1].name, "vc-3-vm1");
        assert_int_equal(v[1].bytes, 1 << 20);
        vc_volume_infos_free(v, n);
        assert_int_equal(b->list(&p, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 4);
        assert_string_equal(v[2].name, "vc-30-vm0");
        vc_volume_infos_free(v, n);

        /* remove twice: the second finds it gone, which is success */
        assert_int_equal(b->remove(&p, "vc-3-vm0", &err), 0);
        assert_int_equal(b->remove(&p, "vc-3-vm0", &err), 0);
        assert_null(err);
        assert_int_equal(b->list(&p, "vc-3-", &v, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(v[0].name, "vc-3-vm1");
        vc_volume_infos_free(v, n);

        assert_int_equal(b->remove(&p, "-rf", &err), -EINVAL);
        free(err);
        /* a directory at NAME.img is not removed (unlink refuses) */
        assert_true(b->remove(&p, "vc-3-dir", &err) < 0);
        assert_non_null(strstr(err, "remove vc-3-dir from"));
        free(err);

        assert_int_equal(b->list(&p, "vc-9-", &v, &n, &err), 0);
        assert_int_equal(n, 0);
        assert_null(v);
}

struct worker {
        const char *dir;
        int id, failures;
};

/* worker: its own volume, created, re-created, listed and removed 50 times. */
static void *worker(void *arg) {
        struct worker *w = arg;
        const struct vc_volume_backend *b = vc_volume_backend_find("file");
        struct vc_volume_place p = {.backend = "file", .dir = w->dir};
        _cleanup_free_ char *name = xasprintf("vc-6-vm%d", w->id);
        for (int round = 0; round < 50; round++) {
                char *path = NULL, *err = NULL;
                struct vc_volume_info *v = NULL;
                size_t n = 0;
                bool ok = b->create(&p, name, 1 << 20, &path, &err) == 0;
                free(path);
                path = NULL;
                ok = ok && b->create(&p, name, 1 << 20, &path, &err) == 0;
                free(path);
                ok = ok && b->list(&p, name, &v, &n, &err) == 0 && n == 1 && streq(v[0].name, name);
                vc_volume_infos_free(v, n);
                ok = ok && b->remove(&p, name, &err) == 0;
                if (!ok) {
                        print_error("worker %d round %d: %s\n", w->id, round, err ? err : "wrong list");
                        w->failures++;
                }
                free(err);
        }
        return NULL;
}

/* Different names from many threads at once: nothing shared, nothing lost. */
static void test_file_threads(void **state) {
        enum { N = 8 };
        pthread_t t[N];
        struct worker w[N];
        for (int i = 0; i < N; i++) {
                w[i] = (struct worker){.dir = *state, .id = i};
                assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
        }
        for (int i = 0; i < N; i++) {
                pthread_join(t[i], NULL);
                assert_int_equal(w[i].failures, 0);
        }
        const struct vc_volume_backend *b = file_be();
        struct vc_volume_place p = {.backend = "file", .dir = *state};
        struct vc_volume_info *v = NULL;
        size_t n = 9;
        char *err = NULL;
        assert_int_equal(b->list(&p, NULL, &v, &n, &err), 0);
        assert_int_equal(n, 0);
}

/* The lvm backend refuses bad names before running anything: with an empty
 * PATH a command that ran would fail with ENOENT, not EINVAL. */
static void test_lvm_refuses_before_running(void **state) {
        const char *dir = *state;
        const struct vc_volume_backend *b = vc_volume_backend_find("lvm");
        assert_non_null(b);
        _cleanup_free_ char *old = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
        setenv("PATH", dir, 1);
        static const struct {
                const char *vg, *pool, *name, *want;
        } bad[] = {
                {"vg0", NULL, "--help", "invalid lvm volume name '--help'"},
                {"vg0", NULL, "a/b", "invalid lvm volume name 'a/b'"},
                {"-vg", NULL, "a", "invalid volume group name '-vg'"},
                {NULL, NULL, "a", "no volume group name given"},
                {"vg0", "../p", "a", "invalid thin pool name '../p'"},
        };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                struct vc_volume_place p = {.backend = "lvm", .vg = bad[i].vg, .thin_pool = bad[i].pool};
                char *path = NULL, *err = NULL;
                assert_int_equal(b->create(&p, bad[i].name, 4096, &path, &err), -EINVAL);
                assert_non_null(strstr(err, bad[i].want));
                free(err);
                assert_int_equal(b->remove(&p, bad[i].name, &err), -EINVAL);
                free(err);
        }
        struct vc_volume_place p = {.backend = "lvm", .vg = "vg0"};
        char *path = NULL, *err = NULL;
        assert_int_equal(b->create(&p, "a", 0, &path, &err), -EINVAL);
        assert_string_equal(err, "lvcreate a (0 B) in vg0: a volume is 1 byte to 8 EiB");
        free(err);
        /* A valid request runs lvcreate: here it is not there, and the error says so. */
        assert_int_equal(b->create(&p, "vc-5-vm0", 4ULL << 30, &path, &err), -ENOENT);
        assert_string_equal(err, "lvcreate vc-5-vm0 (4.0 GiB) in vg0: cannot execute 'lvcreate': No such file or "
                                 "directory");
        free(err);
        struct vc_volume_info *v = NULL;
        size_t n = 0;
        assert_int_equal(b->list(&p, "vc-", &v, &n, &err), -ENOENT);
        assert_non_null(strstr(err, "lvs in vg0: cannot execute 'lvs'"));
        free(err);
        setenv("PATH", old, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lvs_parse),
                cmocka_unit_test(test_lvs_parse_lookup_fields),
                cmocka_unit_test(test_lvs_parse_empty),
                cmocka_unit_test(test_lvs_parse_malformed),
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_size_text),
                cmocka_unit_test(test_lvm_message),
                cmocka_unit_test_setup_teardown(test_file_create, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_file_create_odd, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_file_remove_list, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_file_threads, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_lvm_refuses_before_running, dir_setup, dir_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
