/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault injection: fail the nth call of a kind, or each call of a kind with a probability,
 * with a chosen error. The generator is splitmix64 seeded from the configuration, so a run is
 * reproducible. An injected failure happens before decoding, so it changes nothing, which is
 * what a refused invocation does on the kernel.
 */
#include <string.h>
#include "model.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void sel4host_fault_seed(uint64_t seed)
{
    sim_w.rng = seed;
}

void sel4host_fault_nth(enum sel4host_inv kind, uint64_t n, seL4_Error err)
{
    if ((unsigned)kind >= SEL4HOST_INV_COUNT) {
        return;
    }
    sim_ensure_booted();
    sim_w.faults[kind].nth = n;
    sim_w.faults[kind].nth_err = err;
}

void sel4host_fault_probability(enum sel4host_inv kind, double p, seL4_Error err)
{
    if ((unsigned)kind >= SEL4HOST_INV_COUNT) {
        return;
    }
    sim_ensure_booted();
    if (p < 0) {
        p = 0;
    }
    if (p > 1) {
        p = 1;
    }
    sim_w.faults[kind].prob_ppb = (uint32_t)(p * 4294967295.0);
    sim_w.faults[kind].prob_err = err;
}

void sel4host_fault_clear(void)
{
    memset(sim_w.faults, 0, sizeof(sim_w.faults));
}

uint64_t sel4host_faults_injected(void)
{
    return sim_w.faults_injected;
}

bool sim_fault_fire(enum sel4host_inv kind, seL4_Error *err)
{
    struct sim_fault *f = &sim_w.faults[kind];

    if (f->nth != 0) {
        if (f->nth == 1) {
            f->nth = 0;
            *err = f->nth_err;
            sim_w.faults_injected++;
            return true;
        }
        f->nth--;
    }
    if (f->prob_ppb != 0 && (uint32_t)(splitmix64(&sim_w.rng) >> 32) < f->prob_ppb) {
        *err = f->prob_err;
        sim_w.faults_injected++;
        return true;
    }
    return false;
}
