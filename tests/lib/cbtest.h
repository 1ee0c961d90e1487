/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * A tiny test helper: checks that count and report instead of aborting, so one run shows
 * every failure; a seeded PRNG so random tests are repeatable; a scale knob for slow runs.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

extern unsigned long cbtest_failures;
extern unsigned long cbtest_checks;

#define CBT_CHECK(cond)                                                                            \
    do {                                                                                           \
        cbtest_checks++;                                                                           \
        if (!(cond)) {                                                                             \
            cbtest_failures++;                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CBT_CHECK_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long cbt_a_ = (long long)(a), cbt_b_ = (long long)(b);                                \
        cbtest_checks++;                                                                           \
        if (cbt_a_ != cbt_b_) {                                                                    \
            cbtest_failures++;                                                                     \
            fprintf(stderr, "%s:%d: check failed: %s == %s (%lld != %lld)\n", __FILE__, __LINE__,  \
                    #a, #b, cbt_a_, cbt_b_);                                                       \
        }                                                                                          \
    } while (0)

/* Stop a long loop once something failed: the first failure is the one worth reading. */
#define CBT_BAIL_IF_FAILED()                                                                       \
    do {                                                                                           \
        if (cbtest_failures) {                                                                     \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* Run a test function, printing its name and result. */
#define CBT_RUN(fn)                                                                                \
    do {                                                                                           \
        unsigned long cbt_before_ = cbtest_failures;                                               \
        fn();                                                                                      \
        printf("%s %s\n", cbtest_failures == cbt_before_ ? "ok  " : "FAIL", #fn);                  \
    } while (0)

/* Print the summary line and return the process exit status. */
int cbtest_finish(void);

/* xoshiro-style PRNG (splitmix64 seeded); deterministic on every host. */
struct cbt_rng {
    uint64_t s;
};
void cbt_seed(struct cbt_rng *r, uint64_t seed);
uint64_t cbt_next(struct cbt_rng *r);
/* Uniform in [0, n), n > 0. */
uint64_t cbt_below(struct cbt_rng *r, uint64_t n);

/* CBTEST_SCALE (environment) or the build's default: multiplies long test loops. */
double cbtest_scale(void);
