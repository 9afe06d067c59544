/* The focus grid: D-pad moves over rows of cells of any length. Pure logic, no SDL. */

#include <stdint.h>
#include <string.h>

#include "binge/ui.h"

void ui_grid_init(struct ui_focus_grid *g, unsigned flags)
{
    memset(g, 0, sizeof(*g));
    g->flags = flags;
}

static size_t clamp_col(const struct ui_focus_grid *g, size_t row, size_t col)
{
    size_t n = g->cols[row];
    return n == 0 ? 0 : col < n ? col : n - 1;
}

void ui_grid_set_rows(struct ui_focus_grid *g, const size_t *cols, size_t n_rows)
{
    if (n_rows > UI_GRID_MAX_ROWS)
        n_rows = UI_GRID_MAX_ROWS;
    for (size_t r = 0; r < n_rows; r++)
        g->cols[r] = cols[r];
    for (size_t r = n_rows; r < UI_GRID_MAX_ROWS; r++)
        g->cols[r] = g->remembered[r] = 0;
    g->n_rows = n_rows;
    for (size_t r = 0; r < n_rows; r++)
        g->remembered[r] = clamp_col(g, r, g->remembered[r]);
    if (n_rows == 0) {
        g->row = g->col = 0;
        return;
    }
    if (g->row >= n_rows) {
        /* The focused row is gone: the last row, where it was left (or in the same column). */
        g->row = n_rows - 1;
        if (!(g->flags & UI_GRID_SAME_COLUMN))
            g->col = g->remembered[g->row];
    }
    g->col = clamp_col(g, g->row, g->col);
    g->remembered[g->row] = g->col;
}

void ui_grid_focus(struct ui_focus_grid *g, size_t row, size_t col)
{
    if (g->n_rows == 0)
        return;
    g->row = row < g->n_rows ? row : g->n_rows - 1;
    g->col = clamp_col(g, g->row, col);
    g->remembered[g->row] = g->col;
}

size_t ui_grid_col_of(const struct ui_focus_grid *g, size_t row)
{
    if (row >= g->n_rows)
        return 0;
    return row == g->row ? g->col : g->remembered[row];
}

/* The row drow (-1 or 1) away from the focus under the rules, or SIZE_MAX for none. */
static size_t next_row(const struct ui_focus_grid *g, int drow)
{
    size_t r = g->row;
    for (size_t tries = 0; tries < g->n_rows; tries++) {
        if (drow < 0) {
            if (r == 0) {
                if (!(g->flags & UI_GRID_WRAP_ROWS))
                    return SIZE_MAX;
                r = g->n_rows;
            }
            r--;
        } else {
            if (r + 1 >= g->n_rows) {
                if (!(g->flags & UI_GRID_WRAP_ROWS))
                    return SIZE_MAX;
                r = SIZE_MAX; /* r + 1 == 0 */
            }
            r++;
        }
        if (r == g->row)
            return SIZE_MAX;
        if (g->cols[r] > 0 || !(g->flags & UI_GRID_SKIP_EMPTY))
            return r;
    }
    return SIZE_MAX;
}

bool ui_grid_move(struct ui_focus_grid *g, int drow, int dcol)
{
    if (g->n_rows == 0)
        return false;
    size_t row0 = g->row, col0 = g->col;
    if (drow) {
        size_t r = next_row(g, drow < 0 ? -1 : 1);
        if (r != SIZE_MAX) {
            size_t col = g->flags & UI_GRID_SAME_COLUMN ? g->col : g->remembered[r];
            g->row = r;
            g->col = clamp_col(g, r, col);
        }
    }
    if (dcol) {
        size_t n = g->cols[g->row];
        if (dcol < 0 && g->col > 0) {
            g->col--;
        } else if (dcol > 0 && n && g->col + 1 < n) {
            g->col++;
        } else if (g->flags & UI_GRID_FLOW) {
            /* the row before or after, in text order (around the end only with WRAP_ROWS) */
            size_t r = next_row(g, dcol < 0 ? -1 : 1);
            if (r != SIZE_MAX && g->cols[r] > 0) {
                g->row = r;
                g->col = dcol < 0 ? g->cols[r] - 1 : 0;
            }
        } else if ((g->flags & UI_GRID_WRAP_COLS) && n > 1) {
            g->col = dcol < 0 ? n - 1 : 0;
        }
    }
    g->remembered[g->row] = g->col;
    return g->row != row0 || g->col != col0;
}
