/* aptindex.h — preloading a cache from package names: the .deb URLs that an
 * `apt-get install` of those names fetches from a flat Debian repository
 * (apt's "deb BASE ./"), read from the repository's own index (its Packages
 * file), for a guest that has none of them.
 *
 * A preload list line "apt BASE NAME…" names the repository and the
 * packages (NAME may be @FILE: the names in FILE, one per line, first word,
 * as `dpkg-query -W` prints an image's package list). Dependencies are
 * followed inside the index only: a Depends or Pre-Depends that the index
 * does not hold is taken to be in the guest's image already, as apt would
 * find it installed. Of alternatives (a | b) the first the index holds is
 * taken; of several stanzas of one package, the first.
 */
#ifndef VC_APTINDEX_H
#define VC_APTINDEX_H

#include <stdbool.h>

/* A repository and the packages to preload from it. */
struct vc_apt_source {
        char *base;   /* http://…/ (ends with '/') */
        char **names; /* package names and @FILE, NULL-terminated */
};

/* vc_apt_source_clear: free what a source holds (it may be zeroed). */
void vc_apt_source_clear(struct vc_apt_source *s);
/* vc_apt_name_ok: whether name is a Debian package name (policy 5.6.1: [a-z0-9][a-z0-9+.-]+). */
bool vc_apt_name_ok(const char *name);
/* vc_apt_names_parse: the package names of a package list (text of file):
 * one per line, its first word, blank lines and '#' comments skipped; 0 with
 * *names (strv), or -EINVAL with *err "FILE:LINE: why". */
int vc_apt_names_parse(const char *file, const char *text, char ***names, char **err);
/* vc_apt_index_urls: base + Filename of every package of names and of what
 * they depend on that index (a Packages file's text) holds, each once, in
 * the order found; names the index does not hold into *missing. 0, or
 * -EINVAL with *err when a stanza has no Filename or an unsafe one. */
int vc_apt_index_urls(const char *base, const char *index, char *const *names, char ***urls, char ***missing,
                      char **err);

#endif
