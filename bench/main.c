/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * capbuddy-bench: one binary, one subcommand per workload.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: capbuddy-bench WORKLOAD [options]\n"
            "workloads:\n"
            "  mcmc-a | mcmc-b | mcmc-c [--iterations N] [--max-lifetime T]   Monte Carlo churn\n"
            "  single        1M one-frame alloc+free pairs; 1 GiB frame by frame, random free\n"
            "  contig        runs of 2^k frames, k = 0..10, anywhere and at a paddr\n"
            "  util          mcmc-a with frames used vs held over time; memory given back\n"
            "  scale         single-frame churn with 1, 64, 1024, 16384 pools\n"
            "  vmram         1 GiB of guest RAM as 4 KiB frames, 2^k runs, large pages\n"
            "  replay FILE [--strict]   a trace: 'alloc <size_bits> [0xpaddr]' / 'free <id>'\n"
            "  tree --ops N [--order K|--mixed] [--json]   one warm pool tree\n"
            "  soak [--ops N] [--seed S] [--policy P] [--json]   N mixed ops (default 100M)\n"
            "                over 4 GiB, invariants checked every 10,000 ops\n"
            "  demo          mcmc-a for every allocator, quick\n"
            "  all           every workload\n"
            "options:\n"
            "  --allocator capbuddy|capbuddy-vka|baseline|all   (default all)\n"
            "  --policy trust|revoke|scrub|all   CapBuddy's policy (default all)\n"
            "  --seed N (default 42)  --scale F (default 1)  --repeats N timed runs (default 3)\n"
            "  --json   one JSON object per line    --plot DIR   SVG charts into DIR\n"
            "  --json-out FILE   also append the JSON rows to FILE\n"
            "  --spare-pools N   CapBuddy keeps N wholly free pools (default: the library's)\n"
            "  --maintain N      CapBuddy: capbuddy_maintain every N allocator calls (idle time)\n"
            "  --prepare N|peak  CapBuddy: capbuddy_prepare(N frames) before the first call; peak:\n"
            "                    the workload's most live frames (what a program expects to need)\n"
            "  --retain N        CapBuddy's retain_ops (0: spare pools only; default: the library's)\n"
            "  --max-overhead N  CapBuddy's max_overhead_pct (0: no ceiling tied to use)\n"
            "  --progress / --no-progress   on stderr (default: when stderr is a terminal)\n");
    return 2;
}

int bench_parse_opts(int argc, char **argv, struct bench_opts *o, const char **pos)
{
    memset(o, 0, sizeof(*o));
    o->allocators = AL_ALL;
    o->policies = POL_ALL;
    o->seed = 42;
    o->scale = 1.0;
    o->repeats = 3;
    o->iterations = -1;
    o->max_lifetime = -1;
    o->spare_pools = -1;
    o->retain_ops = -1;
    o->max_overhead = -1;
    o->progress = isatty(2);
    if (pos) {
        *pos = NULL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(a, "--strict")) {
            o->strict = true;
        } else if (!strcmp(a, "--progress")) {
            o->progress = true;
        } else if (!strcmp(a, "--no-progress")) {
            o->progress = false;
        } else if (!strcmp(a, "--allocator") && v) {
            i++;
            o->allocators = !strcmp(v, "capbuddy")       ? AL_CAPBUDDY
                            : !strcmp(v, "capbuddy-vka") ? AL_VKA
                            : !strcmp(v, "baseline")     ? AL_BASELINE
                            : !strcmp(v, "all")          ? AL_ALL
                                                         : 0;
            if (!o->allocators) {
                fprintf(stderr, "unknown allocator %s\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--policy") && v) {
            i++;
            o->policies = !strcmp(v, "trust")    ? POL_TRUST
                          : !strcmp(v, "revoke") ? POL_REVOKE
                          : !strcmp(v, "scrub")  ? POL_SCRUB
                          : !strcmp(v, "all")    ? POL_ALL
                                                 : 0;
            if (!o->policies) {
                fprintf(stderr, "unknown policy %s\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--seed") && v) {
            o->seed = strtoull(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--scale") && v) {
            o->scale = strtod(argv[++i], NULL);
            if (!(o->scale > 0 && o->scale <= 64)) {
                fprintf(stderr, "--scale must be in (0, 64]\n");
                return 2;
            }
        } else if (!strcmp(a, "--repeats") && v) {
            o->repeats = (unsigned)strtoul(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--iterations") && v) {
            o->iterations = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--max-lifetime") && v) {
            o->max_lifetime = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--max-overhead") && v) {
            o->max_overhead = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--retain") && v) {
            o->retain_ops = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--maintain") && v) {
            o->maintain_every = strtol(argv[++i], NULL, 0);
            if (o->maintain_every < 0) {
                fprintf(stderr, "--maintain must be >= 0\n");
                return 2;
            }
        } else if (!strcmp(a, "--prepare") && v) {
            const char *p = argv[++i];
            o->prepare = !strcmp(p, "peak") ? BENCH_PREPARE_PEAK : strtol(p, NULL, 0);
            if (o->prepare < 0 && o->prepare != BENCH_PREPARE_PEAK) {
                fprintf(stderr, "--prepare takes a frame count or 'peak'\n");
                return 2;
            }
        } else if (!strcmp(a, "--spare-pools") && v) {
            o->spare_pools = strtol(argv[++i], NULL, 0);
        } else if (!strcmp(a, "--json-out") && v) {
            o->json_out = fopen(argv[++i], "a");
            if (!o->json_out) {
                perror(v);
                return 2;
            }
        } else if (!strcmp(a, "--plot") && v) {
            o->plot_dir = argv[++i];
        } else if (a[0] != '-' && pos && !*pos) {
            *pos = a;
        } else {
            fprintf(stderr, "unknown or incomplete option %s\n", a);
            return 2;
        }
    }
    return 0;
}

/* Runs one workload by name with parsed options; 0 when every row was ok. */
static int run_workload(const char *w, const char *pos, const struct bench_opts *o)
{
    if (!strncmp(w, "mcmc-", 5) && (w[5] == 'a' || w[5] == 'b' || w[5] == 'c') && !w[6]) {
        return bench_mcmc(w, o);
    }
    if (!strcmp(w, "single")) {
        return bench_single(o);
    }
    if (!strcmp(w, "contig")) {
        return bench_contig(o);
    }
    if (!strcmp(w, "util")) {
        return bench_util(o);
    }
    if (!strcmp(w, "scale")) {
        return bench_scale(o);
    }
    if (!strcmp(w, "vmram")) {
        return bench_vmram(o);
    }
    if (!strcmp(w, "replay")) {
        if (!pos) {
            fprintf(stderr, "replay: missing FILE\n");
            return 2;
        }
        return bench_replay(pos, o);
    }
    return usage();
}

/* The demo: mcmc-a, every allocator, trust and revoke, at a scale that takes well under a
 * minute on a 2-core machine (the full run is `capbuddy-bench mcmc-a`). */
static int run_demo(int argc, char **argv)
{
    struct bench_opts o;
    if (bench_parse_opts(argc, argv, &o, NULL)) {
        return 2;
    }
    bool scaled = false, pol = false;
    int err;
    for (int i = 1; i < argc; i++) {
        scaled |= !strcmp(argv[i], "--scale") || !strcmp(argv[i], "--iterations");
        pol |= !strcmp(argv[i], "--policy");
    }
    if (!scaled) {
        o.scale = 0.2;
    }
    if (!pol) {
        o.policies = POL_TRUST | POL_REVOKE;
    }
    err = bench_mcmc("mcmc-a", &o);
    if (o.json_out) {
        fclose(o.json_out);
    }
    return err;
}

static int run_all(int argc, char **argv)
{
    struct bench_opts o;
    if (bench_parse_opts(argc, argv, &o, NULL)) {
        return 2;
    }
    int bad = 0;
    if (!o.json) {
        printf("== tree (quick)\n");
        fflush(stdout);
    }
    char *order0[] = {"tree", "--ops", "2000000", "--order", "0", "--json"};
    char *mixed[] = {"tree", "--ops", "2000000", "--mixed", "--json"};
    bad += bench_tree(o.json ? 6 : 5, order0) != 0;
    bad += bench_tree(o.json ? 5 : 4, mixed) != 0;
    static const char *const names[] = {"mcmc-a", "mcmc-b", "mcmc-c", "single", "contig",
                                        "util",   "scale",  "vmram"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!o.json) {
            printf("\n== %s\n", names[i]);
            fflush(stdout);
        }
        bad += run_workload(names[i], NULL, &o) != 0;
    }
    if (!o.json) {
        printf("\n== replay %s\n", BENCH_SAMPLE_TRACE);
        fflush(stdout);
    }
    bad += bench_replay(BENCH_SAMPLE_TRACE, &o) != 0;
    /* The soak (issue 6): 100M mixed ops over 4 GiB, CapBuddy with the trust policy (or the
     * single policy chosen with --policy). */
    if (!o.json) {
        printf("\n== soak\n");
        fflush(stdout);
    }
    char seed[32];
    snprintf(seed, sizeof(seed), "%llu", (unsigned long long)o.seed);
    const char *pol = o.policies == POL_REVOKE ? "revoke" : o.policies == POL_SCRUB ? "scrub" : "trust";
    char *soak[] = {"soak", "--seed", seed, "--policy", (char *)pol,
                    o.progress ? "--progress" : "--no-progress", "--json"};
    bad += bench_soak(o.json ? 7 : 6, soak, o.json_out) != 0;
    if (o.json_out) {
        fclose(o.json_out);
    }
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage();
    }
    if (!strcmp(argv[1], "tree")) {
        return bench_tree(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "soak")) {
        return bench_soak(argc - 1, argv + 1, NULL);
    }
    if (!strcmp(argv[1], "demo")) {
        return run_demo(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "all")) {
        return run_all(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage();
        return 0;
    }
    struct bench_opts o;
    const char *pos;
    int err = bench_parse_opts(argc - 1, argv + 1, &o, &pos);
    if (err) {
        return err;
    }
    err = run_workload(argv[1], pos, &o);
    if (o.json_out) {
        fclose(o.json_out);
    }
    return err;
}
