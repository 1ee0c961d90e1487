/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Output: one JSON object per line per (workload, allocator, policy), or human tables with
 * the ratios CapBuddy / baseline. Progress goes to stderr elsewhere, never here.
 */
#include "bench.h"

#include <capbuddy/capbuddy.h>

#include <string.h>

const char *report_policy_name(int policy)
{
    switch (policy) {
    case CAPBUDDY_POLICY_TRUST:
        return "trust";
    case CAPBUDDY_POLICY_REVOKE:
        return "revoke";
    case CAPBUDDY_POLICY_SCRUB:
        return "scrub";
    default:
        return "?";
    }
}

static double per_frame(const struct bench_result *r, double x)
{
    return r->frames_allocated ? x / (double)r->frames_allocated : 0;
}

void report_overhead_of(const struct bench_result *r, struct bench_overhead *ov)
{
    memset(ov, 0, sizeof(*ov));
    ov->goal_ok = true;
    ov->nsamples = r->samples ? r->nsamples : 0;
    double sum = 0;
    for (size_t k = 0; k < ov->nsamples; k++) {
        const struct bench_sample *s = &r->samples[k];
        ov->held_max = s->held > ov->held_max ? s->held : ov->held_max;
        ov->used_max = s->used > ov->used_max ? s->used : ov->used_max;
        if (s->used > 0) {
            double o = (double)s->held / (double)s->used - 1;
            ov->overhead_max = !ov->nratio || o > ov->overhead_max ? o : ov->overhead_max;
            sum += o;
            ov->nratio++;
        }
        /* held <= 1.10 used + 1024 in integers; the bound rounded down (held is whole). */
        uint64_t bound = s->used * 11 / 10 + BENCH_GOAL_POOL_FRAMES;
        if (s->held > bound) {
            ov->goal_ok = false;
            ov->goal_missed++;
            if (s->held - bound > ov->goal_excess) {
                ov->goal_excess = s->held - bound;
                ov->goal_worst_at = s->iteration;
            }
        }
    }
    ov->overhead_mean = ov->nratio ? sum / (double)ov->nratio : 0;
}

/* Strings we print are ours or a trace's file name; escape what JSON needs anyway. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
            fputc(*s, f);
        } else if ((unsigned char)*s < 0x20) {
            fprintf(f, "\\u%04x", (unsigned)(unsigned char)*s);
        } else {
            fputc(*s, f);
        }
    }
    fputc('"', f);
}

void report_json(FILE *f, const struct bench_result *r)
{
    fprintf(f, "{\"workload\":");
    json_str(f, r->workload);
    if (r->phase[0]) {
        fprintf(f, ",\"phase\":");
        json_str(f, r->phase);
    }
    fprintf(f, ",\"allocator\":\"%s\",\"policy\":\"%s\",\"seed\":%llu", r->allocator, r->policy,
            (unsigned long long)r->seed);
    if (r->pools >= 0) {
        fprintf(f, ",\"pools\":%ld", r->pools);
    }
    if (r->spare_pools >= 0) {
        fprintf(f, ",\"spare_pools\":%ld", r->spare_pools);
    }
    if (r->maintain_every > 0) {
        fprintf(f, ",\"maintain_every\":%ld,\"maintain_instructions\":%llu", r->maintain_every,
                (unsigned long long)r->maintain_instr);
    }
    if (r->prepare_frames > 0) {
        fprintf(f, ",\"prepare_frames\":%llu,\"prepare_instructions\":%llu",
                (unsigned long long)r->prepare_frames, (unsigned long long)r->prepare_instr);
    }
    fprintf(f, ",\"arch\":\"%s\"", sel4host_arch_name());
    if (r->skipped) {
        fprintf(f, ",\"skipped\":true,\"note\":");
        json_str(f, r->note);
        fprintf(f, ",\"ok\":true}\n");
        return;
    }
    fprintf(f, ",\"ops\":%llu,\"frames_allocated\":%llu,\"kernel_calls\":{",
            (unsigned long long)r->ops, (unsigned long long)r->frames_allocated);
    for (unsigned k = 0; k < SEL4HOST_INV_COUNT; k++) {
        fprintf(f, "\"%s\":%llu,", sel4host_inv_name((enum sel4host_inv)k),
                (unsigned long long)r->calls[k]);
    }
    fprintf(f, "\"total\":%llu}", (unsigned long long)r->calls_total);
    fprintf(f, ",\"kernel_calls_per_frame\":%.6g,\"user_ns_per_op\":%.2f,\"user_ns_min\":%.2f,"
               "\"user_ns_max\":%.2f,\"repeats\":%u,\"kernel_instructions\":%llu,"
               "\"kernel_instructions_per_frame\":%.1f,\"boot_clear_instructions\":%llu,"
               "\"kernel_instructions_max_per_op\":%llu,\"kernel_instructions_p999_per_op\":%llu,"
               "\"metadata_bytes_peak\":%llu,"
               "\"pools_created\":%llu,\"pools_returned\":%llu,\"largest_free_frames\":%llu,"
               "\"frames_wasted\":%llu,\"alloc_failures\":%llu",
            per_frame(r, (double)r->calls_total), r->ns_per_op, r->ns_min, r->ns_max, r->repeats,
            (unsigned long long)r->instructions, per_frame(r, (double)r->instructions),
            (unsigned long long)r->boot_clear, (unsigned long long)r->instr_max_per_op,
            (unsigned long long)r->instr_p999_per_op,
            (unsigned long long)r->metadata_bytes_peak, (unsigned long long)r->pools_created,
            (unsigned long long)r->pools_returned, (unsigned long long)r->largest_free_frames,
            (unsigned long long)r->frames_wasted, (unsigned long long)r->alloc_failures);
    if (!strcmp(r->workload, "replay")) {
        fprintf(f, ",\"trace_errors\":%llu", (unsigned long long)r->trace_errors);
    }
    if (r->samples) {
        struct bench_overhead ov;
        report_overhead_of(r, &ov);
        fprintf(f,
                ",\"held_frames_max\":%llu,\"used_frames_max\":%llu,\"overhead_max\":%.6f,"
                "\"overhead_mean\":%.6f,\"overhead_goal_ok\":%s,"
                "\"overhead_goal_excess_frames\":%llu",
                (unsigned long long)ov.held_max, (unsigned long long)ov.used_max, ov.overhead_max,
                ov.overhead_mean, ov.goal_ok ? "true" : "false",
                (unsigned long long)ov.goal_excess);
        fprintf(f, ",\"samples\":[");
        for (size_t i = 0; i < r->nsamples; i++) {
            fprintf(f, "%s[%u,%llu,%llu]", i ? "," : "", r->samples[i].iteration,
                    (unsigned long long)r->samples[i].used, (unsigned long long)r->samples[i].held);
        }
        fprintf(f, "]");
    }
    if (!r->ok) {
        fprintf(f, ",\"error\":");
        json_str(f, r->why);
    }
    fprintf(f, ",\"ok\":%s}\n", r->ok ? "true" : "false");
}

static void row_label(const struct bench_result *r, char *buf, size_t len)
{
    if (strcmp(r->policy, "none")) {
        snprintf(buf, len, "%s/%s", r->allocator, r->policy);
    } else {
        snprintf(buf, len, "%s", r->allocator);
    }
}

static uint64_t calls_other(const struct bench_result *r)
{
    return r->calls_total - r->calls[SEL4HOST_UNTYPED_RETYPE] - r->calls[SEL4HOST_CNODE_REVOKE] -
           r->calls[SEL4HOST_CNODE_DELETE] - r->calls[SEL4HOST_CNODE_COPY];
}

static void table_head(FILE *f, bool pools)
{
    fprintf(f, "  %-20s %s%10s %11s %10s %9s %8s %7s %8s %7s %6s %9s %9s %9s %7s %10s %8s %s\n",
            "allocator/policy", pools ? "  pools " : "", "frames", "instr/frame", "kcalls",
            "kc/frame", "Retype", "Revoke", "Delete", "Copy", "other", "ns/op", "bootMinstr",
            "meta KiB", "pools", "largest", "wasted", "ok");
}

static void table_row(FILE *f, const struct bench_result *r, bool pools)
{
    char label[48], pc[32];
    row_label(r, label, sizeof(label));
    if (pools) {
        fprintf(f, "  %-20s %6ld ", label, r->pools);
    } else {
        fprintf(f, "  %-20s ", label);
    }
    if (r->skipped) {
        fprintf(f, "skipped: %s\n", r->note);
        return;
    }
    snprintf(pc, sizeof(pc), "%llu/%llu", (unsigned long long)r->pools_created,
             (unsigned long long)r->pools_returned);
    fprintf(f, "%10llu %11.1f %10llu %9.4f %8llu %7llu %8llu %7llu %6llu %9.1f %9.1f %9.1f %7s "
               "%10llu %8llu %s\n",
            (unsigned long long)r->frames_allocated, per_frame(r, (double)r->instructions),
            (unsigned long long)r->calls_total, per_frame(r, (double)r->calls_total),
            (unsigned long long)r->calls[SEL4HOST_UNTYPED_RETYPE],
            (unsigned long long)r->calls[SEL4HOST_CNODE_REVOKE],
            (unsigned long long)r->calls[SEL4HOST_CNODE_DELETE],
            (unsigned long long)r->calls[SEL4HOST_CNODE_COPY], (unsigned long long)calls_other(r),
            r->ns_per_op, (double)r->boot_clear / 1e6, (double)r->metadata_bytes_peak / 1024.0,
            pc, (unsigned long long)r->largest_free_frames, (unsigned long long)r->frames_wasted,
            r->ok ? "yes" : r->why);
}

static void ratio(FILE *f, const char *what, double cb, double base)
{
    if (base > 0 && cb > 0) {
        fprintf(f, " %s %.3g (%.3gx %s)", what, cb / base, cb < base ? base / cb : cb / base,
                cb < base ? "lower" : "higher");
    } else if (base > 0) {
        fprintf(f, " %s 0", what);
    }
}

void report_table(FILE *f, const struct bench_result *rows, size_t n)
{
    if (!n) {
        return;
    }
    fprintf(f, "\n%s%s%s  (seed %llu, arch %s; instr/frame = modelled real-kernel instructions "
               "per frame, calibrated on seL4 under QEMU, boot clearing apart in bootMinstr; "
               "kc = kernel calls; ns/op = user time per allocator call, median)\n",
            rows[0].workload, rows[0].phase[0] ? " " : "", rows[0].phase,
            (unsigned long long)rows[0].seed, sel4host_arch_name());
    table_head(f, false);
    const struct bench_result *base = NULL;
    for (size_t i = 0; i < n; i++) {
        table_row(f, &rows[i], false);
        if (!strcmp(rows[i].allocator, "baseline") && !rows[i].skipped) {
            base = &rows[i];
        }
    }
    if (!base) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct bench_result *r = &rows[i];
        if (r == base || r->skipped) {
            continue;
        }
        char label[48];
        row_label(r, label, sizeof(label));
        fprintf(f, "  %s / baseline:", label);
        ratio(f, "kernel instructions/frame", per_frame(r, (double)r->instructions),
              per_frame(base, (double)base->instructions));
        ratio(f, "; kernel calls/frame", per_frame(r, (double)r->calls_total),
              per_frame(base, (double)base->calls_total));
        ratio(f, "; user ns/op", r->ns_per_op, base->ns_per_op);
        fputc('\n', f);
    }
}

void report_scale_table(FILE *f, const struct bench_result *rows, size_t n)
{
    if (!n) {
        return;
    }
    fprintf(f, "\nscale: single-frame churn with P pools pre-created (seed %llu, arch %s)\n",
            (unsigned long long)rows[0].seed, sel4host_arch_name());
    table_head(f, true);
    for (size_t i = 0; i < n; i++) {
        table_row(f, &rows[i], true);
    }
    /* Cost at the largest P against P = 1, per allocator and policy. */
    for (size_t i = 0; i < n; i++) {
        const struct bench_result *lo = &rows[i], *hi = NULL;
        if (lo->skipped || !lo->ok ||
            (i > 0 && !strcmp(rows[i - 1].allocator, lo->allocator) &&
             !strcmp(rows[i - 1].policy, lo->policy))) {
            continue;
        }
        for (size_t j = i + 1; j < n; j++) {
            if (!strcmp(rows[j].allocator, lo->allocator) && !strcmp(rows[j].policy, lo->policy) &&
                !rows[j].skipped && rows[j].ok) {
                hi = &rows[j];
            }
        }
        if (hi && lo->ns_per_op > 0) {
            char label[48];
            row_label(lo, label, sizeof(label));
            fprintf(f, "  %s: ns/op at %ld pools / at %ld: %.2f; kernel calls/op %.4f vs %.4f\n",
                    label, hi->pools, lo->pools, hi->ns_per_op / lo->ns_per_op,
                    hi->ops ? (double)hi->calls_total / (double)hi->ops : 0,
                    lo->ops ? (double)lo->calls_total / (double)lo->ops : 0);
        }
    }
}

void report_overhead_lines(FILE *f, const struct bench_result *rows, size_t n, bool more)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        any |= !rows[i].skipped && rows[i].samples && rows[i].nsamples;
    }
    if (!any) {
        return;
    }
    fprintf(f,
            "  held vs used, in 4 KiB frames over the run's samples (overhead = held / used - 1, "
            "over samples with used > 0; goal: held <= 1.10 x used + %u at every sample)\n",
            BENCH_GOAL_POOL_FRAMES);
    for (size_t i = 0; i < n; i++) {
        const struct bench_result *r = &rows[i];
        if (r->skipped || !r->samples || !r->nsamples) {
            continue;
        }
        struct bench_overhead ov;
        report_overhead_of(r, &ov);
        char label[48], goal[96];
        row_label(r, label, sizeof(label));
        if (ov.goal_ok) {
            snprintf(goal, sizeof(goal), "met");
        } else {
            snprintf(goal, sizeof(goal), "MISSED at %zu/%zu samples, by up to %llu frames (at %u)",
                     ov.goal_missed, ov.nsamples, (unsigned long long)ov.goal_excess,
                     ov.goal_worst_at);
        }
        fprintf(f, "  %-20s used max %9llu, held max %9llu; overhead max %.3f, mean %.3f; goal %s",
                label, (unsigned long long)ov.used_max, (unsigned long long)ov.held_max,
                ov.overhead_max, ov.overhead_mean, goal);
        if (more) {
            fprintf(f, "; pools made %llu, given back %llu; largest free run at the end %llu",
                    (unsigned long long)r->pools_created, (unsigned long long)r->pools_returned,
                    (unsigned long long)r->largest_free_frames);
        }
        fputc('\n', f);
    }
}
