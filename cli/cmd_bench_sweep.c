/* cmd_bench_sweep.c: `xbar bench sweep`: the speed-up of one process on T
 * threads (xb_bench_sweep, study/include/xb_bench.h).  Parses argv, runs the
 * benchmark and prints its table and the line
 *   speedup_threads <T> vs 1: <X> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "xb_bench.h"
#include "xb_threads.h"

#define CMD "bench sweep"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: xbar bench sweep [--threads T] [--images N] [--calib N] [--repeat R]\n"
            "                        [--model PATH] [--dataset SPEC] [--calib-dataset SPEC] [--rp X]\n\n"
            "One small analog inference point (the P5 configuration of docs/performance.md: exact\n"
            "bit-line parasitics, bit-serial 8-bit inputs, differential pairs, 1152-row arrays, an\n"
            "8-bit ADC): calibrate on N training images, run N test images, with 1 thread and with T\n"
            "threads in turn, R pairs, in this process.  Prints the median wall and CPU times and\n"
            "'speedup_threads <T> vs 1: <median of the pairs' ratios>', and whether the runs gave the\n"
            "same logits bit for bit (they must).\n\n"
            "  --threads T        threads compared with 1 (default: xbar's thread count, at least 2)\n"
            "  --images N         test images per run (64)\n"
            "  --calib N          calibration images per run (16)\n"
            "  --repeat R         pairs of runs (3)\n"
            "  --model PATH       (models/resnet50_fmnist_int8.onnx)\n"
            "  --dataset SPEC     test images (fashion-mnist)\n"
            "  --calib-dataset SPEC  calibration images (fashion-mnist-train)\n"
            "  --rp X             normalized wire resistance (1e-5)\n");
}

static int parse(int argc, char **argv, xb_bench_sweep_options *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n = 0;
        int *count = !strcmp(a, "--threads")  ? &o->threads
                     : !strcmp(a, "--images") ? &o->images
                     : !strcmp(a, "--calib")  ? &o->calib_images
                     : !strcmp(a, "--repeat") ? &o->repeat
                                              : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (count && v) {
            if (!xb_parse_long(v, &n) || n < 1 || n > 1000000)
                return xb_cli_fail(CMD, "%s '%s': must be a whole number >= 1", a, v);
            *count = (int)n;
        } else if (v && !strcmp(a, "--model")) {
            o->model = v;
        } else if (v && !strcmp(a, "--dataset")) {
            o->dataset = v;
        } else if (v && !strcmp(a, "--calib-dataset")) {
            o->calib_dataset = v;
        } else if (v && !strcmp(a, "--rp")) {
            xb_error err = {0};
            if (xb_analog_config_set(&o->cfg, "rp", v, &err))
                return xb_cli_fail(CMD, "--rp: %s", err.msg);
        } else {
            usage(stderr);
            return xb_cli_fail(CMD, "unknown or incomplete option '%s'", a);
        }
        i++;
    }
    return -1;
}

int xb_cmd_bench_sweep(int argc, char **argv)
{
    xb_bench_sweep_options o;
    xb_bench_sweep_options_init(&o);
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.threads == 1)
        return xb_cli_fail(CMD, "--threads 1: compare at least 2 threads with 1");
    xb_bench_machine m;
    xb_bench_machine_get(&m);
    printf("machine: %s, %ld cores online, load average %.2f %.2f %.2f\n", m.cpu, m.cores, m.load[0], m.load[1],
           m.load[2]);
    printf("bench sweep: %s on %s, %d calibration + %d test images per run, %d pairs of runs\n", o.model, o.dataset,
           o.calib_images, o.images, o.repeat);
    fflush(stdout);
    xb_bench_sweep_result r;
    xb_error err = {0};
    if (xb_bench_sweep(&o, &r, &err))
        return xb_cli_fail(CMD, "%s", err.msg);
    xb_bench_machine_get(&m);
    printf("\n| threads | wall s (median) | CPU s (median) |\n|---:|---:|---:|\n| 1 | %.2f | %.2f |\n"
           "| %d | %.2f | %.2f |\n\n",
           r.t1, r.cpu1, r.threads, r.tT, r.cpuT);
    printf("top-1 %d/%d; logits of every run identical: %s; load average after: %.2f %.2f %.2f\n", r.correct,
           r.images, r.identical ? "yes" : "NO", m.load[0], m.load[1], m.load[2]);
    printf("speedup_threads %d vs 1: %.2f (pairs %.2f-%.2f)\n", r.threads, r.speedup, r.speedup_min,
           r.speedup_max);
    return r.identical ? 0 : xb_cli_fail(CMD, "the runs with 1 and %d threads gave different logits", r.threads);
}
