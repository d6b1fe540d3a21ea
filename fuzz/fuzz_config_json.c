/* fuzz_config_json.c: JSON configuration files.
 *
 * The input is parsed with cJSON (as xbar's configuration files are) and every
 * member of the top-level object is handed to xb_analog_config_set: strings as
 * they are, numbers in their shortest exact form, booleans as true/false, arrays
 * (sweep axes) value by value, nested objects (sections) member by member.
 *
 * Properties checked:
 *   - a refused value leaves the key's value unchanged, and the message names
 *     the key (and the value, unless the key itself is unknown);
 *   - for every key, setting the text that xb_analog_config_get returns changes
 *     nothing (same text, and for one key per input the same hash of the whole
 *     configuration): configuration files and CSV columns written by xbar read
 *     back as the same configuration;
 *   - xb_analog_config_get never writes past a short buffer. */
#include "fuzz_util.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "xb_analog.h"

#define MAX_DEPTH 8

static const char *const keys[] = {
    "mvm", "scaling", "mapping", "offset", "error_model", "input", "access", "cell",
    "weight_bits", "input_bits", "calib_images", "rows_per_array", "cols_per_array", "gmax",
    "alpha", "input_percentile", "v_read", "adc_percentile", "rp", "r_drv", "r_sense",
    "sinh_v0", "nmos_kp", "nmos_vto", "nmos_lambda", "nmos_w", "nmos_l", "v_gate", "seed",
    "on_off", "adc_bits", "slicing"};
#define NKEYS (sizeof keys / sizeof keys[0])

static void set_one(xb_analog_config *cfg, const char *key, const char *value)
{
    char before[128], after[128];
    int known = xb_analog_config_get(cfg, key, before, sizeof before, NULL) == XB_OK;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_analog_config_set(cfg, key, value, &err);
    if (st == XB_OK)
        return;
    FUZZ_CHECK(err.code == st && err.msg[0]);
    if (known) {
        FUZZ_CHECK(xb_analog_config_get(cfg, key, after, sizeof after, NULL) == XB_OK);
        FUZZ_CHECK(!strcmp(before, after));
    }
    /* Names are quoted in full while they fit the message comfortably. */
    if (strlen(key) < 100)
        FUZZ_CHECK(strstr(err.msg, key) != NULL);
    if (strlen(value) < 100 && !strstr(err.msg, "unknown key"))
        FUZZ_CHECK(strstr(err.msg, value) != NULL);
}

/* A JSON value as the text a sweep axis or a config file would give. */
static int value_text(const cJSON *v, char *buf, size_t len)
{
    if (cJSON_IsString(v)) {
        snprintf(buf, len, "%s", v->valuestring);
        return 1;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e15)
            snprintf(buf, len, "%.0f", d);
        else
            snprintf(buf, len, "%.17g", d);
        return 1;
    }
    if (cJSON_IsBool(v)) {
        snprintf(buf, len, "%s", cJSON_IsTrue(v) ? "true" : "false");
        return 1;
    }
    return 0;
}

static void walk(xb_analog_config *cfg, const cJSON *obj, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    char text[4096];
    for (const cJSON *m = obj->child; m; m = m->next) {
        if (!m->string)
            continue;
        if (cJSON_IsObject(m)) {
            walk(cfg, m, depth + 1);
        } else if (cJSON_IsArray(m)) {
            /* a sweep axis: every value is tried on its own copy, the last one stays */
            for (const cJSON *e = m->child; e; e = e->next) {
                if (!value_text(e, text, sizeof text))
                    continue;
                xb_analog_config point = *cfg;
                set_one(&point, m->string, text);
                (void)xb_analog_config_validate(&point, NULL);
                if (!e->next)
                    *cfg = point;
            }
        } else if (value_text(m, text, sizeof text)) {
            set_one(cfg, m->string, text);
        }
    }
}

/* Every key reads back as itself; for one key (picked by the input) the whole
 * configuration is compared through its hash, which covers every key. */
static void check_text_round_trip(const xb_analog_config *cfg, size_t pick)
{
    unsigned long long h = xb_analog_config_hash(cfg);
    for (size_t k = 0; k < NKEYS; k++) {
        char a[128], b[128];
        if (xb_analog_config_get(cfg, keys[k], a, sizeof a, NULL) != XB_OK)
            continue;
        xb_analog_config copy = *cfg;
        xb_error err;
        if (xb_analog_config_set(&copy, keys[k], a, &err) != XB_OK) {
            fprintf(stderr, "%s = '%s' (from get) refused: %s\n", keys[k], a, err.msg);
            FUZZ_CHECK(0);
        }
        FUZZ_CHECK(xb_analog_config_get(&copy, keys[k], b, sizeof b, NULL) == XB_OK);
        if (strcmp(a, b) || (k == pick && xb_analog_config_hash(&copy) != h)) {
            fprintf(stderr, "%s: '%s' reads back as '%s'\n", keys[k], a, b);
            FUZZ_CHECK(0);
        }
        if (k != pick)
            continue;
        /* short buffers: nothing is written past len */
        for (size_t len = 1; len <= 4; len++) {
            char small[8];
            memset(small, 'Z', sizeof small);
            (void)xb_analog_config_get(cfg, keys[k], small, len, NULL);
            FUZZ_CHECK(memchr(small, '\0', len) != NULL);
            for (size_t i = len; i < sizeof small; i++)
                FUZZ_CHECK(small[i] == 'Z');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    if (!root)
        return 0;
    xb_analog_config cfg;
    xb_analog_config_init(&cfg);
    FUZZ_CHECK(xb_analog_config_validate(&cfg, NULL) == XB_OK);
    if (cJSON_IsObject(root))
        walk(&cfg, root, 0);
    xb_error err;
    if (xb_analog_config_validate(&cfg, &err) != XB_OK)
        FUZZ_CHECK(err.msg[0] != '\0');
    check_text_round_trip(&cfg, size % NKEYS);
    cJSON_Delete(root);
    return 0;
}
