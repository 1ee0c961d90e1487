/*
 * SPDX-License-Identifier: BSD-2-Clause
 *
 * Charts as SVG: through gnuplot when it is on PATH (Debian: gnuplot-nox), else written
 * directly by the small SVG writer below, so that --plot works on a bare machine too.
 */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool have_gnuplot(void)
{
    const char *path = getenv("PATH");
    if (getenv("CAPBUDDY_BENCH_NO_GNUPLOT") || !path) {
        return false; /* the variable forces the built-in writer (tests) */
    }
    char buf[4096];
    while (*path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && n + 9 < sizeof(buf)) {
            memcpy(buf, path, n);
            memcpy(buf + n, "/gnuplot", 9);
            if (access(buf, X_OK) == 0) {
                return true;
            }
        }
        path += n + (path[n] == ':');
    }
    return false;
}

static FILE *open_in(const char *dir, const char *name, const char *ext, char *path, size_t len)
{
    (void)mkdir(dir, 0777);
    snprintf(path, len, "%s/%s.%s", dir, name, ext);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
    }
    return f;
}

/* Labels and titles are ours; keep them out of gnuplot's and SVG's quoting trouble. */
static void clean(char *dst, size_t len, const char *src)
{
    size_t i = 0;
    for (; *src && i + 1 < len; src++) {
        char c = *src;
        if (c == '"' || c == '<' || c == '>' || c == '&' || c == '\'') {
            c = (char)'_';
        }
        dst[i++] = c;
    }
    dst[i] = 0;
}

static int run_gnuplot(const char *dir, const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "gnuplot '%s/%s.gp'", dir, name);
    return system(cmd) == 0 ? 0 : -1; // NOLINT(cert-env33-c): runs gnuplot on purpose
}

/* ---- the built-in SVG writer --------------------------------------------------------- */

#define W 800.0
#define H 450.0
#define ML 80.0
#define MR 200.0
#define MT 40.0
#define MB 70.0

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static double tr(double v, bool log)
{
    return log ? log10(v > 0 ? v : 1e-9) : v;
}

static void svg_head(FILE *f, const char *title)
{
    char t[200];
    clean(t, sizeof(t), title);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" "
               "height=\"100%%\" fill=\"white\"/>\n<text x=\"%.0f\" y=\"22\" font-size=\"15\" "
               "text-anchor=\"middle\">%s</text>\n",
            W, H, (W - MR + ML) / 2, t);
}

static void svg_axis_y(FILE *f, double lo, double hi, bool log, const char *ylabel)
{
    char t[120];
    clean(t, sizeof(t), ylabel);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", ML, MT,
            ML, H - MB);
    for (int i = 0; i <= 5; i++) {
        double v = lo + (hi - lo) * i / 5;
        double y = H - MB - (H - MT - MB) * i / 5;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.3g</text>\n", ML - 5, y + 4,
                log ? pow(10, v) : v);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#ddd\"/>\n", ML,
                y, W - MR, y);
    }
    fprintf(f, "<text transform=\"translate(18,%.0f) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
            (H - MB + MT) / 2, t);
}

static void range(double *lo, double *hi, bool log)
{
    if (log) {
        *lo = floor(*lo);
        *hi = ceil(*hi);
    } else {
        *lo = *lo > 0 ? 0 : *lo;
    }
    if (*hi <= *lo) {
        *hi = *lo + 1;
    }
}

static int svg_bars(const char *dir, const char *name, const char *title, const char *ylabel,
                    const char *const *labels, const double *values, size_t n, bool logy)
{
    char path[1024];
    FILE *f = open_in(dir, name, "svg", path, sizeof(path));
    if (!f) {
        return -1;
    }
    double lo = 1e300, hi = -1e300;
    for (size_t i = 0; i < n; i++) {
        double v = tr(values[i], logy);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (logy) {
        lo = lo - 1; /* bars need room below the smallest */
    }
    range(&lo, &hi, logy);
    svg_head(f, title);
    svg_axis_y(f, lo, hi, logy, ylabel);
    double slot = (W - MR - ML) / (double)(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        double v = (tr(values[i], logy) - lo) / (hi - lo);
        double h = v * (H - MT - MB);
        double x = ML + slot * (double)i + slot * 0.15;
        char t[80];
        clean(t, sizeof(t), labels[i]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x,
                H - MB - h, slot * 0.7, h, colours[i % 10]);
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%.3g</text>\n",
                x + slot * 0.35, H - MB - h - 3, values[i]);
        /* "allocator/policy" on two horizontal lines under the bar. */
        char *slash = strchr(t, '/');
        if (slash) {
            *slash = 0;
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
                x + slot * 0.35, H - MB + 14, t);
        if (slash) {
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
                    x + slot * 0.35, H - MB + 27, slash + 1);
        }
    }
    fprintf(f, "</svg>\n");
    fclose(f);
    return 0;
}

static int svg_lines(const char *dir, const char *name, const char *title, const char *xlabel,
                     const char *ylabel, const struct plot_series *s, size_t ns, bool logx,
                     bool logy)
{
    char path[1024];
    FILE *f = open_in(dir, name, "svg", path, sizeof(path));
    if (!f) {
        return -1;
    }
    double xl = 1e300, xh = -1e300, yl = 1e300, yh = -1e300;
    for (size_t k = 0; k < ns; k++) {
        for (size_t i = 0; i < s[k].n; i++) {
            double x = tr(s[k].x[i], logx), y = tr(s[k].y[i], logy);
            xl = x < xl ? x : xl;
            xh = x > xh ? x : xh;
            yl = y < yl ? y : yl;
            yh = y > yh ? y : yh;
        }
    }
    range(&yl, &yh, logy);
    if (xh <= xl) {
        xh = xl + 1;
    }
    svg_head(f, title);
    svg_axis_y(f, yl, yh, logy, ylabel);
    char t[120];
    clean(t, sizeof(t), xlabel);
    fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", ML,
            H - MB, W - MR, H - MB);
    for (int i = 0; i <= 5; i++) {
        double v = xl + (xh - xl) * i / 5;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.3g</text>\n",
                ML + (W - MR - ML) * i / 5, H - MB + 16, logx ? pow(10, v) : v);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", (W - MR + ML) / 2,
            H - 20, t);
    for (size_t k = 0; k < ns; k++) {
        const char *colour = s[k].dashed ? "black" : colours[k % 10];
        fprintf(f, "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"%s\"%s points=\"", colour,
                s[k].dashed ? " stroke-dasharray=\"8,5\"" : "");
        for (size_t i = 0; i < s[k].n; i++) {
            double x = ML + (tr(s[k].x[i], logx) - xl) / (xh - xl) * (W - MR - ML);
            double y = H - MB - (tr(s[k].y[i], logy) - yl) / (yh - yl) * (H - MT - MB);
            fprintf(f, "%.1f,%.1f ", x, y);
        }
        clean(t, sizeof(t), s[k].label);
        fprintf(f,
                "\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"14\" height=\"4\" fill=\"%s\"/>"
                "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n",
                W - MR + 10, MT + 20.0 * (double)k - 4, colour, W - MR + 30, MT + 20.0 * (double)k,
                t);
    }
    fprintf(f, "</svg>\n");
    fclose(f);
    return 0;
}

/* ---- gnuplot ------------------------------------------------------------------------- */

static void gp_head(FILE *g, const char *dir, const char *name, const char *title,
                    const char *ylabel)
{
    char t[200], y[120];
    clean(t, sizeof(t), title);
    clean(y, sizeof(y), ylabel);
    fprintf(g, "set terminal svg size 800,450 dynamic font 'sans,11' background 'white'\n"
               "set output '%s/%s.svg'\nset title \"%s\"\nset ylabel \"%s\"\nset grid ytics\n"
               "set key outside right\n",
            dir, name, t, y);
}

int plot_bars(const char *dir, const char *name, const char *title, const char *ylabel,
              const char *const *labels, const double *values, size_t n, bool logy)
{
    if (!have_gnuplot()) {
        return svg_bars(dir, name, title, ylabel, labels, values, n, logy);
    }
    char path[1024], t[80];
    FILE *d = open_in(dir, name, "dat", path, sizeof(path));
    if (!d) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        clean(t, sizeof(t), labels[i]);
        fprintf(d, "\"%s\" %.9g\n", t, values[i]);
    }
    fclose(d);
    FILE *g = open_in(dir, name, "gp", path, sizeof(path));
    if (!g) {
        return -1;
    }
    gp_head(g, dir, name, title, ylabel);
    /* Tick labels in the script, "allocator\npolicy" on two lines: rotated labels collide
     * with the bars in some SVG renderers. */
    fprintf(g, "set xtics (");
    for (size_t i = 0; i < n; i++) {
        clean(t, sizeof(t), labels[i]);
        char *slash = strchr(t, '/');
        if (slash) {
            *slash = 0;
        }
        fprintf(g, "%s\"%s%s%s\" %zu", i ? ", " : "", t, slash ? "\\n" : "", slash ? slash + 1 : "", i);
    }
    fprintf(g, ")\nset style fill solid 0.8\nset boxwidth 0.7\nset bmargin 4\nset xrange [-0.6:%zu.6]\n"
               "set yrange [%s:*]\n%s"
               "plot '%s/%s.dat' using 0:2 with boxes lc rgb '#1f77b4' notitle, "
               "'' using 0:2:(sprintf('%%.3g',$2)) with labels offset 0,0.7 notitle\n",
            n ? n - 1 : 0, logy ? "*" : "0", logy ? "set logscale y\n" : "", dir, name);
    fclose(g);
    return run_gnuplot(dir, name);
}

int plot_lines(const char *dir, const char *name, const char *title, const char *xlabel,
               const char *ylabel, const struct plot_series *s, size_t ns, bool logx, bool logy)
{
    if (!have_gnuplot()) {
        return svg_lines(dir, name, title, xlabel, ylabel, s, ns, logx, logy);
    }
    char path[1024], t[120];
    FILE *d = open_in(dir, name, "dat", path, sizeof(path));
    if (!d) {
        return -1;
    }
    for (size_t k = 0; k < ns; k++) {
        clean(t, sizeof(t), s[k].label);
        fprintf(d, "# %s\n", t);
        for (size_t i = 0; i < s[k].n; i++) {
            fprintf(d, "%.9g %.9g\n", s[k].x[i], s[k].y[i]);
        }
        fprintf(d, "\n\n");
    }
    fclose(d);
    FILE *g = open_in(dir, name, "gp", path, sizeof(path));
    if (!g) {
        return -1;
    }
    gp_head(g, dir, name, title, ylabel);
    clean(t, sizeof(t), xlabel);
    fprintf(g, "set xlabel \"%s\"\n%s%s", t, logx ? "set logscale x\n" : "",
            logy ? "set logscale y\n" : "");
    fprintf(g, "plot ");
    for (size_t k = 0; k < ns; k++) {
        clean(t, sizeof(t), s[k].label);
        fprintf(g, "%s'%s/%s.dat' index %zu using 1:2 with %s title \"%s\"", k ? ", " : "", dir,
                name, k, s[k].dashed ? "lines dt 2 lw 2 lc rgb 'black'" : "linespoints lw 2", t);
    }
    fprintf(g, "\n");
    fclose(g);
    return run_gnuplot(dir, name);
}

/* ---- the charts of each workload ----------------------------------------------------- */

static void label_of(const struct bench_result *r, char *buf, size_t len)
{
    if (strcmp(r->policy, "none")) {
        snprintf(buf, len, "%s/%s", r->allocator, r->policy);
    } else {
        snprintf(buf, len, "%s", r->allocator);
    }
}

void plot_workload(const char *dir, const char *workload, const struct bench_result *rows,
                   size_t n)
{
    if (!strncmp(workload, "mcmc-", 5)) {
        char (*lab)[48] = calloc(n ? n : 1, sizeof(*lab));
        const char **labels = calloc(n ? n : 1, sizeof(*labels));
        double *kc = calloc(n ? n : 1, sizeof(*kc)), *ns = calloc(n ? n : 1, sizeof(*ns));
        double *ki = calloc(n ? n : 1, sizeof(*ki));
        size_t m = 0;
        for (size_t i = 0; lab && labels && kc && ns && ki && i < n; i++) {
            if (rows[i].skipped || !rows[i].frames_allocated) {
                continue;
            }
            label_of(&rows[i], lab[m], sizeof(lab[m]));
            labels[m] = lab[m];
            kc[m] = (double)rows[i].calls_total / (double)rows[i].frames_allocated;
            ki[m] = (double)rows[i].instructions / (double)rows[i].frames_allocated;
            ns[m] = rows[i].ns_per_op;
            m++;
        }
        if (m) {
            char name[64], title[160];
            snprintf(name, sizeof(name), "%s-kernel-instructions", workload);
            snprintf(title, sizeof(title),
                     "%s: kernel instructions per 4 KiB frame, real-kernel calibrated model (log)",
                     workload);
            plot_bars(dir, name, title, "kernel instructions / frame", labels, ki, m, true);
            snprintf(name, sizeof(name), "%s-kernel-calls", workload);
            snprintf(title, sizeof(title), "%s: kernel calls per 4 KiB frame (log scale)", workload);
            plot_bars(dir, name, title, "kernel calls / frame", labels, kc, m, true);
            snprintf(name, sizeof(name), "%s-user-time", workload);
            snprintf(title, sizeof(title), "%s: user time per allocator call (host, model included)",
                     workload);
            plot_bars(dir, name, title, "ns / call (median)", labels, ns, m, true);
        }
        free(lab);
        free(labels);
        free(kc);
        free(ki);
        free(ns);
    } else if (!strcmp(workload, "util")) {
        /* Held per row, used (the same for every row), and issue 19's goal line. */
        struct plot_series *s = calloc(n + 2, sizeof(*s));
        char (*lab)[64] = calloc(n + 2, sizeof(*lab));
        double **buf = calloc(2 * (n + 2), sizeof(*buf));
        size_t m = 0;
        for (size_t i = 0; s && lab && buf && i < n; i++) {
            const struct bench_result *r = &rows[i];
            if (!r->nsamples) {
                continue;
            }
            double *x = calloc(r->nsamples, sizeof(*x)), *y = calloc(r->nsamples, sizeof(*y));
            buf[2 * m] = x;
            buf[2 * m + 1] = y;
            if (!x || !y) {
                break;
            }
            for (size_t k = 0; k < r->nsamples; k++) {
                x[k] = r->samples[k].iteration;
                y[k] = (double)r->samples[k].held * 4096.0 / 1048576.0;
            }
            char l[48];
            label_of(r, l, sizeof(l));
            snprintf(lab[m], sizeof(lab[m]), "held: %s", l);
            s[m] = (struct plot_series){lab[m], x, y, r->nsamples, false};
            m++;
            if (m == 1) { /* what the program uses is the same for every allocator */
                double *u = calloc(r->nsamples, sizeof(*u));
                buf[2 * n + 1] = u;
                for (size_t k = 0; u && k < r->nsamples; k++) {
                    u[k] = (double)r->samples[k].used * 4096.0 / 1048576.0;
                }
                snprintf(lab[n], sizeof(lab[n]), "used by the program");
                if (u) {
                    s[n] = (struct plot_series){lab[n], x, u, r->nsamples, false};
                }
                double *g = calloc(r->nsamples, sizeof(*g));
                buf[2 * n + 2] = g;
                for (size_t k = 0; g && k < r->nsamples; k++) {
                    g[k] = (1.10 * (double)r->samples[k].used + BENCH_GOAL_POOL_FRAMES) * 4096.0 /
                           1048576.0;
                }
                snprintf(lab[n + 1], sizeof(lab[n + 1]), "goal: 1.10 x used + 1 pool");
                if (g) {
                    s[n + 1] = (struct plot_series){lab[n + 1], x, g, r->nsamples, true};
                }
            }
        }
        if (m && s[n].n) {
            s[m++] = s[n];
        }
        if (m && s[n + 1].n) {
            s[m++] = s[n + 1];
        }
        if (m) {
            plot_lines(dir, "util", "util (mcmc-a): memory used vs held from the parent",
                       "iteration", "MiB", s, m, false, false);
        }
        for (size_t i = 0; buf && i < 2 * (n + 2); i++) {
            free(buf[i]);
        }
        free(buf);
        free(lab);
        free(s);
    } else if (!strcmp(workload, "scale")) {
        struct plot_series *s = calloc(n ? n : 1, sizeof(*s));
        char (*lab)[48] = calloc(n ? n : 1, sizeof(*lab));
        double *x = calloc(n ? n : 1, sizeof(*x)), *y = calloc(n ? n : 1, sizeof(*y));
        size_t m = 0;
        for (size_t i = 0; s && lab && x && y && i < n; i++) {
            if (rows[i].skipped) {
                continue;
            }
            char l[48];
            label_of(&rows[i], l, sizeof(l));
            if (!m || strcmp(lab[m - 1], l)) {
                snprintf(lab[m], sizeof(lab[m]), "%s", l);
                s[m] = (struct plot_series){lab[m], x + i, y + i, 0, false};
                m++;
            }
            x[i] = (double)rows[i].pools;
            y[i] = rows[i].ns_per_op;
            s[m - 1].n++;
        }
        if (m) {
            plot_lines(dir, "scale", "scale: user time per single-frame call vs pools",
                       "pools pre-created (log)", "ns / call (median)", s, m, true, true);
        }
        free(s);
        free(lab);
        free(x);
        free(y);
    }
}
