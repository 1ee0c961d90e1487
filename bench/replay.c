/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * replay FILE: run a user's trace. One operation a line:
 *   alloc <size_bits> [paddr]   2^(size_bits-12) frames, size_bits 12..22, paddr in hex 0x...
 *   free <id>                   id: the 0-based number of the alloc line (alloc lines only)
 *   # ...                       comment (also after an operation); blank lines are fine
 * Reading reports malformed lines and frees of unknown or already freed ids with their line
 * numbers; running reports allocs that cannot be served (and the frees of those blocks).
 * The run goes on unless --strict is given: then the first error stops it (exit 1).
 * A malformed alloc line still takes an id, so that later ids keep their meaning.
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

struct trace_ids {
    int64_t *block; /* trace id -> block id, -1: malformed alloc */
    uint8_t *freed;
    size_t n, cap;
};

static int push_id(struct trace_ids *t, int64_t block)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        int64_t *b = realloc(t->block, cap * sizeof(*b));
        if (!b) {
            return -1;
        }
        t->block = b;
        uint8_t *f = realloc(t->freed, cap);
        if (!f) {
            return -1;
        }
        t->freed = f;
        t->cap = cap;
    }
    t->freed[t->n] = 0;
    t->block[t->n++] = block;
    return 0;
}

/* Parses the trace into l; returns the number of errors reported (or -1: cannot read). */
static long parse(const char *file, struct bench_oplist *l, bool strict)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        perror(file);
        return -1;
    }
    struct trace_ids ids = {0};
    char line[512];
    long errors = 0;
    for (uint32_t ln = 1; fgets(line, sizeof(line), f); ln++) {
        char *hash = strchr(line, '#');
        if (hash) {
            *hash = 0;
        }
        char op[16], a1[64], a2[64], extra[8];
        int n = sscanf(line, "%15s %63s %63s %7s", op, a1, a2, extra);
        if (n <= 0) {
            continue;
        }
        bool bad = false;
        if (!strcmp(op, "alloc") && (n == 2 || n == 3)) {
            char *end;
            unsigned long bits = strtoul(a1, &end, 10);
            uint64_t paddr = 0;
            bad = *end || bits < 12 || bits > 22;
            if (!bad && n == 3) {
                bad = strncmp(a2, "0x", 2) && strncmp(a2, "0X", 2);
                paddr = strtoull(a2, &end, 16);
                bad |= *end != 0;
            }
            if (bad) {
                if (push_id(&ids, -1)) {
                    break;
                }
            } else {
                uint32_t id = ops_alloc(l, (unsigned)(bits - 12), 1u << (bits - 12),
                                        n == 3 ? BLK_AT : 0, paddr);
                l->v[l->n - 1].line = ln;
                if (push_id(&ids, id)) {
                    break;
                }
            }
        } else if (!strcmp(op, "free") && n == 2) {
            char *end;
            unsigned long long id = strtoull(a1, &end, 10);
            if (*end) {
                bad = true;
            } else if (id >= ids.n || ids.block[id] < 0) {
                fprintf(stderr, "%s:%u: free of unknown id %llu\n", file, ln, id);
                errors++;
            } else if (ids.freed[id]) {
                fprintf(stderr, "%s:%u: free of already freed id %llu\n", file, ln, id);
                errors++;
            } else {
                ids.freed[id] = 1;
                ops_free(l, (uint32_t)ids.block[id]);
                l->v[l->n - 1].line = ln;
            }
        } else {
            bad = true;
            if (!strcmp(op, "alloc") && push_id(&ids, -1)) {
                break;
            }
        }
        if (bad) {
            fprintf(stderr, "%s:%u: malformed line\n", file, ln);
            errors++;
        }
        if (errors && strict) {
            break;
        }
    }
    fclose(f);
    free(ids.block);
    free(ids.freed);
    return errors;
}

int bench_replay(const char *file, const struct bench_opts *o)
{
    struct bench_oplist l;
    ops_init(&l);
    long errors = parse(file, &l, o->strict);
    if (errors < 0 || (errors > 0 && o->strict)) {
        ops_fini(&l);
        fprintf(stderr, "replay: %s\n", errors < 0 ? "cannot read the trace" : "stopped (--strict)");
        return 1;
    }
    ops_free_rest(&l); /* blocks the trace leaves allocated: freed so leaks can be checked */
    if (!o->json) {
        printf("replay %s: %zu operations, %u blocks, %ld errors while reading\n", file, l.n,
               l.nblocks, errors);
    }
    /* Held versus used after every operation, or every k-th on a trace longer than the
     * samples a row keeps (sample numbers: operations done). */
    size_t every = l.n / BENCH_MAX_SAMPLES + 1;
    struct bench_spec spec = {.workload = "replay",
                              .phase = "",
                              .ops = &l,
                              .pools = -1,
                              .strict = o->strict,
                              .samples = true,
                              .sample_every = every,
                              .trace_errors = (uint64_t)errors};
    struct bench_result *rows;
    size_t n;
    int bad = bench_run_all(&spec, o, &rows, &n);
    if (!o->json) {
        if (every > 1) {
            printf("  (held vs used sampled every %zu operations)\n", every);
        }
        report_overhead_lines(stdout, rows, n, false);
    }
    for (size_t i = 0; i < n && o->strict; i++) {
        bad += rows[i].alloc_failures > 0;
    }
    bench_results_free(rows, n);
    ops_fini(&l);
    return bad ? 1 : 0;
}
