#include "table.h"

#include "util.h"

struct vc_table {
        size_t cols, rows;
        char **cells; /* rows × cols, row 0 is the header */
};

static bool print_headers = true;

void vc_table_headers(bool on) { print_headers = on; }

struct vc_table *vc_table_new(const char *const *header) {
        struct vc_table *t = xcalloc(1, sizeof(*t));
        while (header[t->cols])
                t->cols++;
        vc_table_add(t, header);
        return t;
}

void vc_table_add(struct vc_table *t, const char *const *cells) {
        t->cells = xrealloc(t->cells, (t->rows + 1) * t->cols * sizeof(char *));
        for (size_t c = 0; c < t->cols; c++)
                t->cells[t->rows * t->cols + c] = xstrdup(cells[c] ? cells[c] : "");
        t->rows++;
}

void vc_table_print(struct vc_table *t, FILE *f) {
        _cleanup_free_ size_t *w = xcalloc(t->cols, sizeof(size_t));
        size_t first = print_headers ? 0 : 1;
        for (size_t i = first * t->cols; i < t->rows * t->cols; i++) {
                size_t n = strlen(t->cells[i]);
                if (n > w[i % t->cols])
                        w[i % t->cols] = n;
        }
        for (size_t r = first; r < t->rows; r++) {
                for (size_t c = 0; c < t->cols; c++) {
                        const char *s = t->cells[r * t->cols + c];
                        if (c + 1 == t->cols)
                                fprintf(f, "%s\n", s);
                        else
                                fprintf(f, "%-*s  ", (int)w[c], s);
                }
        }
        for (size_t i = 0; i < t->rows * t->cols; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
}
