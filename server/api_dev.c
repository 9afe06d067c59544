/* /dev/faults: the fault injection table, editable at run time (binge-server --dev only; the
 * router answers 404 for /dev/ otherwise). */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api_internal.h"
#include "binge/error.h"
#include "faults.h"

static cJSON *rule_doc(const struct fault_rule *r)
{
    cJSON *doc = cJSON_CreateObject();

    if (!cJSON_AddStringToObject(doc, "path_prefix", r->path_prefix) ||
        !cJSON_AddStringToObject(doc, "fault", fault_kind_name(r->kind)) ||
        !cJSON_AddItemToObject(doc, "method",
                               r->method[0] ? cJSON_CreateString(r->method) : cJSON_CreateNull()) ||
        !cJSON_AddStringToObject(doc, "phase", r->phase == FAULT_AFTER ? "after" : "before") ||
        !cJSON_AddNumberToObject(doc, "ms", r->ms) ||
        !cJSON_AddNumberToObject(doc, "retry_after", r->retry_after) ||
        !cJSON_AddNumberToObject(doc, "bytes", (double)r->bytes) ||
        !cJSON_AddNumberToObject(doc, "count", (double)r->count) ||
        !cJSON_AddNumberToObject(doc, "hits", (double)r->hits)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

static void respond_rules(struct api_call *c, int status)
{
    struct fault_rule rules[FAULTS_MAX];
    size_t n = faults_list(api_faults(c->api), rules, FAULTS_MAX);
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "faults");

    for (size_t i = 0; list && i < n; i++) {
        cJSON *doc = rule_doc(&rules[i]);
        if (!doc || !cJSON_AddItemToArray(list, doc)) {
            cJSON_Delete(doc);
            list = NULL;
        }
    }
    if (!list) {
        cJSON_Delete(root);
        root = NULL;
    }
    api_respond_json(c->resp, status, root);
}

void api_handle_dev_faults_get(struct api_call *c)
{
    respond_rules(c, 200);
}

void api_handle_dev_faults_clear(struct api_call *c)
{
    faults_clear(api_faults(c->api));
    respond_rules(c, 200);
}

/* An optional integral member within [min, max]; *out keeps its default when absent. */
static bool opt_int(const cJSON *obj, const char *key, long min, long max, long *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    if (!item || cJSON_IsNull(item))
        return true;
    if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < min ||
        item->valuedouble > max || item->valuedouble != floor(item->valuedouble))
        return false;
    *out = (long)item->valuedouble;
    return true;
}

void api_handle_dev_faults_add(struct api_call *c)
{
    struct fault_rule rule;
    const char *prefix;
    const char *kind;
    const char *method;
    const char *phase;
    long ms = 0;
    long retry_after = 1;
    long count = -1;
    long bytes = FAULTS_OVERSIZE_DEFAULT;
    cJSON *body;
    bool bad = false;
    int rc;

    if (!api_faults(c->api)) {
        api_error(c->resp, 404, "not_found", "no such resource");
        return;
    }
    body = api_body_object(c);
    if (!body)
        return;
    memset(&rule, 0, sizeof(rule));
    prefix = api_json_string(body, "path_prefix", &bad);
    kind = api_json_string(body, "fault", &bad);
    method = api_json_string(body, "method", &bad);
    phase = api_json_string(body, "phase", &bad);
    if (bad || !prefix || prefix[0] != '/' || strlen(prefix) > FAULTS_PREFIX_MAX) {
        api_error(c->resp, 400, "bad_request", "path_prefix must be a path starting with '/'");
        goto out;
    }
    if (!kind || fault_kind_parse(kind, &rule.kind) < 0) {
        api_error(c->resp, 400, "bad_request",
                  "fault must be latency, 500, 503, truncate, reset or oversize");
        goto out;
    }
    if (method && (!*method || strlen(method) >= sizeof(rule.method) ||
                   strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method))) {
        api_error(c->resp, 400, "bad_request", "method must be an upper-case HTTP method");
        goto out;
    }
    if (phase && strcmp(phase, "before") != 0 && strcmp(phase, "after") != 0) {
        api_error(c->resp, 400, "bad_request", "phase must be \"before\" or \"after\"");
        goto out;
    }
    if (!opt_int(body, "ms", 0, FAULTS_MS_MAX, &ms) ||
        !opt_int(body, "retry_after", 0, FAULTS_RETRY_AFTER_MAX, &retry_after) ||
        !opt_int(body, "count", -1, 1000000, &count) || count == 0 ||
        !opt_int(body, "bytes", 1024, FAULTS_OVERSIZE_MAX, &bytes) ||
        (rule.kind == FAULT_LATENCY && ms <= 0)) {
        api_error(c->resp, 400, "bad_request",
                  "ms (1..120000, required for latency), retry_after (0..86400), count (-1 or "
                  "1..1000000) and bytes (1024..67108864) must be integers in range");
        goto out;
    }
    snprintf(rule.path_prefix, sizeof(rule.path_prefix), "%s", prefix);
    snprintf(rule.method, sizeof(rule.method), "%s", method ? method : "");
    rule.phase = phase && strcmp(phase, "after") == 0 ? FAULT_AFTER : FAULT_BEFORE;
    rule.ms = (int)ms;
    rule.retry_after = (int)retry_after;
    rule.count = count;
    rule.bytes = bytes;
    rc = faults_add(api_faults(c->api), &rule);
    if (rc == BINGE_ETOOBIG) {
        api_error(c->resp, 400, "bad_request", "too many fault rules; DELETE /dev/faults first");
        goto out;
    }
    if (rc < 0) {
        api_internal_error(c->resp, "add fault", rc);
        goto out;
    }
    respond_rules(c, 200);
out:
    cJSON_Delete(body);
}
