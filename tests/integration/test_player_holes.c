/* Integration test of how src/player gets past broken media: segments missing from the server
 * (ffmpeg-made streams with non-round segment durations, tests/fixtures/make-streams "holes"),
 * a segment that answers 500, and a server that stops answering while the viewer leaves
 * (player_stop must not wait for it). Real playbin3 pipelines on the loopback server of
 * test_player_util.c, which counts the requests. Waits only stop a hang; nothing asserts a
 * duration. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib.h>

#include "binge/error.h"
#include "binge/player.h"
#include "test_player_util.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct tp_run *new_run(struct player *p)
{
    struct tp_run *r = malloc(sizeof(*r));
    assert_non_null(r);
    tp_run_init(r, p);
    return r;
}

/* Pumps until EOS or ERROR; returns its index or -1. */
static int until_end(struct tp_run *r, int timeout_ms)
{
    int64_t end = tp_now_ms() + timeout_ms;
    int from = r->n;
    while (tp_now_ms() < end) {
        tp_pump(r);
        for (int i = from; i < r->n; i++) {
            if (r->ev[i].type == PLAYER_EVENT_EOS || r->ev[i].type == PLAYER_EVENT_ERROR)
                return i;
        }
        tp_wait_wake(20);
    }
    return -1;
}

/* ---- a stalled server and player_stop ---- */

/* The server stops answering (it reads the request and says nothing) while the viewer leaves:
 * player_stop must return while the server thread is still blocked on the player's request,
 * i.e. without waiting for GStreamer to give up on it; player_free then waits for everything
 * (the sanitizers check that nothing is left). Before, player_stop waited for the pipeline to
 * reach NULL, which hlsdemux2 holds until its download ends: the server thread had been let go
 * by the time it returned.
 * Once player_stop has returned the server answers after all (TP_HTTP_LATE), and the teardown
 * goes on. Left to libsoup's 10 s timeout, the blocking download (a variant playlist, a key)
 * ends in GStreamer 1.22's adaptivedemux2 on_request_sent error path, which unlocks the
 * DownloadRequest after finish_transfer_task let the thread waiting for it free it: a write
 * into freed memory (valgrind, natively) that corrupted the heap, and under qemu-aarch64 a later
 * free crashed (in avcodec_close, 3 runs of 4; docs/testing.md, Under emulation). */
static void stop_while_stalled(const char *stream, const char *stalled, bool preroll)
{
    struct player *p = tp_new_player(NULL);
    assert_non_null(p);
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule(stalled, TP_HTTP_LATE, -1);
    if (preroll) {
        assert_int_equal(player_open(p, tp_http_url("ts-h264/index.m3u8"), 0), 0);
        assert_true(tp_until(r, PLAYER_EVENT_FIRST_FRAME, -1, TP_WAIT_MS) >= 0);
        assert_int_equal(player_preroll(p, tp_http_url(stream), 0), 0);
    } else {
        assert_int_equal(player_open(p, tp_http_url(stream), 0), 0);
    }
    int64_t end = tp_now_ms() + TP_WAIT_MS;
    while (tp_http_held() == 0 && tp_now_ms() < end)
        tp_pump_for(r, 20);
    assert_int_equal(tp_http_held(), 1); /* the player waits for the server */
    player_stop(p);
    int held = tp_http_held();
    print_message("  %s stalled%s: after player_stop the server is %s\n", stalled,
                  preroll ? " (preroll)" : "", held ? "still blocked" : "let go");
    assert_int_equal(held, 1);
    assert_true(player_tearing_down(p)); /* on the reaper thread, waiting for GStreamer */
    assert_int_equal(player_get_state(p), PLAYER_IDLE);
    assert_false(player_has_preroll(p, NULL));
    tp_pump(r);
    free(r);
    tp_http_clear_rules();
    tp_http_release(); /* the answer comes: the teardown waiting for it goes on */
    player_free(p);
    /* player_free waited for the teardown: the request is gone with it. */
    end = tp_now_ms() + TP_WAIT_MS;
    while (tp_http_held() > 0 && tp_now_ms() < end)
        tp_wait_wake(20);
    assert_int_equal(tp_http_held(), 0);
    assert_int_equal(tp_http_idle(), 0); /* and no request of it is left open */
    tp_http_clear_rules();
}

static void test_stop_while_server_stalled(void **state)
{
    (void)state;
    /* hlsdemux2's own downloads: a variant playlist and an AES-128 key. */
    stop_while_stalled("master3/index.m3u8", "master3/v0/index.m3u8", false);
    stop_while_stalled("aes128-rotated/index.m3u8", "aes128-rotated/key1.bin", false);
    /* A prerolled next episode whose server stalls, dropped by the stop. */
    stop_while_stalled("master3/index.m3u8", "master3/v0/index.m3u8", true);
}

/* A preroll dropped while hlsdemux2 waits for the variant playlist of its master (home's instant
 * start drops one at each move of the focus). hlsdemux2 (GStreamer 1.22) fetches it inside its
 * handling of the master's end, blocking; the teardown waits until that handling has ended
 * (pipe.c, manifest_eos: one that starts during the teardown crashed), and goes on once the
 * playlist comes. GStreamer's own PAUSED->READY waits for a handling already under way too, so
 * this passed before as well; it checks that the player's wait ends with the fetch. The window
 * stays well inside libsoup's 10 s timeout: a blocking fetch ended by it goes through 1.22's
 * on_request_sent error path, which writes into freed memory (test_stop_while_server_stalled);
 * with the window scaled (12 s) libsoup gave up first under qemu-arm. */
static void test_preroll_dropped_while_playlist_pending(void **state)
{
    (void)state;
    struct player *p = tp_new_player(NULL);
    assert_non_null(p);
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule("master3/v0/index.m3u8", TP_HTTP_LATE, -1);
    assert_int_equal(player_preroll(p, tp_http_url("master3/index.m3u8"), 0), 0);
    int64_t end = tp_now_ms() + tu_scaled(TP_WAIT_MS);
    while (tp_http_held() == 0 && tp_now_ms() < end)
        tp_pump_for(r, 20);
    assert_int_equal(tp_http_held(), 1); /* hlsdemux2 waits for the variant playlist */
    player_cancel_preroll(p);
    assert_false(player_has_preroll(p, NULL));
    /* Past the teardown's minimum age of a pipeline (1 s, pipe.c), not scaled (see above). */
    tp_pump_for(r, 3000);
    assert_int_equal(tp_http_held(), 1); /* still waiting for its answer */
    assert_true(player_tearing_down(p)); /* and the teardown waits for that */
    tp_http_clear_rules();
    tp_http_release(); /* the playlist comes, the fetch ends, and the teardown goes on */
    assert_true(tp_settle(r));
    assert_int_equal(tp_http_held(), 0);
    free(r);
    player_free(p);
    assert_int_equal(tp_http_idle(), 0); /* no request of it is left open */
}

/* A preroll dropped before its master playlist is in (home's instant start drops one at each
 * move of the focus, and the server can be slower than the viewer): the playlist that comes
 * after the drop is not handed to hlsdemux2, which would fetch the variant playlist for a stream
 * nobody wants, inside its handling of the master's end. In GStreamer 1.22 that handling can
 * overlap the teardown (pipe.c, manifest_eos), which crashed binge under qemu-arm (SIGSEGV in
 * process_manifest) and aborted it under qemu-aarch64. Before: the variant playlist was fetched
 * after the drop (natively, every run). */
static void test_preroll_dropped_before_its_playlist(void **state)
{
    (void)state;
    struct player *p = tp_new_player(NULL);
    assert_non_null(p);
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    tp_http_rule("master3/index.m3u8", TP_HTTP_LATE, 1);
    int asked = tp_http_requests("master3/v0/index.m3u8");
    assert_int_equal(player_preroll(p, tp_http_url("master3/index.m3u8"), 0), 0);
    int64_t end = tp_now_ms() + tu_scaled(TP_WAIT_MS);
    while (tp_http_held() == 0 && tp_now_ms() < end)
        tp_pump_for(r, 20);
    assert_int_equal(tp_http_held(), 1); /* the master playlist is on its way */
    player_cancel_preroll(p);
    tp_http_release(); /* and comes now, to a dropped preroll */
    assert_true(tp_settle(r));
    assert_int_equal(tp_http_held(), 0);
    assert_int_equal(tp_http_requests("master3/v0/index.m3u8"), asked);
    free(r);
    player_free(p);
    assert_int_equal(tp_http_idle(), 0);
    tp_http_clear_rules();
}

/* ---- the test server's own stop ---- */

static atomic_int stop_rc;

static void *stop_main(void *arg)
{
    (void)arg;
    atomic_store(&stop_rc, tp_http_stop());
    tp_wake(NULL);
    return NULL;
}

static int connect_server(void)
{
    int port = 0;
    if (sscanf(tp_http_url(""), "http://127.0.0.1:%d/", &port) != 1)
        return -1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* tp_http_stop ends the connections its clients keep open: one that never sent a request (as a
 * pipeline's did under qemu-aarch64: CI on 8985182 hung after this test's last case) and one
 * in the middle of its request. Before, it waited for their threads, blocked in recv(), for
 * good. Then the server starts again for the cases after this one. */
static void test_http_stop_ends_open_connections(void **state)
{
    (void)state;
    assert_int_equal(tp_http_idle(), 0);
    int before = tp_http_connections(); /* a socket GStreamer left (see tp_http_idle) */
    int quiet = connect_server();
    int half = connect_server();
    assert_true(quiet >= 0 && half >= 0);
    const char *part = "GET /ts-h264/index.m3u8 HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    assert_int_equal(send(half, part, strlen(part), MSG_NOSIGNAL), (ssize_t)strlen(part));
    int64_t end = tp_now_ms() + tu_scaled(TP_WAIT_MS);
    while (tp_http_connections() < before + 2 && tp_now_ms() < end)
        tp_wait_wake(10);
    assert_int_equal(tp_http_connections(), before + 2); /* accepted, threads in recv() */
    atomic_store(&stop_rc, INT_MIN);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_main, NULL), 0);
    end = tp_now_ms() + 2 * tu_scaled(TP_WAIT_MS); /* a bound against the hang, no budget */
    while (atomic_load(&stop_rc) == INT_MIN && tp_now_ms() < end)
        tp_wait_wake(20);
    int rc = atomic_load(&stop_rc);
    print_message("  tp_http_stop with two client connections open: %s\n",
                  rc == INT_MIN ? "HANG" : "returned");
    assert_int_not_equal(rc, INT_MIN);
    pthread_join(t, NULL);
    assert_int_equal(rc, before + 2); /* they were open, and were ended */
    char c;
    assert_int_equal(recv(quiet, &c, 1, 0), 0); /* the clients see the end */
    assert_true(recv(half, &c, 1, 0) <= 0);
    close(quiet);
    close(half);
    assert_int_equal(tp_http_start(tp_streams_dir()), 0);
}

/* ---- missing segments ---- */

/* The holes fixture: 11 s cut by ffmpeg's HLS muxer at 0, 2.2, 4.0667, 6.5 and 8.1333 s
 * (EXTINF 2.2, 1.866667, 2.433333, 1.633333, 2.866667). */
static const int64_t seg_start[] = {0, 2200, 4067, 6500, 8133, 11000};

struct hole_case {
    const char *name;
    int first, last; /* the missing segments, in a row */
    bool master;     /* behind a master playlist: hlsdemux2 reads the EXTINF, the player not */
};

/* Plays holes/<name>/ to its end: EOS, no ERROR, the picture goes on right after the hole (the
 * segment after it is played, not skipped as well), and the missing segments were asked for a
 * bounded number of times. */
static void play_hole(const struct hole_case *c)
{
    struct player *p = tp_new_player(NULL);
    assert_non_null(p);
    struct tp_run *r = new_run(p);
    char entry[128], seg[128];
    snprintf(entry, sizeof(entry), "holes/%s/index.m3u8", c->name);
    if (c->master) {
        char text[512];
        snprintf(text, sizeof(text),
                 "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=300000,"
                 "RESOLUTION=180x320\n%s/index.m3u8\n",
                 c->name);
        snprintf(entry, sizeof(entry), "holes/master-%s.m3u8", c->name);
        char path[160];
        snprintf(path, sizeof(path), "/%s", entry);
        tp_http_put(path, text);
    }
    int64_t hole_from = seg_start[c->first], hole_to = seg_start[c->last + 1];
    assert_int_equal(player_open(p, tp_http_url(entry), 0), 0);
    int64_t end = tp_now_ms() + 3 * TP_WAIT_MS, after = -1, before = -1;
    /* How far it played before its end: the last picture, or the position where the decoder
     * dropped late frames (the sink has qos on; under a loaded qemu-arm the last 3 s of
     * pictures were dropped while the position went on to the end). Sampled before EOS, which
     * sets the position to the duration. */
    int64_t reached = -1;
    int stop = -1;
    while (stop < 0 && tp_now_ms() < end) {
        int from = r->n;
        int64_t pos = player_get_position_ms(p);
        if (pos > reached)
            reached = pos;
        tp_pump(r);
        if (r->frames > 0 && r->last_pts_ms >= hole_to - 50 && after < 0)
            after = r->last_pts_ms; /* the first picture after the hole */
        if (r->frames > 0 && r->last_pts_ms < hole_from)
            before = r->last_pts_ms;
        for (int i = from; i < r->n && stop < 0; i++) {
            if (r->ev[i].type == PLAYER_EVENT_EOS || r->ev[i].type == PLAYER_EVENT_ERROR)
                stop = i;
        }
        tp_wait_wake(10);
    }
    int asked = 0;
    for (int i = c->first; i <= c->last; i++) {
        snprintf(seg, sizeof(seg), "holes/%s/seg0000%d.ts", c->name, i);
        asked += tp_http_requests(seg);
    }
    if (r->last_pts_ms > reached)
        reached = r->last_pts_ms;
    print_message("  hole %-6s (%lld-%lld ms): %s; last picture before it %lld ms, first after "
                  "%lld ms, last %lld ms, played to %lld ms; missing segments asked for %d "
                  "times\n",
                  c->name, (long long)hole_from, (long long)hole_to,
                  stop < 0 ? "HANG" : player_event_name(r->ev[stop].type), (long long)before,
                  (long long)after, (long long)r->last_pts_ms, (long long)reached, asked);
    if (stop < 0 || r->ev[stop].type != PLAYER_EVENT_EOS || getenv("BINGE_TEST_DEBUG"))
        tp_dump(r);
    assert_true(stop >= 0);
    assert_int_equal(r->ev[stop].type, PLAYER_EVENT_EOS);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    assert_int_equal(tp_count(r, PLAYER_EVENT_FIRST_FRAME), 1);
    if (c->last < 4) {
        /* Played on right after the hole: the next segment, not one further. */
        assert_true(after >= hole_to - 50);
        assert_true(after < seg_start[c->last + 2]);
        assert_true(reached >= seg_start[5] - 1000); /* and on to the end */
    } else {
        assert_true(before >= hole_from - 1000); /* played up to the hole */
    }
    if (c->first > 0)
        assert_true(before >= 0 && before < hole_from);
    /* Only the pipeline that meets a missing segment asks for it: hlsdemux2 tries it 4 times,
     * twice that behind a master (measured). The pipeline after the hole starts on the segment
     * after it and fetches nothing before. Before, it prerolled at 0 and fetched the hole again
     * while its start seek went past it (7 requests for "middle", 12 for "two"): on GStreamer
     * 1.22.0 a seek that cancels a failing download can abort the process (recover.c). */
    assert_true(asked <= (c->master ? 8 : 4) * (c->last - c->first + 1));
    free(r);
    player_free(p);
    assert_int_equal(tp_http_idle(), 0); /* no request of the player's left open */
}

/* The first segment missing: there is nothing at 0 to preroll on, so the pipeline after it
 * gets the media playlist without its head and plays from where the rest starts, in the
 * stream's time. (A bug once: it prerolled at 0 again and ended in "the stream was not
 * found".) */
static void test_hole_first(void **state)
{
    (void)state;
    static const struct hole_case c = {"first", 0, 0, false};
    play_hole(&c);
}

/* The same behind a master: the pipe after it opens the variant's media playlist. */
static void test_hole_first_master(void **state)
{
    (void)state;
    static const struct hole_case c = {"first", 0, 0, true};
    play_hole(&c);
}

/* src/player/segments.c, private to the player: the playlist a first-segment hole plays. */
char *player_playlist_drop_head(const char *text, int n);

static void test_playlist_drop_head(void **state)
{
    (void)state;
    const char *plain = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n"
                        "#EXT-X-MEDIA-SEQUENCE:7\n"
                        "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\"\n"
                        "#EXTINF:2.2,\nseg00000.ts\n#EXTINF:1.866667,\nseg00001.ts\n"
                        "#EXTINF:2.433333,\nseg00002.ts\n#EXT-X-ENDLIST\n";
    char *out = player_playlist_drop_head(plain, 1);
    assert_non_null(out);
    /* The key stays (it applies to what follows), the sequence moves on (IVs derive from it). */
    assert_string_equal(out, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n"
                             "#EXT-X-MEDIA-SEQUENCE:8\n"
                             "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\"\n"
                             "#EXTINF:1.866667,\nseg00001.ts\n"
                             "#EXTINF:2.433333,\nseg00002.ts\n#EXT-X-ENDLIST\n");
    g_free(out);
    /* No EXT-X-MEDIA-SEQUENCE: it was 0, and is written before the first segment kept. */
    out = player_playlist_drop_head(
        "#EXTM3U\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n#EXTINF:2,\nc.ts\n", 2);
    assert_non_null(out);
    assert_string_equal(out, "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:2\n#EXTINF:2,\nc.ts\n");
    g_free(out);
    /* What cannot be done safely is refused. */
    assert_null(player_playlist_drop_head(plain, 3)); /* nothing left */
    assert_null(player_playlist_drop_head(plain, 0));
    assert_null(
        player_playlist_drop_head("#EXTM3U\n#EXTINF:2,\n#EXT-X-BYTERANGE:100\na.ts\n#EXTINF:2,\n"
                                  "#EXT-X-BYTERANGE:100\na.ts\n",
                                  1)); /* the second range's offset follows the first */
    assert_null(player_playlist_drop_head(
        "#EXTM3U\n#EXT-X-DISCONTINUITY\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n", 1));
    assert_null(player_playlist_drop_head("#EXTM3U\nno-extinf.ts\n#EXTINF:2,\nb.ts\n", 1));
}

/* src/player/segments.c: the playlist a pipe plays up to a known hole. */
char *player_playlist_keep_head(const char *text, int n);

static void test_playlist_keep_head(void **state)
{
    (void)state;
    const char *plain = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n"
                        "#EXT-X-MEDIA-SEQUENCE:7\n"
                        "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\"\n"
                        "#EXTINF:2.2,\nseg00000.ts\n#EXTINF:1.866667,\nseg00001.ts\n"
                        "#EXTINF:2.433333,\nseg00002.ts\n#EXT-X-ENDLIST\n";
    char *out = player_playlist_keep_head(plain, 2);
    assert_non_null(out);
    assert_string_equal(out, "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n"
                             "#EXT-X-MEDIA-SEQUENCE:7\n"
                             "#EXT-X-KEY:METHOD=AES-128,URI=\"../key.bin\"\n"
                             "#EXTINF:2.2,\nseg00000.ts\n#EXTINF:1.866667,\nseg00001.ts\n"
                             "#EXT-X-ENDLIST\n");
    g_free(out);
    /* A live playlist (no end) gets one: the cut is where hlsdemux2 stops. */
    out = player_playlist_keep_head("#EXTM3U\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n", 1);
    assert_non_null(out);
    assert_string_equal(out, "#EXTM3U\n#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n");
    g_free(out);
    /* Nothing to cut, or not a media playlist we understand. */
    assert_null(player_playlist_keep_head(plain, 3));
    assert_null(player_playlist_keep_head(plain, 0));
    assert_null(player_playlist_keep_head("#EXTM3U\nno-extinf.ts\n#EXTINF:2,\nb.ts\n", 1));
}

static void test_hole_middle(void **state)
{
    (void)state;
    static const struct hole_case c = {"middle", 2, 2, false};
    play_hole(&c);
}

static void test_hole_last(void **state)
{
    (void)state;
    static const struct hole_case c = {"last", 4, 4, false};
    play_hole(&c);
}

static void test_hole_two_in_a_row(void **state)
{
    (void)state;
    static const struct hole_case c = {"two", 1, 2, false};
    play_hole(&c);
}

static void test_hole_two_in_a_row_master(void **state)
{
    (void)state;
    static const struct hole_case c = {"two", 1, 2, true};
    play_hole(&c);
}

/* After a hole is skipped, the pipeline plays a playlist without the segments before the one
 * after the hole: a seek back before the hole must still show what is there (a pipeline of the
 * whole stream), and the hole is skipped again on the way to the end. */
static void test_hole_seek_back(void **state)
{
    (void)state;
    struct player *p = tp_new_player(NULL);
    struct tp_run *r = new_run(p);
    assert_int_equal(player_open(p, tp_http_url("holes/middle/index.m3u8"), 0), 0);
    int64_t end = tp_now_ms() + 3 * TP_WAIT_MS;
    while (r->last_pts_ms < seg_start[3] && tp_count(r, PLAYER_EVENT_EOS) == 0 &&
           tp_now_ms() < end) {
        tp_pump(r);
        tp_wait_wake(10);
    }
    assert_true(r->last_pts_ms >= seg_start[3]); /* past the hole */
    assert_int_equal(tp_count(r, PLAYER_EVENT_EOS), 0);
    assert_int_equal(player_seek(p, 1000), 0);
    int64_t back = -1;
    end = tp_now_ms() + 3 * TP_WAIT_MS;
    int stop = -1;
    while (stop < 0 && tp_now_ms() < end) {
        int from = r->n;
        tp_pump(r);
        if (back < 0 && r->last_pts_ms < seg_start[2])
            back = r->last_pts_ms;
        for (int i = from; i < r->n && stop < 0; i++) {
            if (r->ev[i].type == PLAYER_EVENT_EOS || r->ev[i].type == PLAYER_EVENT_ERROR)
                stop = i;
        }
        tp_wait_wake(10);
    }
    print_message("  seek back to 1000 ms after the hole: first picture %lld ms, then %s at "
                  "%lld ms\n",
                  (long long)back, stop < 0 ? "HANG" : player_event_name(r->ev[stop].type),
                  (long long)r->last_pts_ms);
    if (stop < 0 || r->ev[stop].type != PLAYER_EVENT_EOS)
        tp_dump(r);
    assert_true(back >= 0 && back <= 1000); /* the keyframe at or before 1000 ms */
    assert_true(tp_count(r, PLAYER_EVENT_SEEKED) >= 1);
    assert_true(stop >= 0);
    assert_int_equal(r->ev[stop].type, PLAYER_EVENT_EOS);
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    assert_true(r->last_pts_ms >= seg_start[5] - 1000);
    /* Back before the hole again, then past it: the pipe cut before the hole goes there. */
    assert_int_equal(player_seek(p, 500), 0);
    tp_run_reset(r);
    end = tp_now_ms() + 3 * TP_WAIT_MS;
    while (r->frames == 0 && tp_now_ms() < end) {
        tp_pump(r);
        tp_wait_wake(10);
    }
    assert_true(r->frames > 0 && r->last_pts_ms < seg_start[2]);
    assert_int_equal(player_seek(p, 8500), 0);
    int64_t past = -1;
    end = tp_now_ms() + 3 * TP_WAIT_MS;
    while (past < 0 && tp_now_ms() < end) {
        tp_pump(r);
        if (r->last_pts_ms >= seg_start[3])
            past = r->last_pts_ms;
        tp_wait_wake(10);
    }
    print_message("  then back to 500 ms, and on to 8500 ms: first picture there %lld ms\n",
                  (long long)past);
    assert_true(past >= seg_start[4] - 50 && past <= 8500 + 100); /* the keyframe before */
    assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
    free(r);
    player_free(p);
}

/* ---- a segment that answers 500 ---- */

/* hlsdemux2 (1.22) retries a 5xx every 10 ms, for ever (4,610 requests in 40 s once). The
 * server counts the requests for the failing segment: they must stay few, and the episode must
 * go on after it (or fail with a clear network error). */
static void test_segment_500(void **state)
{
    (void)state;
    struct player *p = tp_new_player(NULL);
    struct tp_run *r = new_run(p);
    tp_http_clear_rules();
    const char *bad = "holes/middle/seg00001.ts"; /* 2.2-4.067 s */
    tp_http_rule(bad, TP_HTTP_500, -1);
    int before = tp_http_requests(bad);
    assert_int_equal(player_open(p, tp_http_url("holes/middle/index.m3u8"), 0), 0);
    int end = until_end(r, 3 * TP_WAIT_MS);
    int n = tp_http_requests(bad) - before;
    print_message("  segment 500: %d requests for it, then %s (last picture %lld ms)\n", n,
                  end < 0 ? "HANG" : player_event_name(r->ev[end].type), (long long)r->last_pts_ms);
    if (end < 0 || getenv("BINGE_TEST_DEBUG"))
        tp_dump(r);
    assert_true(end >= 0);
    assert_true(n >= 1 && n <= 10);
    assert_int_equal(tp_count(r, PLAYER_EVENT_STALL), 0);
    if (r->ev[end].type == PLAYER_EVENT_ERROR) {
        assert_int_equal(r->ev[end].error, PLAYER_ERROR_NETWORK);
    } else {
        assert_int_equal(tp_count(r, PLAYER_EVENT_ERROR), 0);
        assert_true(r->last_pts_ms >= 10000); /* went on after it, to the end */
    }
    tp_http_clear_rules();
    free(r);
    player_free(p);
    assert_int_equal(tp_http_idle(), 0); /* no request of the player's left open */
}

static int suite_setup(void **state)
{
    (void)state;
    if (tp_setup() != 0)
        return -1;
    const char *streams = tp_streams_dir();
    return streams ? tp_http_start(streams) : -1;
}

static int suite_teardown(void **state)
{
    (void)state;
    return tp_http_stop() >= 0 ? 0 : -1; /* it names the connections it had to end */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_while_server_stalled),
        cmocka_unit_test(test_preroll_dropped_while_playlist_pending),
        cmocka_unit_test(test_preroll_dropped_before_its_playlist),
        cmocka_unit_test(test_http_stop_ends_open_connections),
        cmocka_unit_test(test_playlist_drop_head),
        cmocka_unit_test(test_hole_first),
        cmocka_unit_test(test_hole_first_master),
        cmocka_unit_test(test_playlist_keep_head),
        cmocka_unit_test(test_hole_middle),
        cmocka_unit_test(test_hole_last),
        cmocka_unit_test(test_hole_two_in_a_row),
        cmocka_unit_test(test_hole_two_in_a_row_master),
        cmocka_unit_test(test_hole_seek_back),
        cmocka_unit_test(test_segment_500),
    };
    tp_filter();
    return cmocka_run_group_tests(tests, suite_setup, suite_teardown);
}
