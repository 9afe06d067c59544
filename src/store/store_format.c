#include "store_internal.h"

#include "binge/error.h"
#include "binge/util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Integers in the JSON files stay below 10^15: cJSON prints a double with 15 significant digits
 * whenever that reads back within its relative epsilon, which loses bigger integers. */
#define JSON_INT_MAX ((double)STORE_MS_MAX)

/* ---- validation ---- */

bool store_valid_text(const char *s, size_t max)
{
    if (!s || !s[0])
        return false;
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
        if (n >= max || *p < 0x20 || *p == 0x7f)
            return false;
    }
    return true;
}

bool store_valid_setting_key(const char *s)
{
    if (!s || !s[0])
        return false;
    size_t n = 0;
    for (const char *p = s; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (n >= STORE_SETTING_KEY_MAX || !ok)
            return false;
    }
    return true;
}

bool store_valid_setting_value(const char *s)
{
    if (!s)
        return false;
    return !s[0] || store_valid_text(s, STORE_SETTING_VALUE_MAX);
}

bool store_valid_event_id(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        if (n >= STORE_EVENT_ID_LEN ||
            !((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
            return false;
    }
    return n == STORE_EVENT_ID_LEN;
}

uint32_t store_crc32(const void *data, size_t len)
{
    /* Bitwise: records are short and written a few times a minute; a table buys nothing. */
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* FNV-1a, to compare hashes before strings in the queue scans. */
static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* ---- JSON helpers ---- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Parses buf as one JSON object. */
static cJSON *parse_object(const char *buf, size_t len, char *err, size_t errlen)
{
    if (!buf || len == 0) {
        set_err(err, errlen, "empty file");
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root) {
        set_err(err, errlen, "not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        set_err(err, errlen, "not a JSON object");
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

/* An integer field in [0, max]. Returns 0 or BINGE_EPARSE naming the field. */
static int get_uint(const cJSON *obj, const char *name, double max, uint64_t *out, char *err,
                    size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v) {
        set_err(err, errlen, "missing field '%s'", name);
        return BINGE_EPARSE;
    }
    double d = v->valuedouble;
    if (!cJSON_IsNumber(v) || !isfinite(d) || d < 0 || d > max || d != floor(d)) {
        set_err(err, errlen, "field '%s' is not an integer in [0, %.0f]", name, max);
        return BINGE_EPARSE;
    }
    *out = (uint64_t)d;
    return 0;
}

/* A required (or, with optional, absent/null) string field passing store_valid_text(max).
 * *out is a copy (transfer full), NULL when absent. */
static int get_text(const cJSON *obj, const char *name, size_t max, bool optional, char **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v || cJSON_IsNull(v)) {
        if (optional)
            return 0;
        set_err(err, errlen, "missing field '%s'", name);
        return BINGE_EPARSE;
    }
    if (!cJSON_IsString(v) || !store_valid_text(v->valuestring, max)) {
        set_err(err, errlen, "field '%s' is not a string of 1..%zu printable bytes", name, max);
        return BINGE_EPARSE;
    }
    *out = util_strdup(v->valuestring);
    if (!*out) {
        set_err(err, errlen, "out of memory");
        return BINGE_ENOMEM;
    }
    return 0;
}

static int check_version(const cJSON *root, char *err, size_t errlen)
{
    uint64_t v = 0;
    int rc = get_uint(root, "version", JSON_INT_MAX, &v, err, errlen);
    if (rc == 0 && v != 1) {
        set_err(err, errlen, "unsupported version %llu", (unsigned long long)v);
        rc = BINGE_EPARSE;
    }
    return rc;
}

/* Frees a formatted JSON text that may hold a secret. */
static void free_secret(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* ---- token ---- */

int store_token_parse(const char *buf, size_t len, struct store_token *out, char *err,
                      size_t errlen)
{
    struct store_token t = {0};
    int rc = BINGE_EPARSE;
    cJSON *root = parse_object(buf, len, err, errlen);
    if (!root)
        goto fail;
    if ((rc = check_version(root, err, errlen)) != 0)
        goto fail;
    if ((rc = get_text(root, "device_id", STORE_ID_MAX, false, &t.device_id, err, errlen)) != 0)
        goto fail;
    if ((rc = get_text(root, "token", STORE_TOKEN_MAX, false, &t.token, err, errlen)) != 0)
        goto fail;
    if ((rc = get_text(root, "refresh_token", STORE_TOKEN_MAX, true, &t.refresh_token, err,
                       errlen)) != 0)
        goto fail;
    cJSON_Delete(root);
    *out = t;
    return 0;

fail:
    cJSON_Delete(root);
    store_token_clear(&t);
    return rc;
}

char *store_token_format(const struct store_token *t)
{
    char *s = NULL;
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddNumberToObject(root, "version", 1) ||
        !cJSON_AddStringToObject(root, "device_id", t->device_id) ||
        !cJSON_AddStringToObject(root, "token", t->token))
        goto out;
    if (t->refresh_token && !cJSON_AddStringToObject(root, "refresh_token", t->refresh_token))
        goto out;
    s = cJSON_PrintUnformatted(root);
out:
    /* cJSON frees its copies without wiping them; that much is beyond our reach. */
    cJSON_Delete(root);
    return s;
}

void store_token_clear(struct store_token *t)
{
    free_secret(t->device_id);
    free_secret(t->token);
    free_secret(t->refresh_token);
    t->device_id = t->token = t->refresh_token = NULL;
}

/* ---- settings ---- */

int store_settings_parse(const char *buf, size_t len, struct store_settings *out, char *err,
                         size_t errlen)
{
    struct store_settings s = {0};
    int rc = BINGE_EPARSE;
    cJSON *root = parse_object(buf, len, err, errlen);
    if (!root)
        goto fail;
    if ((rc = check_version(root, err, errlen)) != 0)
        goto fail;
    rc = BINGE_EPARSE;
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "settings");
    if (!obj) {
        set_err(err, errlen, "missing field 'settings'");
        goto fail;
    }
    if (!cJSON_IsObject(obj)) {
        set_err(err, errlen, "field 'settings' is not an object");
        goto fail;
    }
    int count = cJSON_GetArraySize(obj);
    if (count > STORE_SETTINGS_MAX) {
        set_err(err, errlen, "field 'settings' has %d keys (max %d)", count, STORE_SETTINGS_MAX);
        goto fail;
    }
    s.items = calloc(count > 0 ? (size_t)count : 1, sizeof(*s.items));
    if (!s.items) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, obj)
    {
        if (!store_valid_setting_key(v->string)) {
            set_err(err, errlen, "settings: invalid key");
            goto fail;
        }
        if (!cJSON_IsString(v) || !store_valid_setting_value(v->valuestring)) {
            set_err(err, errlen, "settings.%s: not a string of at most %d printable bytes",
                    v->string, STORE_SETTING_VALUE_MAX);
            goto fail;
        }
        for (size_t i = 0; i < s.n; i++) {
            if (strcmp(s.items[i].key, v->string) == 0) {
                set_err(err, errlen, "settings.%s: duplicate key", v->string);
                goto fail;
            }
        }
        s.items[s.n].key = util_strdup(v->string);
        s.items[s.n].value = util_strdup(v->valuestring);
        s.n++;
        if (!s.items[s.n - 1].key || !s.items[s.n - 1].value) {
            rc = BINGE_ENOMEM;
            goto fail;
        }
    }
    cJSON_Delete(root);
    *out = s;
    return 0;

fail:
    cJSON_Delete(root);
    store_settings_clear(&s);
    return rc;
}

char *store_settings_format(const struct store_setting *items, size_t n)
{
    char *s = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *obj = cJSON_CreateObject();
    if (!root || !obj) {
        cJSON_Delete(obj);
        goto out;
    }
    cJSON_AddItemToObject(root, "settings", obj);
    if (!cJSON_AddNumberToObject(root, "version", 1))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!cJSON_AddStringToObject(obj, items[i].key, items[i].value))
            goto out;
    }
    s = cJSON_Print(root); /* indented: people read this one */
out:
    cJSON_Delete(root);
    return s;
}

void store_settings_clear(struct store_settings *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->items[i].key);
        free(s->items[i].value);
    }
    free(s->items);
    s->items = NULL;
    s->n = 0;
}

/* ---- cache index ---- */

static int parse_cache_entry(const cJSON *e, size_t i, struct store_cache_entry *out, char *err,
                             size_t errlen)
{
    char sub[STORE_ERR_LEN] = "";
    uint64_t file = 0, fetched = 0, used = 0, size = 0, crc = 0;
    int rc = BINGE_EPARSE;
    *out = (struct store_cache_entry){0};
    if (!cJSON_IsObject(e)) {
        snprintf(sub, sizeof(sub), "not an object");
        goto fail;
    }
    if ((rc = get_text(e, "key", STORE_ID_MAX, false, &out->key, sub, sizeof(sub))) != 0 ||
        (rc = get_text(e, "etag", STORE_ETAG_MAX, true, &out->etag, sub, sizeof(sub))) != 0 ||
        (rc = get_uint(e, "file", JSON_INT_MAX - 1, &file, sub, sizeof(sub))) != 0 ||
        (rc = get_uint(e, "fetched_at", JSON_INT_MAX, &fetched, sub, sizeof(sub))) != 0 ||
        (rc = get_uint(e, "used", JSON_INT_MAX - 1, &used, sub, sizeof(sub))) != 0 ||
        (rc = get_uint(e, "size", 256.0 * 1024 * 1024, &size, sub, sizeof(sub))) != 0 ||
        (rc = get_uint(e, "crc", 4294967295.0, &crc, sub, sizeof(sub))) != 0)
        goto fail;
    out->file = file;
    out->fetched_at_ms = (int64_t)fetched;
    out->used = used;
    out->size = (size_t)size;
    out->crc = (uint32_t)crc;
    return 0;

fail:
    set_err(err, errlen, "entries[%zu]: %s", i, sub);
    store_cache_entry_clear(out);
    return rc;
}

int store_cache_index_parse(const char *buf, size_t len, struct store_cache_index *out, char *err,
                            size_t errlen)
{
    struct store_cache_index idx = {0};
    int rc = BINGE_EPARSE;
    cJSON *root = parse_object(buf, len, err, errlen);
    if (!root)
        goto fail;
    if ((rc = check_version(root, err, errlen)) != 0 ||
        (rc = get_uint(root, "next_file", JSON_INT_MAX, &idx.next_file, err, errlen)) != 0 ||
        (rc = get_uint(root, "clock", JSON_INT_MAX, &idx.clock, err, errlen)) != 0)
        goto fail;
    rc = BINGE_EPARSE;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "entries");
    if (!arr) {
        set_err(err, errlen, "missing field 'entries'");
        goto fail;
    }
    if (!cJSON_IsArray(arr)) {
        set_err(err, errlen, "field 'entries' is not an array");
        goto fail;
    }
    int count = cJSON_GetArraySize(arr);
    if (count > STORE_CACHE_ENTRIES_MAX) {
        set_err(err, errlen, "field 'entries' has %d items (max %d)", count,
                STORE_CACHE_ENTRIES_MAX);
        goto fail;
    }
    idx.entries = calloc(count > 0 ? (size_t)count : 1, sizeof(*idx.entries));
    if (!idx.entries) {
        rc = BINGE_ENOMEM;
        goto fail;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        struct store_cache_entry *ce = &idx.entries[idx.n];
        if ((rc = parse_cache_entry(e, idx.n, ce, err, errlen)) != 0)
            goto fail;
        idx.n++;
        rc = BINGE_EPARSE;
        if (ce->file >= idx.next_file || ce->used >= idx.clock) {
            set_err(err, errlen, "entries[%zu]: 'file' or 'used' not below the index counters",
                    idx.n - 1);
            goto fail;
        }
        for (size_t i = 0; i + 1 < idx.n; i++) {
            if (strcmp(idx.entries[i].key, ce->key) == 0 || idx.entries[i].file == ce->file) {
                set_err(err, errlen, "entries[%zu]: duplicate 'key' or 'file'", idx.n - 1);
                goto fail;
            }
        }
    }
    cJSON_Delete(root);
    *out = idx;
    return 0;

fail:
    cJSON_Delete(root);
    store_cache_index_clear(&idx);
    return rc;
}

char *store_cache_index_format(const struct store_cache_index *idx)
{
    char *s = NULL;
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_CreateArray();
    if (!root || !arr) {
        cJSON_Delete(arr);
        goto out;
    }
    cJSON_AddItemToObject(root, "entries", arr);
    if (!cJSON_AddNumberToObject(root, "version", 1) ||
        !cJSON_AddNumberToObject(root, "next_file", (double)idx->next_file) ||
        !cJSON_AddNumberToObject(root, "clock", (double)idx->clock))
        goto out;
    for (size_t i = 0; i < idx->n; i++) {
        const struct store_cache_entry *e = &idx->entries[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            goto out;
        cJSON_AddItemToArray(arr, o);
        if (!cJSON_AddStringToObject(o, "key", e->key) ||
            (e->etag && !cJSON_AddStringToObject(o, "etag", e->etag)) ||
            !cJSON_AddNumberToObject(o, "file", (double)e->file) ||
            !cJSON_AddNumberToObject(o, "fetched_at", (double)e->fetched_at_ms) ||
            !cJSON_AddNumberToObject(o, "used", (double)e->used) ||
            !cJSON_AddNumberToObject(o, "size", (double)e->size) ||
            !cJSON_AddNumberToObject(o, "crc", (double)e->crc))
            goto out;
    }
    s = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return s;
}

void store_cache_entry_clear(struct store_cache_entry *e)
{
    free(e->key);
    free(e->etag);
    store_blob_unref(e->mem);
    e->key = e->etag = NULL;
    e->mem = NULL;
}

void store_cache_index_clear(struct store_cache_index *idx)
{
    for (size_t i = 0; i < idx->n; i++)
        store_cache_entry_clear(&idx->entries[i]);
    free(idx->entries);
    *idx = (struct store_cache_index){0};
}

/* ---- progress queue ---- */

/* Drops the dead slots, keeping the order. */
static void queue_squeeze(struct store_queue *q)
{
    size_t w = 0;
    for (size_t r = 0; r < q->len; r++) {
        if (q->items[r].live)
            q->items[w++] = q->items[r];
    }
    q->len = w;
    q->head = 0;
}

int store_queue_reserve(struct store_queue *q)
{
    if (q->len < q->cap)
        return 0;
    if (q->live < q->len / 2 + 1 && q->len > 0) {
        queue_squeeze(q);
        if (q->len < q->cap)
            return 0;
    }
    /* Live records never exceed STORE_PROGRESS_MAX + 1 (the new one before an eviction), so
     * twice that bounds the array once squeezing takes over. */
    size_t ncap = q->cap ? q->cap * 2 : 16;
    if (ncap > 2 * (STORE_PROGRESS_MAX + 1))
        ncap = 2 * (STORE_PROGRESS_MAX + 1);
    if (ncap <= q->len) {
        queue_squeeze(q);
        return q->len < q->cap ? 0 : BINGE_ENOMEM;
    }
    struct store_qitem *n = realloc(q->items, ncap * sizeof(*n));
    if (!n)
        return BINGE_ENOMEM;
    q->items = n;
    q->cap = ncap;
    return 0;
}

void store_queue_remove(struct store_queue *q, struct store_qitem *it)
{
    it->live = false;
    q->live--;
    while (q->head < q->len && !q->items[q->head].live)
        q->head++;
}

struct store_qitem *store_queue_find_id(struct store_queue *q, const char *event_id)
{
    uint32_t h = hash_str(event_id);
    for (size_t i = q->head; i < q->len; i++) {
        struct store_qitem *it = &q->items[i];
        if (it->live && it->id_hash == h && strcmp(it->p.event_id, event_id) == 0)
            return it;
    }
    return NULL;
}

int store_queue_put(struct store_queue *q, const struct store_progress *p, bool *evicted)
{
    if (evicted)
        *evicted = false;
    if (q->len >= q->cap)
        return BINGE_ENOMEM;
    uint32_t eh = hash_str(p->episode_id);
    for (size_t i = q->head; i < q->len; i++) {
        struct store_qitem *it = &q->items[i];
        if (it->live && it->ep_hash == eh && strcmp(it->p.episode_id, p->episode_id) == 0) {
            store_queue_remove(q, it);
            break; /* at most one live record per episode */
        }
    }
    if (q->live >= STORE_PROGRESS_MAX) {
        store_queue_remove(q, &q->items[q->head]);
        if (evicted)
            *evicted = true;
    }
    struct store_qitem *it = &q->items[q->len++];
    *it = (struct store_qitem){
        .p = *p, .ep_hash = eh, .id_hash = hash_str(p->event_id), .live = true};
    if (q->live == 0)
        q->head = q->len - 1;
    q->live++;
    return 0;
}

void store_queue_clear(struct store_queue *q)
{
    free(q->items);
    *q = (struct store_queue){0};
}

/* ---- journal ---- */

/* Wraps json into "<crc> <json>\n" and frees json. */
static char *journal_line(char *json)
{
    if (!json)
        return NULL;
    char *line = util_asprintf("%08x %s\n", (unsigned)store_crc32(json, strlen(json)), json);
    free(json);
    return line;
}

char *store_journal_header_line(void)
{
    return journal_line(util_asprintf("{\"t\":\"h\",\"v\":%d}", STORE_JOURNAL_VERSION));
}

char *store_journal_put_line(const struct store_progress *p)
{
    char *json = NULL;
    cJSON *o = cJSON_CreateObject();
    if (o && cJSON_AddStringToObject(o, "t", "p") &&
        cJSON_AddStringToObject(o, "id", p->event_id) &&
        cJSON_AddStringToObject(o, "ep", p->episode_id) &&
        cJSON_AddNumberToObject(o, "pos", (double)p->position_ms) &&
        cJSON_AddNumberToObject(o, "dur", (double)p->duration_ms) &&
        cJSON_AddNumberToObject(o, "at", (double)p->updated_at_ms))
        json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return journal_line(json);
}

char *store_journal_ack_lines(const char *const *ids, size_t n)
{
    /* Each line: 9 + {"t":"a","ids":[ + n * 35 + ]} + newline. */
    size_t cap = (n / STORE_ACK_IDS_PER_LINE + 1) * (40 + STORE_ACK_IDS_PER_LINE * 35) + 1;
    char *out = malloc(cap);
    char *json = malloc(40 + STORE_ACK_IDS_PER_LINE * 35);
    size_t used = 0;
    if (!out || !json)
        goto fail;
    for (size_t i = 0; i < n; i += STORE_ACK_IDS_PER_LINE) {
        size_t m = n - i < STORE_ACK_IDS_PER_LINE ? n - i : STORE_ACK_IDS_PER_LINE;
        size_t j = (size_t)sprintf(json, "{\"t\":\"a\",\"ids\":[");
        for (size_t k = 0; k < m; k++)
            j += (size_t)sprintf(json + j, "%s\"%s\"", k ? "," : "", ids[i + k]);
        j += (size_t)sprintf(json + j, "]}");
        used += (size_t)sprintf(out + used, "%08x %s\n", (unsigned)store_crc32(json, j), json);
    }
    free(json);
    out[used] = '\0';
    return out;

fail:
    free(json);
    free(out);
    return NULL;
}

char *store_journal_format(const struct store_queue *q, size_t *len)
{
    char *head = store_journal_header_line();
    char *out = NULL;
    size_t used = 0, cap = 0;
    if (!head)
        return NULL;
    cap = strlen(head) + 1 + q->live * 320;
    out = malloc(cap);
    if (!out)
        goto fail;
    used = strlen(head);
    memcpy(out, head, used);
    for (size_t i = q->head; i < q->len; i++) {
        if (!q->items[i].live)
            continue;
        char *line = store_journal_put_line(&q->items[i].p);
        if (!line)
            goto fail;
        size_t l = strlen(line);
        if (used + l + 1 > cap) {
            size_t ncap = (used + l + 1) * 2;
            char *n = realloc(out, ncap);
            if (!n) {
                free(line);
                goto fail;
            }
            out = n;
            cap = ncap;
        }
        memcpy(out + used, line, l);
        used += l;
        free(line);
    }
    out[used] = '\0';
    free(head);
    *len = used;
    return out;

fail:
    free(head);
    free(out);
    return NULL;
}

static bool get_ms(const cJSON *o, const char *name, int64_t *out)
{
    uint64_t v = 0;
    if (get_uint(o, name, JSON_INT_MAX, &v, NULL, 0) != 0)
        return false;
    *out = (int64_t)v;
    return true;
}

static bool copy_text(char *dst, size_t cap, const cJSON *v, size_t max)
{
    if (!cJSON_IsString(v) || !store_valid_text(v->valuestring, max))
        return false;
    snprintf(dst, cap, "%s", v->valuestring);
    return true;
}

enum rec {
    REC_BAD,
    REC_HEADER,
    REC_OK,
};

/* Applies one checked record. */
static enum rec apply_record(const char *json, size_t len, struct store_queue *q, int *rc)
{
    enum rec r = REC_BAD;
    cJSON *o = cJSON_ParseWithLength(json, len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "t");
    if (!cJSON_IsObject(o) || !cJSON_IsString(t))
        goto out;
    if (strcmp(t->valuestring, "h") == 0) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
        if (cJSON_IsNumber(v) && v->valuedouble == STORE_JOURNAL_VERSION)
            r = REC_HEADER;
    } else if (strcmp(t->valuestring, "p") == 0) {
        struct store_progress p = {0};
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        if (!copy_text(p.event_id, sizeof(p.event_id), id, STORE_EVENT_ID_LEN) ||
            !store_valid_event_id(p.event_id) ||
            !copy_text(p.episode_id, sizeof(p.episode_id),
                       cJSON_GetObjectItemCaseSensitive(o, "ep"), STORE_ID_MAX) ||
            !get_ms(o, "pos", &p.position_ms) || !get_ms(o, "dur", &p.duration_ms) ||
            !get_ms(o, "at", &p.updated_at_ms))
            goto out;
        /* An id is never reused; a second record with a live id is damage. */
        if (store_queue_find_id(q, p.event_id))
            goto out;
        if ((*rc = store_queue_reserve(q)) != 0 || (*rc = store_queue_put(q, &p, NULL)) != 0)
            goto out;
        r = REC_OK;
    } else if (strcmp(t->valuestring, "a") == 0) {
        const cJSON *ids = cJSON_GetObjectItemCaseSensitive(o, "ids");
        const cJSON *id;
        if (!cJSON_IsArray(ids))
            goto out;
        cJSON_ArrayForEach(id, ids)
        {
            if (!cJSON_IsString(id) || !store_valid_event_id(id->valuestring))
                goto out;
        }
        cJSON_ArrayForEach(id, ids)
        {
            struct store_qitem *it = store_queue_find_id(q, id->valuestring);
            if (it)
                store_queue_remove(q, it);
        }
        r = REC_OK;
    }
out:
    cJSON_Delete(o);
    return r;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Whether an unterminated tail looks like the start of a record: a crash mid-append leaves a
 * prefix of "<8 hex> {...". Anything else is damage. */
static bool looks_torn(const char *p, size_t n)
{
    if (n >= STORE_JOURNAL_LINE_MAX)
        return false;
    size_t i = 0;
    for (; i < n && i < 8; i++) {
        if (!is_hex(p[i]))
            return false;
    }
    if (i < n && p[i++] != ' ')
        return false;
    if (i < n && p[i++] != '{')
        return false;
    for (; i < n; i++) {
        if ((unsigned char)p[i] < 0x20)
            return false;
    }
    return true;
}

int store_journal_parse(const char *buf, size_t len, struct store_queue *q,
                        struct store_journal_scan *scan)
{
    *scan = (struct store_journal_scan){0};
    size_t off = 0;
    bool first = true;
    while (off < len) {
        const char *line = buf + off;
        const char *nl = memchr(line, '\n', len - off);
        if (!nl) {
            if (looks_torn(line, len - off))
                scan->torn = true;
            else
                scan->bad++;
            break;
        }
        size_t n = (size_t)(nl - line);
        off += n + 1;
        bool ok = false;
        if (n > 9 && n < STORE_JOURNAL_LINE_MAX && line[8] == ' ') {
            uint32_t want = 0;
            ok = true;
            for (int i = 0; i < 8; i++) {
                if (!is_hex(line[i])) {
                    ok = false;
                    break;
                }
                want = want << 4 | (uint32_t)(line[i] <= '9' ? line[i] - '0' : line[i] - 'a' + 10);
            }
            ok = ok && store_crc32(line + 9, n - 9) == want;
        }
        if (ok) {
            int rc = 0;
            enum rec r = apply_record(line + 9, n - 9, q, &rc);
            if (rc != 0)
                return rc;
            ok = r != REC_BAD;
            if (r == REC_HEADER && first)
                scan->has_header = true;
        }
        first = false;
        if (ok) {
            scan->records++;
            scan->good_len = off;
        } else {
            scan->bad++;
        }
    }
    return 0;
}
