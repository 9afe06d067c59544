#ifndef BINGE_PLAYER_LOCAL_HTTP_H
#define BINGE_PLAYER_LOCAL_HTTP_H

/* A loopback HTTP server that lets playbin3 play local HLS (file://...m3u8).
 *
 * Why: in GStreamer 1.22, playbin3 only accepts streams-aware adaptive demuxers (hlsdemux2),
 * and hlsdemux2 fetches playlists and segments with libsoup only, so a file:// master fails
 * with "Could not parse download URI". Serving the episode directory on 127.0.0.1 gives local
 * content the same demuxer, the same code paths and the same errors as remote content.
 *
 * It serves GET/HEAD (with single byte ranges) of regular files under the published
 * directories, each behind a random path prefix of its own, so a stale request from a withdrawn
 * stream, or a guess from another local process, gets 404.
 *
 * Threading: local_http_new/publish/withdraw/free are called from one thread (the player's);
 * requests are served on threads of its own. Private to src/player. */

struct local_http;

/* Binds 127.0.0.1 on an ephemeral port and starts serving (nothing published yet).
 * Returns NULL on failure (logged). transfer full. */
struct local_http *local_http_new(void);

/* Stops serving: closes every connection and joins every thread. NULL is a no-op. */
void local_http_free(struct local_http *srv);

/* Publishes the directory holding the local file path and returns, in *url (transfer full,
 * free with g_free), the http://127.0.0.1 URL of that file, and in *id the publication to
 * withdraw later. Up to 4 publications are served at once (the current stream, a prerolled one,
 * one being re-tuned); a fifth withdraws the oldest. The file need not exist: requests for it
 * then get 404, as from a web server. Returns 0, BINGE_EINVAL (not an absolute path) or
 * BINGE_ENOMEM. */
int local_http_publish(struct local_http *srv, const char *path, char **url, unsigned *id);

/* Stops serving publication id: its requests get 404 from now on. Unknown ids and 0 are
 * ignored. */
void local_http_withdraw(struct local_http *srv, unsigned id);

#endif
