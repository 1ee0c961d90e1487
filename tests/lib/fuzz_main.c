/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A main() for fuzz targets when libFuzzer is not available (gcc builds): runs
 * LLVMFuzzerTestOneInput on every file given (directories are read one level deep), then on
 * N pseudo-random inputs from a seed that is printed, so any failure can be replayed.
 *
 *   fuzz_target [--runs N] [--seed S] [--max-len L] [file|dir ...]
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz_main: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf != NULL && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            cap *= 2;
            uint8_t *grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
            }
            buf = grown;
        }
    }
    fclose(f);
    if (buf == NULL) {
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int run_path(const char *path, unsigned *files)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_main: no such file %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*files)++;
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
            (*files)++;
            rc |= run_file(full);
        }
    }
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long runs = 1000, max_len = 512;
    uint64_t seed = 1;
    unsigned files = 0;
    int rc = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--max-len") == 0 && i + 1 < argc) {
            max_len = strtoul(argv[++i], NULL, 0);
        } else {
            rc |= run_path(argv[i], &files);
        }
    }
    printf("fuzz_main: %u corpus files; %lu random inputs, seed %llu, max length %lu\n", files,
           runs, (unsigned long long)seed, max_len);
    fflush(stdout);
    uint64_t s = seed;
    uint8_t *buf = malloc(max_len ? max_len : 1);
    if (buf == NULL) {
        return 1;
    }
    for (unsigned long r = 0; r < runs; r++) {
        size_t len = max_len ? (size_t)(splitmix64(&s) % (max_len + 1)) : 0;
        for (size_t i = 0; i < len; i += 8) {
            uint64_t v = splitmix64(&s);
            memcpy(buf + i, &v, len - i < 8 ? len - i : 8);
        }
        LLVMFuzzerTestOneInput(buf, len);
    }
    free(buf);
    printf("fuzz_main: done\n");
    return rc != 0;
}
