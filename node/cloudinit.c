#include "cloudinit.h"

#include <arpa/inet.h>
#include <errno.h>

#include "domxml.h"
#include "hostfile.h"
#include "sshkey.h"
#include "util.h"

#define BOUNDARY "==vcluster-seed=="

unsigned vc_ci_mtu(const char *tunnel_kind) {
        if (tunnel_kind && streq(tunnel_kind, "vxlan"))
                return 1500 - VC_VXLAN_OVERHEAD;
        if (tunnel_kind && streq(tunnel_kind, "openvpn"))
                return 1500 - VC_OPENVPN_OVERHEAD;
        return 0;
}

/* dump: a JSON document as text, a line of its own (malloc'd). */
static char *dump(json_t *doc, const char *head) {
        _cleanup_free_ char *body = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        if (!body)
                abort();
        return xasprintf("%s%s\n", head, body);
}

char *vc_ci_meta_data(const struct vc_ci_guest *g) {
        return dump(json_pack("{s:s, s:s}", "instance-id", g->instance, "local-hostname", g->name), "");
}

char *vc_ci_network_config(const struct vc_ci_guest *g) {
        _cleanup_free_ char *addr = xasprintf("%s/%u", g->ip, g->prefix);
        json_t *cluster = json_pack("{s:{s:s}, s:[s]}", "match", "macaddress", g->mac, "addresses", addr);
        if (g->mtu)
                json_object_set_new(cluster, "mtu", json_integer(g->mtu));
        json_t *eth = json_pack("{s:o}", "cluster0", cluster);
        if (g->public_mac)
                json_object_set_new(eth, "public0", json_pack("{s:{s:s}, s:b, s:b}", "match", "macaddress",
                                                              g->public_mac, "dhcp4", 1, "optional", 1));
        return dump(json_pack("{s:i, s:o}", "version", 2, "ethernets", eth), "");
}

char *vc_ci_hosts(const json_t *hosts) {
        char *t = xstrdup("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        size_t i;
        json_t *h;
        json_array_foreach(hosts, i, h) {
                char *n = xasprintf("%s%s\t%s\n", t, json_string_value(json_object_get(h, "ip")),
                                    json_string_value(json_object_get(h, "name")));
                free(t);
                t = n;
        }
        return t;
}

char *vc_ci_mca_params(const char *ip, unsigned prefix) {
        struct in_addr a = {0};
        if (inet_pton(AF_INET, ip, &a) != 1 || prefix > 32)
                return NULL;
        uint32_t mask = prefix ? ~0u << (32 - prefix) : 0;
        a.s_addr = htonl(ntohl(a.s_addr) & mask);
        char net[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &a, net, sizeof(net));
        /* ob1 over TCP: UCX would pick transports TCG guests do not have;
         * the subnet keeps the frontend's public NIC out of MPI's traffic */
        return xasprintf("# slurm-vcluster: MPI between this cluster's guests, on its own network\n"
                         "pml = ob1\n"
                         "btl = self,vader,tcp\n"
                         "btl_tcp_if_include = %s/%u\n"
                         "oob_tcp_if_include = %s/%u\n"
                         "plm_rsh_agent = ssh\n",
                         net, prefix, net, prefix);
}

/* below: whether path is dir or below it ("/" is above everything). */
static bool below(const char *path, const char *dir) {
        size_t n = strlen(dir);
        if (streq(dir, "/"))
                return true;
        return !strncmp(path, dir, n) && (path[n] == 0 || path[n] == '/');
}

/* share_refused: why path cannot be the guests' mount point of the job's
 * directory (it would hide or be written by the guest's own system), or
 * NULL. root's home is its own: the keys cloud-init writes would land in it. */
static const char *share_refused(const char *path, bool root) {
        static const char *const hidden[] = {"/", "/home", "/tmp", "/var", "/opt", "/srv", "/mnt", "/media"};
        static const char *const system[] = {"/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32",
                                             "/proc", "/run", "/sbin", "/sys", "/usr", "/var/lib/cloud",
                                             "/var/lib/vcluster"};
        if (path[0] != '/' || strchr(path, '\n') || strstr(path, "/../") || strstr(path, "/./") ||
            (strlen(path) > 1 && path[strlen(path) - 1] == '/'))
                return "not a canonical absolute path";
        for (size_t i = 0; i < ARRAY_SIZE(hidden); i++)
                if (streq(path, hidden[i]))
                        return "it would hide the guest's own files";
        for (size_t i = 0; i < ARRAY_SIZE(system); i++)
                if (below(path, system[i]))
                        return "a system directory of the guest";
        if (root && below("/root", path))
                return "root's home in the guest (its keys would be written there)";
        return NULL;
}

/* posix_name: a name useradd/groupadd take everywhere, safe in a path. */
static bool posix_name(const char *s) {
        if (!s || !*s || strlen(s) > 32 || !((*s >= 'a' && *s <= 'z') || *s == '_'))
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
                        return false;
        return true;
}

static json_t *file(const char *path, const char *content, const char *mode, const char *owner, bool defer) {
        json_t *f = json_pack("{s:s, s:s, s:s}", "path", path, "content", content, "permissions", mode);
        if (owner)
                json_object_set_new(f, "owner", json_string(owner));
        if (defer) /* after users-groups made the owner (final stage) */
                json_object_set_new(f, "defer", json_true());
        return f;
}

/* cloud_config: our part, as a JSON document. */
static json_t *cloud_config(const struct vc_ci_guest *g, const struct vc_ci_user *u, const json_t *hosts,
                            const char *hostfile, const char *host_pub, const char *host_priv) {
        _cleanup_free_ char *etc_hosts = vc_ci_hosts(hosts);
        bool root = u->uid == 0;
        _cleanup_free_ char *home = root ? xstrdup("/root") : xasprintf("/home/%s", u->name);
        if (!root && g->share && below(home, g->share)) {
                /* the share covers the home: keys written there would be the host's */
                free(home);
                home = xasprintf("/var/lib/vcluster/home/%s", u->name);
        }
        _cleanup_free_ char *owner = xasprintf("%s:%s", u->name, u->group);
        _cleanup_free_ char *ssh = xasprintf("%s/.ssh", home);
        _cleanup_free_ char *id = xasprintf("%s/id_ed25519", ssh), *idpub = xasprintf("%s/id_ed25519.pub", ssh),
                            *kh = xasprintf("%s/known_hosts", ssh), *ak = xasprintf("%s/authorized_keys", ssh);
        _cleanup_free_ char *pubnl = xasprintf("%s\n", u->pub);
        json_t *keys = json_array(), *k;
        size_t i;
        json_array_foreach(u->keys, i, k) json_array_append(keys, k);
        json_array_append_new(keys, json_string(u->pub));
        json_t *files = json_array(), *bootcmd = json_array();
        json_array_append_new(files, file("/etc/hosts", etc_hosts, "0644", NULL, false));
        json_array_append_new(files, file(id, u->priv, "0600", owner, true));
        json_array_append_new(files, file(idpub, pubnl, "0644", owner, true));
        json_array_append_new(files, file(kh, u->known_hosts, "0644", owner, true));
        json_array_append_new(files, file(VC_HOSTFILE_PATH, hostfile, "0644", NULL, false));
        _cleanup_free_ char *mca = vc_ci_mca_params(g->ip, g->prefix);
        if (mca)
                json_array_append_new(files, file("/etc/openmpi/openmpi-mca-params.conf", mca, "0644", NULL, false));
        json_t *cc = json_pack("{s:s, s:s, s:b, s:b, s:b, s:b, s:[], s:{s:s, s:s}}", "hostname", g->name, "locale",
                               "C.UTF-8",
                               "preserve_hostname", 0, "manage_etc_hosts", 0, "ssh_pwauth", 0, "ssh_deletekeys",
                               1, "ssh_genkeytypes", "ssh_keys", "ed25519_private", host_priv, "ed25519_public",
                               host_pub);
        if (root) {
                /* root exists already: no user to make, its keys written as files */
                _cleanup_free_ char *ak_text = NULL;
                json_array_foreach(keys, i, k) {
                        char *n = xasprintf("%s%s\n", ak_text ? ak_text : "", json_string_value(k));
                        free(ak_text);
                        ak_text = n;
                }
                json_array_append_new(files, file(ak, ak_text, "0600", owner, false));
                json_object_set_new(cc, "disable_root", json_false());
                json_object_set_new(cc, "users", json_array());
                json_decref(keys);
        } else {
                /* The primary group first, with the host's gid: cloud-init's
                 * groups module takes no gid, so groupadd does it, once per
                 * instance, before users-groups runs. */
                char gid[16], uid[16];
                snprintf(gid, sizeof(gid), "%u", (unsigned)u->gid);
                snprintf(uid, sizeof(uid), "%u", (unsigned)u->uid);
                json_array_append_new(bootcmd, json_pack("[s,s,s,s,s,s,s]", "cloud-init-per", "instance",
                                                         "vcluster-group", "groupadd", "-g", gid, u->group));
                json_t *user = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:o}", "name", u->name, "uid", uid,
                                         "primary_group", u->group, "no_user_group", 1, "homedir", home, "shell",
                                         "/bin/bash", "lock_passwd", 1, "ssh_authorized_keys", keys);
                if (u->sudo)
                        json_object_set_new(user, "sudo", json_string("ALL=(ALL) NOPASSWD:ALL"));
                json_object_set_new(cc, "users", json_pack("[o]", user));
        }
        if (g->share) {
                /* every boot, before write_files and users: the job's
                 * directory at its own path, as the host has it */
                json_array_append_new(bootcmd, json_pack("[s,s]", "modprobe", "9pnet_virtio"));
                json_array_append_new(bootcmd, json_pack("[s,s,s]", "mkdir", "-p", g->share));
                json_array_append_new(bootcmd, json_pack("[s,s,s,s,s,s,s]", "mount", "-t", "9p", "-o",
                                                         "trans=virtio,version=9p2000.L,msize=262144",
                                                         VC_SHARE_TAG, g->share));
        }
        if (json_array_size(bootcmd))
                json_object_set_new(cc, "bootcmd", bootcmd);
        else
                json_decref(bootcmd);
        json_object_set_new(cc, "write_files", files);
        return cc;
}

/* base64_lines: data as base64 in lines of 76, as MIME wants them (malloc'd). */
static char *base64_lines(const char *data, size_t len) {
        _cleanup_free_ char *b = vc_base64(data, len);
        size_t n = strlen(b);
        char *out = xmalloc(n + n / 76 + 2), *o = out;
        for (size_t i = 0; i < n; i += 76) {
                size_t m = n - i < 76 ? n - i : 76;
                memcpy(o, b + i, m);
                o += m;
                *o++ = '\n';
        }
        *o = 0;
        explicit_bzero(b, n);
        return out;
}

/* sh_quote: s as one single-quoted shell word (malloc'd). */
static char *sh_quote(const char *s) {
        char *out = xstrdup("'");
        for (; *s; s++) {
                char *n = *s == '\'' ? xasprintf("%s'\\''", out) : xasprintf("%s%c", out, *s);
                free(out);
                out = n;
        }
        char *n = xasprintf("%s'", out);
        free(out);
        return n;
}

/* up_script: the last part: "up NAME" on the agent port once sshd answers
 * and the share (if any) is mounted: a guest that is up has its share. */
static char *up_script(const char *name, const char *share) {
        _cleanup_free_ char *q = share ? sh_quote(share) : NULL;
        _cleanup_free_ char *mounted = share ? xasprintf(" || ! mountpoint -q %s", q) : xstrdup("");
        return xasprintf("#!/bin/sh\n"
                         "# slurm-vcluster: tell the host this guest is up, once sshd answers on port 22.\n"
                         "i=0\n"
                         "while [ $i -lt 600 ] && { ! ssh-keyscan -T 2 -t ed25519 127.0.0.1 2>/dev/null | grep -q ed25519%s; }; do\n"
                         "\tsleep 1; i=$((i + 1))\n"
                         "done\n"
                         "%s%s%s"
                         "# the host reads the line when it connects; until then the write waits\n"
                         "printf 'up %%s\\n' '%s' >/dev/virtio-ports/" VC_AGENT_CHANNEL "\n",
                         mounted, share ? "mountpoint -q " : "", share ? q : "",
                         share ? " || { echo \"vcluster: the job's directory is not mounted\" >&2; exit 1; }\n" : "",
                         name);
}

char *vc_ci_user_data(const struct vc_ci_guest *g, const struct vc_ci_user *u, const json_t *hosts,
                      const char *host_pub, const char *host_priv, const struct vc_ci_part *part, char **err) {
        if (!posix_name(u->name) || !posix_name(u->group)) {
                *err = xasprintf("user %s (group %s): not a name a guest can take ([a-z_][a-z0-9_.-]*, at most 32)",
                                 u->name ? u->name : "?", u->group ? u->group : "?");
                return NULL;
        }
        if (!posix_name(g->name)) {
                *err = xasprintf("guest name %s: not a host name", g->name);
                return NULL;
        }
        _cleanup_free_ char *hostfile = NULL;
        if (vc_hostfile_text(hosts, g->slots ? g->slots : 1, &hostfile, err) < 0)
                return NULL;
        const char *why = g->share ? share_refused(g->share, u->uid == 0) : NULL;
        if (why) {
                *err = xasprintf("the job's directory %s cannot be shared with the guests: %s (run the job from "
                                 "another directory, --chdir, or with share=no)", g->share, why);
                return NULL;
        }
        _cleanup_secret_ char *cc = dump(cloud_config(g, u, hosts, hostfile, host_pub, host_priv), "#cloud-config\n");
        _cleanup_secret_ char *cc64 = base64_lines(cc, strlen(cc));
        _cleanup_free_ char *user = NULL;
        if (part && part->text) {
                /* base64: the user's bytes can never end a part early */
                _cleanup_free_ char *b64 = base64_lines(part->text, part->len);
                bool script = part->len >= 2 && !memcmp(part->text, "#!", 2);
                user = xasprintf("--" BOUNDARY "\n"
                                 "Content-Type: %s; charset=\"utf-8\"\n"
                                 "MIME-Version: 1.0\n"
                                 "Content-Transfer-Encoding: base64\n"
                                 "%s"
                                 "Content-Disposition: attachment; filename=\"user-data\"\n\n%s",
                                 script ? "text/x-shellscript" : "text/cloud-config",
                                 script ? "" : "Merge-Type: list(append)+dict(recurse_array)+str()\n", b64);
        }
        _cleanup_free_ char *up = up_script(g->name, g->share);
        return xasprintf("Content-Type: multipart/mixed; boundary=\"" BOUNDARY "\"\n"
                         "MIME-Version: 1.0\n\n"
                         "--" BOUNDARY "\n"
                         "Content-Type: text/cloud-config; charset=\"utf-8\"\n"
                         "MIME-Version: 1.0\n"
                         "Content-Transfer-Encoding: base64\n"
                         "Content-Disposition: attachment; filename=\"vcluster.cfg\"\n\n"
                         "%s"
                         "%s"
                         "--" BOUNDARY "\n"
                         "Content-Type: text/x-shellscript; charset=\"us-ascii\"\n"
                         "MIME-Version: 1.0\n"
                         "Content-Disposition: attachment; filename=\"zz-vcluster-up\"\n\n"
                         "%s"
                         "--" BOUNDARY "--\n",
                         cc64, user ? user : "", up);
}
