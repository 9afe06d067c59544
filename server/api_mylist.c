/* "My list": GET /v1/mylist, PUT and DELETE /v1/mylist/{series_id}, and the "mylist" shelf of
 * home. The list belongs to the wallet owner (db_mylist.c). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_internal.h"
#include "binge/error.h"
#include "db.h"
#include "lang.h"

int api_mylist_shelf(const struct api_call *c, cJSON *shelves, const struct db_series *list,
                     size_t n, const struct db_genre_row *genres, size_t n_genres)
{
    struct db_mylist_entry *entries = NULL;
    size_t n_entries = 0;
    cJSON *shelf;
    cJSON *items;
    int rc = db_mylist_list(c->api->db, c->who.owner, &entries, &n_entries);

    if (rc < 0 || n_entries == 0)
        return rc;
    shelf = cJSON_CreateObject();
    if (!shelf || !cJSON_AddItemToArray(shelves, shelf)) {
        cJSON_Delete(shelf);
        rc = BINGE_ENOMEM;
        goto out;
    }
    if (!cJSON_AddStringToObject(shelf, "id", "mylist") ||
        !cJSON_AddStringToObject(shelf, "title", lang_text(c->lang, LANG_TEXT_MYLIST)) ||
        !(items = cJSON_AddArrayToObject(shelf, "items"))) {
        rc = BINGE_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n_entries; i++) {
        const struct db_series *s = api_find_series(list, n, entries[i].series_id);
        if (s && !api_series_item(c, items, s, genres, n_genres)) {
            rc = BINGE_ENOMEM;
            goto out;
        }
    }
out:
    db_mylist_free(entries, n_entries);
    return rc;
}

void api_handle_mylist_get(struct api_call *c)
{
    struct db_mylist_entry *entries = NULL;
    struct db_series *list = NULL;
    struct db_genre_row *genres = NULL;
    size_t n_entries = 0;
    size_t n = 0;
    size_t n_genres = 0;
    size_t count = 0;
    cJSON *root = NULL;
    cJSON *items;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = db_mylist_list(c->api->db, c->who.owner, &entries, &n_entries);
    if (rc == 0 && n_entries > 0)
        rc = db_list_series(c->api->db, c->lang, &list, &n);
    if (rc == 0 && n_entries > 0)
        rc = db_list_genres(c->api->db, c->lang, &genres, &n_genres);
    if (rc < 0) {
        api_internal_error(c->resp, "my list", rc);
        goto out;
    }
    root = cJSON_CreateObject();
    items = cJSON_AddArrayToObject(root, "items");
    if (!items)
        goto nomem;
    for (size_t i = 0; i < n_entries; i++) {
        const struct db_series *s = api_find_series(list, n, entries[i].series_id);
        cJSON *item;
        if (!s)
            continue; /* hidden between the two reads */
        item = api_series_item(c, items, s, genres, n_genres);
        if (!item || !cJSON_AddNumberToObject(item, "added_at", (double)entries[i].added_at))
            goto nomem;
        count++;
    }
    if (!cJSON_AddNumberToObject(root, "count", (double)count) ||
        !cJSON_AddNumberToObject(root, "max", DB_MYLIST_MAX))
        goto nomem;
    c->resp->vary = API_VARY;
    c->resp->content_language = c->lang;
    api_respond_json(c->resp, 200, root);
    root = NULL;
    api_etag(c);
    goto out;

nomem:
    api_internal_error(c->resp, "my list document", BINGE_ENOMEM);
out:
    cJSON_Delete(root);
    db_mylist_free(entries, n_entries);
    db_series_list_free(list, n);
    db_genre_list_free(genres, n_genres);
}

/* {"series_id", "in_mylist", "added" | "removed", "count", "max"} */
static void respond_change(struct api_call *c, bool in, const char *what, bool changed,
                           size_t count)
{
    cJSON *root = cJSON_CreateObject();

    if (!cJSON_AddStringToObject(root, "series_id", c->param) ||
        !cJSON_AddBoolToObject(root, "in_mylist", in) ||
        !cJSON_AddBoolToObject(root, what, changed) ||
        !cJSON_AddNumberToObject(root, "count", (double)count) ||
        !cJSON_AddNumberToObject(root, "max", DB_MYLIST_MAX)) {
        cJSON_Delete(root);
        root = NULL;
    }
    c->resp->cache_control = "no-store";
    api_respond_json(c->resp, 200, root);
}

void api_handle_mylist_put(struct api_call *c)
{
    size_t count = 0;
    bool added = false;
    cJSON *doc;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = api_is_id(c->param) ? db_mylist_add(c->api->db, &c->who, c->param, c->now, &added, &count)
                             : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such series");
        return;
    }
    if (rc == BINGE_ETOOBIG) {
        char message[96];
        snprintf(message, sizeof(message), "my list holds at most %d series; remove one first",
                 DB_MYLIST_MAX);
        doc = api_error_doc("mylist_full", message);
        if (doc && !cJSON_AddNumberToObject(doc, "max", DB_MYLIST_MAX)) {
            cJSON_Delete(doc);
            doc = NULL;
        }
        api_respond_json(c->resp, 409, doc);
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "add to my list", rc);
        return;
    }
    respond_change(c, true, "added", added, count);
}

void api_handle_mylist_delete(struct api_call *c)
{
    size_t count = 0;
    bool removed = false;
    int rc;

    if (!api_require_auth(c))
        return;
    rc = api_is_id(c->param)
             ? db_mylist_remove(c->api->db, c->who.owner, c->param, &removed, &count)
             : BINGE_ENOTFOUND;
    if (rc == BINGE_ENOTFOUND) {
        api_error(c->resp, 404, "not_found", "no such series");
        return;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "remove from my list", rc);
        return;
    }
    respond_change(c, false, "removed", removed, count);
}
