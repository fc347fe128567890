/* table.h — aligned columns for humans, like sinfo/squeue: a header row,
 * then rows, each column as wide as its widest cell. */
#ifndef VC_TABLE_H
#define VC_TABLE_H

#include <stdbool.h>
#include <stdio.h>

struct vc_table;

/* vc_table_new: a table with the given NULL-terminated header cells. */
struct vc_table *vc_table_new(const char *const *header);
/* vc_table_add: append a row of exactly as many cells as the header (copied). */
void vc_table_add(struct vc_table *t, const char *const *cells);
/* vc_table_headers: whether vc_table_print prints header rows (default yes;
 * the CLIs' --noheader turns them off, as squeue's does). */
void vc_table_headers(bool on);
/* vc_table_print: print and free the table. */
void vc_table_print(struct vc_table *t, FILE *f);

#endif
