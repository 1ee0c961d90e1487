/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * The benchmark runner's shared pieces. Every workload of WORKLOADS.md is turned into a
 * list of operations (alloc a block / free a block), generated once from the seed, and the
 * runner (run.c) plays that list against each allocator adapter in a fresh model world.
 * Generating first means the timed loop does nothing but allocator calls, the world can be
 * sized from the exact peak of live frames, and every allocator sees the same requests.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sel4/sel4.h>
#include <sel4host/host.h>
#include <vka/vka.h>

#include "workload_gen.h"

/* Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* `capbuddy-bench tree --ops N [--order K|--mixed] [--json]` */
int bench_tree(int argc, char **argv);

/* `capbuddy-bench soak [--ops N] [--seed S] [--policy P] [--json]` (soak.c); the JSON row
 * also goes to json_out when not NULL. 0 when every check held. */
int bench_soak(int argc, char **argv, FILE *json_out);

/* ---- options ------------------------------------------------------------------------ */

enum bench_policy_sel { POL_TRUST = 1, POL_REVOKE = 2, POL_SCRUB = 4, POL_ALL = 7 };
enum bench_alloc_sel { AL_CAPBUDDY = 1, AL_VKA = 2, AL_BASELINE = 4, AL_ALL = 7 };

struct bench_opts {
    unsigned allocators; /* AL_* bits */
    unsigned policies;   /* POL_* bits */
    uint64_t seed;
    double scale;
    bool json;
    const char *plot_dir; /* NULL: no plots */
    unsigned repeats;     /* timed repeats (after the checked run) */
    long iterations;      /* mcmc: -1 = default (50,000 x scale) */
    long max_lifetime;    /* mcmc: -1 = default (4,999 x scale) */
    bool strict;          /* replay */
    bool progress;        /* progress on stderr */
    FILE *json_out;       /* --json-out FILE: JSON rows there too (tables stay on stdout) */
    long spare_pools;     /* CapBuddy's spare_pools; -1: the library's default */
    long maintain_every;  /* --maintain N: capbuddy_maintain every N allocator calls; 0: off */
    long prepare;         /* --prepare N|peak: capbuddy_prepare(N frames) before the first call;
                           * BENCH_PREPARE_PEAK: the list's peak of live frames; 0: off */
    long retain_ops;      /* --retain N: CapBuddy's retain_ops; -1: the library's default */
    long max_overhead;    /* --max-overhead N: CapBuddy's max_overhead_pct; -1: default */
};

#define BENCH_PREPARE_PEAK (-1L)

/* Parses the common options after argv[0] (the workload); positional arguments (replay's
 * FILE) are left in *pos. 0, or 2 after printing a usage error. */
int bench_parse_opts(int argc, char **argv, struct bench_opts *o, const char **pos);

/* ---- the world an allocator runs in ------------------------------------------------ */

struct cb_parent;

struct bench_env {
    const seL4_BootInfo *bi;
    struct cb_parent *parent;
    vka_t parent_vka;
    seL4_Word window_first, window_count; /* CapBuddy's slot window */
    int policy;                           /* CAPBUDDY_POLICY_*, ignored by the baseline */
    long spare_pools;                     /* -1: the library's default */
    long retain_ops;                      /* -1: the library's default */
    long max_overhead;                    /* -1: the library's default */
};

/* A block of the workload as an allocator holds it. */
struct bench_block {
    uintptr_t h;     /* adapter's handle: first cptr, or an array of vka objects */
    uint32_t frames; /* 4 KiB frames actually held (CapBuddy: 2^order) */
    uint32_t want;   /* frames the program asked for */
    uint8_t order;
    uint8_t flags;
    uint8_t live;
    uint8_t failed; /* its alloc failed (replay): frees of it are skipped */
};

struct bench_astats {
    uint64_t metadata_bytes_peak;
    uint64_t pools_created, pools_returned;
    uint64_t frames_held;        /* frames the allocator holds from the parent right now */
    uint64_t largest_free_frames;/* largest run it (and its parent) can hand out now */
};

/* An allocator adapter (alloc_capbuddy.c, alloc_vka.c, alloc_baseline.c). */
struct bench_allocator {
    const char *name;
    bool uses_policy; /* runs once per policy */
    bool per_frame;   /* a block is `frames` separate 4 KiB objects (no rounding) */
    bool has_large;   /* can hand out large pages */
    int (*init)(const struct bench_env *env, void **st);
    /* 0 or an error; b->frames, order, flags are set by the caller. */
    int (*alloc)(void *st, struct bench_block *b, uint64_t paddr);
    int (*free)(void *st, struct bench_block *b);
    /* The cap of 4 KiB frame i of the block (or of the large page, i = 0). */
    seL4_CPtr (*frame)(void *st, const struct bench_block *b, uint32_t i);
    void (*stats)(void *st, struct bench_astats *out);
    int (*check)(void *st); /* 0 when every invariant of the allocator holds */
    /* Optional: background work between calls (capbuddy_maintain), 0 or an error. */
    int (*maintain)(void *st);
    /* Optional: make pools ahead for `frames` frames (capbuddy_prepare), 0 or an error. */
    int (*prepare)(void *st, unsigned long frames);
    void (*fini)(void *st);
};

extern const struct bench_allocator bench_alloc_capbuddy;
extern const struct bench_allocator bench_alloc_vka;
extern const struct bench_allocator bench_alloc_baseline;

/* ---- running and results ------------------------------------------------------------ */

#define BENCH_MAX_SAMPLES 4096

struct bench_sample {
    uint32_t iteration; /* util: mcmc iterations done; replay: trace operations done */
    uint64_t used;      /* frames the program holds (asked for, before any rounding) */
    uint64_t held;      /* frames the allocator holds from the parent */
};

/* Memory held versus memory used over a row's samples (issue 19). The overhead of a sample
 * is held / used - 1, taken over the samples with used > 0 only (0 when there is none); the
 * goal is held <= 1.10 x used + one pool (1024 frames) at every sample, used = 0 included,
 * checked in integers (10 held <= 11 used + 10240). */
#define BENCH_GOAL_POOL_FRAMES 1024u
struct bench_overhead {
    size_t nsamples;
    size_t nratio; /* samples with used > 0 (those the overhead is taken over) */
    uint64_t held_max, used_max;
    double overhead_max, overhead_mean;
    bool goal_ok;           /* the goal held at every sample */
    size_t goal_missed;     /* samples where it did not */
    uint64_t goal_excess;   /* most frames held above the goal's bound at one sample (0: met) */
    uint32_t goal_worst_at; /* that sample's iteration */
};

struct bench_result {
    char workload[24];
    char phase[24];
    char allocator[16];
    char policy[8];
    uint64_t seed;
    long pools; /* scale: pools pre-created (-1: not a scale row) */
    long spare_pools; /* --spare-pools, -1: the library's default */
    bool skipped;
    char note[160];

    uint64_t ops;                 /* allocator calls (block allocs + frees) per run */
    uint64_t frames_allocated;    /* 4 KiB frames handed out over the run */
    uint64_t frames_wasted;       /* of them, not asked for (rounding to 2^k) */
    uint64_t calls[SEL4HOST_INV_COUNT];
    uint64_t calls_total;
    uint64_t instructions;        /* modelled kernel instructions, boot clearing excluded */
    uint64_t boot_clear;          /* the one-time clearing of boot untypeds on first use */
    uint64_t instr_max_per_op;    /* most kernel instructions in one allocator call */
    uint64_t instr_p999_per_op;   /* 99.9th percentile over the calls (boot clearing apart) */
    long maintain_every;          /* --maintain N, 0: off */
    uint64_t maintain_instr;      /* of instructions, those spent in maintenance calls */
    uint64_t prepare_frames;      /* --prepare: frames asked of capbuddy_prepare, 0: off */
    uint64_t prepare_instr;       /* of instructions, those spent in capbuddy_prepare */
    double ns_per_op;             /* median over timed repeats */
    double ns_min, ns_max;
    unsigned repeats;
    uint64_t metadata_bytes_peak;
    uint64_t pools_created, pools_returned;
    uint64_t largest_free_frames;
    uint64_t trace_errors;        /* replay: lines reported */
    uint64_t alloc_failures;
    bool ok;
    char why[200];                /* first failed check */

    struct bench_sample *samples; /* util, replay: owned by the result */
    size_t nsamples;
};

struct bench_spec {
    const char *workload;
    const char *phase;    /* "" for single-phase workloads */
    const struct bench_oplist *ops;
    long pools;           /* scale: -1 otherwise */
    uint64_t ram_bytes;   /* 0: sized from the list's peak */
    unsigned cnode_bits;  /* 0: sized from the list's peak */
    bool strict;          /* replay: stop at the first failed alloc */
    bool samples;         /* record bench_sample at OP_MARKs */
    /* With samples: also record one after every sample_every-th op of the list (0: only at
     * OP_MARKs); replay uses it, its traces having no marks. Only the checked run samples. */
    size_t sample_every;
    /* Ops before this index are set-up (e.g. scale's pre-created pools): run, counted and
     * checked, but neither timed nor counted in the results. */
    size_t timed_from;
    /* Ops from this index on (0: none) are tear-down: run and checked, not timed or counted. */
    size_t timed_to;
    uint64_t trace_errors; /* replay: errors found while reading the trace */
};

/* Run spec against one allocator and policy: a checked run, then o->repeats timed runs,
 * each in a fresh world. Fills *r (r->ok false if any check failed). */
void bench_run(const struct bench_spec *spec, const struct bench_allocator *a, int policy,
               const struct bench_opts *o, struct bench_result *r);

/* Run spec for every selected allocator and policy, report each row, and return the number
 * of rows with ok false. rows/nrows (optional) receive the results, owned by the caller
 * (free with bench_results_free). */
int bench_run_all(const struct bench_spec *spec, const struct bench_opts *o,
                  struct bench_result **rows, size_t *nrows);
void bench_results_free(struct bench_result *rows, size_t n);

/* True on a 32-bit host, where the model cannot hold more than about 3.5 GiB of RAM. */
bool bench_small_host(void);

/* ---- report.c ------------------------------------------------------------------------ */

void report_json(FILE *f, const struct bench_result *r);
/* Human table of rows that belong together (same workload and phase), with ratios. */
void report_table(FILE *f, const struct bench_result *rows, size_t n);
/* Scale: one table with a row per (allocator, policy, pools). */
void report_scale_table(FILE *f, const struct bench_result *rows, size_t n);
const char *report_policy_name(int policy);
/* The held-versus-used figures of r's samples (all zero, goal_ok true, when it has none). */
void report_overhead_of(const struct bench_result *r, struct bench_overhead *ov);
/* One line per row with samples: used and held at most, overhead, the goal; `more` adds
 * pools made and given back and the largest free run at the end. */
void report_overhead_lines(FILE *f, const struct bench_result *rows, size_t n, bool more);

/* ---- plot.c -------------------------------------------------------------------------- */

struct plot_series {
    const char *label;
    const double *x, *y;
    size_t n;
    bool dashed; /* a reference line (dashed, black), not a measured series */
};

/* Writes DIR/NAME.svg (through gnuplot when it is on PATH, else directly). 0 or -1. */
int plot_bars(const char *dir, const char *name, const char *title, const char *ylabel,
              const char *const *labels, const double *values, size_t n, bool logy);
int plot_lines(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_series *s, size_t ns, bool logx,
               bool logy);
/* The charts for a workload's rows (mcmc-*, util, scale); others make none. */
void plot_workload(const char *dir, const char *workload, const struct bench_result *rows,
                   size_t n);

/* ---- workloads ----------------------------------------------------------------------- */

int bench_mcmc(const char *law, const struct bench_opts *o);
int bench_single(const struct bench_opts *o);
int bench_contig(const struct bench_opts *o);
int bench_util(const struct bench_opts *o);
int bench_scale(const struct bench_opts *o);
int bench_vmram(const struct bench_opts *o);
int bench_replay(const char *file, const struct bench_opts *o);

long mcmc_iterations(const struct bench_opts *o);
long mcmc_max_lifetime(const struct bench_opts *o);

/* alloc_capbuddy.c: a CapBuddy over env's parent with env's policy (and, for scrub, a hook
 * that zeroes a frame through a mapping window, as a seL4 program would). */
struct capbuddy;
int bench_capbuddy_new(const struct bench_env *env, struct capbuddy **out);

/* alloc_baseline.c: blocks as arrays of vka objects, one vka_alloc_frame per 4 KiB frame
 * (or one large page), shared by the baseline and the capbuddy-vka adapters. */
struct vka_blocks;
struct vka_blocks *vka_blocks_new(vka_t *vka);
/* Per-call figures of a per-frame allocator: vka_blocks brackets each vka call with these
 * (run.c records the kernel instructions between them while the checked run counts). */
uint64_t bench_call_begin(void);
void bench_call_end(uint64_t begin);

int vka_blocks_alloc(struct vka_blocks *vb, struct bench_block *b, uint64_t paddr);
int vka_blocks_free(struct vka_blocks *vb, struct bench_block *b);
seL4_CPtr vka_blocks_frame(const struct bench_block *b, uint32_t i);
void vka_blocks_delete(struct vka_blocks *vb);

/* After tear-down: true (and why, in `why`) if the model's caps, objects, untyped bytes,
 * slots or CNodes are not back at their values after boot. */
bool bench_leaked(const struct sel4host_account *boot, char *why, size_t len);

/* Record the first failure of a run: sets *ok false; the message of the first call stays. */
void bench_fail(bool *ok, char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
