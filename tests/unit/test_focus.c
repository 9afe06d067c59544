/* The focus grid (src/ui/focus.c): D-pad moves over rows of any length under each rule, the
 * column each row remembers, and new rows under the focus. Table-driven: each row is a start,
 * a move and where the focus must end (or that it must not move). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "binge/ui.h"

struct move_case {
    const char *what;
    unsigned flags;
    size_t row, col; /* the start */
    int drow, dcol;  /* the press */
    bool moved;      /* whether the focus must change */
    size_t want_row, want_col;
};

/* Rows of 5, 2, 0 (empty) and 4 cells. */
static const size_t shape[] = {5, 2, 0, 4};

static const struct move_case cases[] = {
    {"right inside a row", 0, 0, 1, 0, 1, true, 0, 2},
    {"left at a row's start stays", 0, 0, 0, 0, -1, false, 0, 0},
    {"right at a row's end stays", 0, 0, 4, 0, 1, false, 0, 4},
    {"up on the first row stays", 0, 0, 3, -1, 0, false, 0, 3},
    {"down on the last row stays", 0, 3, 1, 1, 0, false, 3, 1},
    {"down clamps to a shorter row", UI_GRID_SAME_COLUMN, 0, 4, 1, 0, true, 1, 1},
    {"down onto an empty row", 0, 1, 1, 1, 0, true, 2, 0},
    {"down skips an empty row", UI_GRID_SKIP_EMPTY, 1, 1, 1, 0, true, 3, 0},
    {"wrap cols: right at the end", UI_GRID_WRAP_COLS, 0, 4, 0, 1, true, 0, 0},
    {"wrap cols: left at the start", UI_GRID_WRAP_COLS, 3, 0, 0, -1, true, 3, 3},
    {"wrap rows: down on the last", UI_GRID_WRAP_ROWS, 3, 0, 1, 0, true, 0, 0},
    {"wrap rows: up on the first", UI_GRID_WRAP_ROWS | UI_GRID_SAME_COLUMN, 0, 2, -1, 0, true, 3,
     2},
    {"flow: right at the end to the next row", UI_GRID_FLOW, 0, 4, 0, 1, true, 1, 0},
    {"flow: left at the start to the previous row", UI_GRID_FLOW, 1, 0, 0, -1, true, 0, 4},
    {"flow skips an empty row", UI_GRID_FLOW | UI_GRID_SKIP_EMPTY, 1, 1, 0, 1, true, 3, 0},
    {"flow: right at the very end stays", UI_GRID_FLOW, 3, 3, 0, 1, false, 3, 3},
};

static void test_moves(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct move_case *c = &cases[i];
        struct ui_focus_grid g;
        ui_grid_init(&g, c->flags);
        ui_grid_set_rows(&g, shape, 4);
        ui_grid_focus(&g, c->row, c->col);
        bool moved = ui_grid_move(&g, c->drow, c->dcol);
        if (moved != c->moved || g.row != c->want_row || g.col != c->want_col)
            fail_msg("%s: moved %d to %zu,%zu, want %d to %zu,%zu", c->what, moved, g.row, g.col,
                     c->moved, c->want_row, c->want_col);
    }
}

/* Carousels: each row comes back to the card it was left on. */
static void test_rows_remember(void **state)
{
    (void)state;
    struct ui_focus_grid g;
    ui_grid_init(&g, 0);
    ui_grid_set_rows(&g, shape, 4);
    ui_grid_move(&g, 0, 1);
    ui_grid_move(&g, 0, 1); /* row 0, card 2 */
    ui_grid_move(&g, 1, 0); /* row 1 starts at its own card 0 */
    assert_int_equal(g.row, 1);
    assert_int_equal(g.col, 0);
    ui_grid_move(&g, 0, 1); /* row 1, card 1 */
    assert_int_equal(ui_grid_col_of(&g, 0), 2);
    ui_grid_move(&g, -1, 0);
    assert_int_equal(g.col, 2); /* back on row 0 where it was */
    ui_grid_move(&g, 1, 0);
    assert_int_equal(g.col, 1); /* and row 1 kept its card too */
    assert_int_equal(ui_grid_col_of(&g, 3), 0);
}

/* New data under the focus (a refreshed home): the focus and the remembered cards stay, clamped
 * to rows that shrank; an empty grid has nowhere to go. */
static void test_new_rows(void **state)
{
    (void)state;
    struct ui_focus_grid g;
    ui_grid_init(&g, 0);
    assert_false(ui_grid_move(&g, 1, 1));
    ui_grid_set_rows(&g, shape, 4);
    ui_grid_focus(&g, 3, 3);
    ui_grid_focus(&g, 0, 4);
    ui_grid_focus(&g, 3, 3);
    const size_t smaller[] = {3, 2, 1, 2};
    ui_grid_set_rows(&g, smaller, 4);
    assert_int_equal(g.row, 3);
    assert_int_equal(g.col, 1);
    assert_int_equal(ui_grid_col_of(&g, 0), 2);
    const size_t fewer[] = {3};
    ui_grid_set_rows(&g, fewer, 1);
    assert_int_equal(g.row, 0);
    assert_int_equal(g.col, 2);
    ui_grid_set_rows(&g, NULL, 0);
    assert_int_equal(g.n_rows, 0);
    assert_false(ui_grid_move(&g, 0, 1));
    /* A focus asked for outside is clamped. */
    ui_grid_set_rows(&g, shape, 4);
    ui_grid_focus(&g, 99, 99);
    assert_int_equal(g.row, 3);
    assert_int_equal(g.col, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_rows_remember),
        cmocka_unit_test(test_new_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
