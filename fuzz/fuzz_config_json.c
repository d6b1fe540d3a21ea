/* fuzz_config_json.c: JSON configuration files, through the parser of
 * `xbar sweep` (xb_sweep_config_parse in xb_sweep.h: cJSON, the keys and
 * types of the file, every parameter through xb_analog_config_set, every point
 * through xb_analog_config_validate).
 *
 * Properties checked:
 *   - a refused file leaves a message that starts with the file name, and
 *     nothing to free;
 *   - an accepted file has 1 .. XB_SWEEP_MAX_POINTS points, and every point (and
 *     the digital baseline) yields a configuration that validates;
 *   - for every key of such a configuration, setting the text that
 *     xb_analog_config_get returns reads back as the same text, and for one key
 *     per input the whole configuration keeps its hash: result files and
 *     calibration caches written by xbar read back as the same configuration;
 *   - xb_analog_config_get never writes past a short buffer. */
#include "fuzz_util.h"

#include "xb_sweep.h"
#include "xb_analog.h"

#define PATH "/fuzz/sweep.json" /* named in messages; relative paths resolve against /fuzz */
#define MAX_CHECKED 64          /* points whose configuration is checked per input */

/* The number of parameters xb_analog_config_key() lists. */
static size_t n_keys(void)
{
    size_t n = 0;
    while (xb_analog_config_key((int)n))
        n++;
    return n;
}

static void check_text_round_trip(const xb_analog_config *cfg, size_t pick)
{
    unsigned long long h = xb_analog_config_hash(cfg);
    for (size_t k = 0; xb_analog_config_key((int)k); k++) {
        const char *key = xb_analog_config_key((int)k)->key;
        char a[128], b[128];
        if (xb_analog_config_get(cfg, key, a, sizeof a, NULL) != XB_OK)
            continue;
        xb_analog_config copy = *cfg;
        xb_error err;
        if (xb_analog_config_set(&copy, key, a, &err) != XB_OK) {
            fprintf(stderr, "%s = '%s' (from get) refused: %s\n", key, a, err.msg);
            FUZZ_CHECK(0);
        }
        FUZZ_CHECK(xb_analog_config_get(&copy, key, b, sizeof b, NULL) == XB_OK);
        if (strcmp(a, b) || (k == pick && xb_analog_config_hash(&copy) != h)) {
            fprintf(stderr, "%s: '%s' reads back as '%s'\n", key, a, b);
            FUZZ_CHECK(0);
        }
        if (k != pick)
            continue;
        for (size_t len = 1; len <= 4; len++) {
            char small[8];
            memset(small, 'Z', sizeof small);
            (void)xb_analog_config_get(cfg, key, small, len, NULL);
            FUZZ_CHECK(memchr(small, '\0', len) != NULL);
            for (size_t i = len; i < sizeof small; i++)
                FUZZ_CHECK(small[i] == 'Z');
        }
    }
}

static void check_task(const xb_sweep_config *c, long t, size_t pick)
{
    xb_analog_config cfg;
    xb_error err;
    xb_error_clear(&err);
    FUZZ_CHECK(xb_sweep_task_config(c, t, &cfg, &err) == XB_OK);
    FUZZ_CHECK(xb_analog_config_validate(&cfg, &err) == XB_OK);
    char label[256];
    xb_sweep_task_label(c, t, label, sizeof label);
    FUZZ_CHECK(memchr(label, '\0', sizeof label) != NULL);
    check_text_round_trip(&cfg, pick);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1); /* the parser takes NUL-terminated text */
    memcpy(text, data, size);
    text[size] = '\0';
    xb_sweep_config c;
    xb_error err;
    xb_error_clear(&err);
    xb_status st = xb_sweep_config_parse(text, PATH, &c, &err);
    free(text);
    if (st != XB_OK) {
        FUZZ_CHECK(err.code == st && !strncmp(err.msg, PATH, strlen(PATH)));
        return 0;
    }
    FUZZ_CHECK(c.n_points >= 1 && c.n_points <= XB_SWEEP_MAX_POINTS);
    FUZZ_CHECK(c.model && c.dataset && c.calib_dataset && c.cache_dir);
    size_t pick = size % n_keys();
    if (c.baseline)
        check_task(&c, XB_SWEEP_BASELINE, pick);
    for (long t = 0; t < c.n_points && t < MAX_CHECKED; t++)
        check_task(&c, t, pick);
    if (c.n_points > MAX_CHECKED)
        check_task(&c, c.n_points - 1, pick);
    for (int a = 0; a < c.n_axes; a++)
        FUZZ_CHECK(c.axes[a].n >= 1 && c.axes[a].key && c.axes[a].values);
    xb_sweep_config_free(&c);
    return 0;
}
