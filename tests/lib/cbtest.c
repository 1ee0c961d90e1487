/* SPDX-License-Identifier: BSD-2-Clause */
#include "cbtest.h"

#include <stdlib.h>

unsigned long cbtest_failures;
unsigned long cbtest_checks;

int cbtest_finish(void)
{
    printf("%lu checks, %lu failed\n", cbtest_checks, cbtest_failures);
    return cbtest_failures ? 1 : 0;
}

void cbt_seed(struct cbt_rng *r, uint64_t seed)
{
    r->s = seed;
}

/* splitmix64: one state word, full period, good enough for test input generation. */
uint64_t cbt_next(struct cbt_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t cbt_below(struct cbt_rng *r, uint64_t n)
{
    /* The modulo bias is below n / 2^64: nothing for the small n tests use. */
    return cbt_next(r) % n;
}

double cbtest_scale(void)
{
    const char *s = getenv("CBTEST_SCALE");
    double v = 0;
    if (s != NULL) {
        char *end;
        v = strtod(s, &end);
        if (end == s) {
            v = 0;
        }
    }
    return v > 0 ? v : 1.0;
}
