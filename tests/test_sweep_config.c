/* test_sweep_config.c: `xbar sweep` refuses a bad configuration file or bad
 * arguments with one line on stderr that says what and where, a non-zero exit
 * status, and nothing written. */
#define _POSIX_C_SOURCE 200809L
#include "xb_test.h"

#include "xb_analog.h"

#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* Run `xbar sweep <args>` in the temporary folder; expect exit status
 * `status`, nothing on stdout and one line on stderr containing `what`. */
static void expect(const char *args, int status, const char *what)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' sweep %s >stdout 2>stderr </dev/null",
             xb_test_tmpdir(), xb_test_xbar(), args);
    int st = system(cmd);
    int rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char *out = xb_test_slurp(xb_test_tmp("stdout")), *err = xb_test_slurp(xb_test_tmp("stderr"));
    printf("$ xbar sweep %s\n-> exit %d\n%s%s", args, rc, out, err);
    XB_CHECK_MSG(rc == status, "exit %d, expected %d", rc, status);
    XB_CHECK_MSG(out[0] == '\0', "stdout is not empty");
    XB_CHECK_MSG(xb_test_count_lines(err) == 1, "stderr has %d lines", xb_test_count_lines(err));
    XB_CHECK_MSG(strstr(err, what) != NULL, "stderr lacks '%s'", what);
    free(out);
    free(err);
}

/* Write name.json with text and expect its refusal (exit 1). */
static void expect_config(const char *name, const char *text, const char *what)
{
    char file[256];
    snprintf(file, sizeof file, "%s.json", name);
    FILE *f = fopen(xb_test_tmp(file), "wb");
    fputs(text, f);
    fclose(f);
    expect(file, 1, what);
    /* Nothing was created: no default output folder. */
    char dir[300];
    snprintf(dir, sizeof dir, "sweep-%s", name);
    struct stat st;
    XB_CHECK_MSG(stat(xb_test_tmp(dir), &st) != 0, "%s was created", dir);
}

#define HEAD "{ \"model\": \"m.onnx\", \"dataset\": \"fashion-mnist\", "

/* docs/sweep.md lists the parameters in a table, in the order and with the
 * keys of the library's own table (xb_analog_config_key). */
static void docs_list_every_key(void)
{
    char *doc = xb_test_slurp(xb_test_src("docs/sweep.md"));
    char *p = strstr(doc, "| parameter | value | meaning |");
    XB_CHECK_MSG(p != NULL, "docs/sweep.md has no parameter table");
    int i = 0;
    /* the rows after the header and its |---| line, up to the first non-row */
    for (char *line = p ? strchr(strchr(p, '\n') + 1, '\n') + 1 : NULL;
         line && !strncmp(line, "| `", 3); line = strchr(line, '\n') + 1, i++) {
        const char *k = line + 3, *end = strchr(k, '`');
        const xb_analog_key *key = xb_analog_config_key(i);
        size_t n = (size_t)(end - k);
        XB_CHECK_MSG(key && n == strlen(key->key) && !strncmp(k, key->key, n),
                     "docs/sweep.md parameter %d is '%.*s', the library's is '%s'", i, (int)n,
                     k, key ? key->key : "(none)");
    }
    XB_CHECK_MSG(i > 0 && !xb_analog_config_key(i), "docs/sweep.md lists %d parameters, the "
                 "library %s", i, xb_analog_config_key(i) ? "more" : "none");
    free(doc);
}

int main(void)
{
    docs_list_every_key();
    /* Arguments. */
    expect("", 2, "a configuration file is required");
    expect("a.json b.json", 2, "one configuration file only");
    expect("--bogus a.json", 2, "unknown option '--bogus'");
    expect("--limit 0 a.json", 2, "--limit: expected a positive integer, got '0'");
    expect("--limit=ten a.json", 2, "got 'ten'");
    expect("--out", 2, "--out needs a value");
    expect("missing.json", 1, "missing.json: cannot open");

    /* JSON syntax: the file, line and column. */
    expect_config("syntax", "{ \"model\": \"m.onnx\",\n  \"dataset\" \"fashion-mnist\" }",
                  "syntax.json:2:");
    expect_config("trailing", "{ \"model\": \"m.onnx\",\n  \"dataset\": \"fashion-mnist\", }",
                  "trailing.json:2:");
    expect_config("truncated", "{ \"model\": \"m.onnx\", \"dataset\": ", "JSON syntax error");
    expect_config("empty", "", "JSON syntax error");
    expect_config("array", "[1, 2]", "must be a JSON object");

    /* Keys and types. */
    expect_config("unknown", HEAD "\"imagez\": 5 }", "unknown key 'imagez'");
    expect_config("twice", HEAD "\"model\": \"n.onnx\" }", "'model' is given twice");
    expect_config("nomodel", "{ \"dataset\": \"fashion-mnist\" }", "'model' is required");
    expect_config("nodata", "{ \"model\": \"m.onnx\" }", "'dataset' is required");
    expect_config("images", HEAD "\"images\": \"ten\" }", "'images' must be an integer");
    expect_config("images0", HEAD "\"images\": 0 }", "'images' must be an integer from 1");
    expect_config("batch", HEAD "\"batch\": 2.5 }", "'batch' must be an integer");
    expect_config("calib", HEAD "\"calibration_images\": -3 }", "'calibration_images'");
    expect_config("imagenet", "{ \"model\": \"m.onnx\", \"dataset\": \"imagenet:val\" }",
                  "'calibration_dataset' is required");

    /* Parameters: the key (and index) at fault, and the library's reason. */
    expect_config("basekey", HEAD "\"base\": { \"adc_bitz\": 8 } }", "base.adc_bitz");
    expect_config("baseval", HEAD "\"base\": { \"mapping\": \"diagonal\" } }",
                  "base.mapping: mapping = 'diagonal'");
    expect_config("axisval", HEAD "\"axes\": { \"rp\": [0, \"abc\"] } }",
                  "axes.rp[1]: rp = 'abc'");
    expect_config("axisint", HEAD "\"axes\": { \"adc_bits\": [4, 8.5] } }", "axes.adc_bits[1]");
    expect_config("axisscalar", HEAD "\"axes\": { \"rp\": 1e-5 } }",
                  "axes.rp: expected a non-empty array");
    expect_config("axisempty", HEAD "\"axes\": { \"rp\": [] } }",
                  "axes.rp: expected a non-empty array");
    expect_config("axisbool", HEAD "\"axes\": { \"rp\": [true] } }",
                  "axes.rp[0]: expected a number or a string");
    expect_config("axisdup", HEAD "\"axes\": { \"rp\": [1e-5, 0.00001] } }",
                  "axes.rp[1]: the same value as axes.rp[0]");
    expect_config("axiskey", HEAD "\"axes\": { \"wire\": [1] } }", "axes.wire[0]");
    expect_config("baseline", HEAD "\"baseline\": { \"mvm\": \"analog\" } }", "baseline.mvm");
    expect_config("plotkey", HEAD "\"plots\": [\"rpp\"] }", "plots[0]");
    expect_config("plotobj", HEAD "\"plots\": [{ \"x\": \"rp\", \"lg\": true }] }", "plots[0].lg");

    /* A point that the library refuses as a whole: named by its number and values. */
    expect_config("point", HEAD "\"axes\": { \"slicing\": [\"1\", \"2x2\"] } }",
                  "point 1 (slicing=2x2)");

    /* A valid configuration whose model is missing: refused before anything is written. */
    expect_config("nomodelfile", HEAD "\"axes\": { \"rp\": [0] } }", "m.onnx");
    XB_TEST_DONE();
}
