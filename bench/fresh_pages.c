/*
 * fresh_pages.c — what touching freshly mapped memory costs on this machine,
 * against copying into memory already mapped: the floor under the large-value
 * echo rows of bench_routing_client (bench/README.md, "Large values and the
 * malloc policy"). No NebulaAPI code runs here.
 *
 *   bench_fresh_pages [--rounds N]
 *
 * Each round copies 1 MiB 100 times into a new anonymous mapping (mmap, copy,
 * munmap: what malloc does for a block above its mmap threshold) and 100 times
 * into one mapping kept from before, side by side, and prints both and their
 * ratio; then the median ratio, and a last line for bench/run.sh:
 * "fresh_ns F mapped_ns M", the medians of one copy's time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define BLOCK ((size_t)1 << 20)
#define COPIES 100

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static void *map_block(void)
{
    void *p = mmap(NULL, BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int rounds = 5;
    if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
        rounds = atoi(argv[2]);
    if (rounds < 1 || rounds > 1000 || (argc != 1 && argc != 3)) {
        fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
        return 2;
    }
    unsigned char *src = map_block(), *kept = map_block();
    memset(src, 0x5a, BLOCK);
    memset(kept, 0, BLOCK);
    double *ratios = calloc((size_t)rounds, sizeof *ratios);
    double *fresh_us = calloc((size_t)rounds, sizeof *fresh_us);
    double *mapped_us = calloc((size_t)rounds, sizeof *mapped_us);
    if (!ratios || !fresh_us || !mapped_us)
        return 1;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_us();
        for (int i = 0; i < COPIES; i++) {
            unsigned char *p = map_block();
            memcpy(p, src, BLOCK);
            __asm__ volatile("" : : "r"(p) : "memory"); /* the copy is not optimised out */
            munmap(p, BLOCK);
        }
        double t1 = now_us();
        for (int i = 0; i < COPIES; i++) {
            memcpy(kept, src, BLOCK);
            __asm__ volatile("" : : "r"(kept) : "memory");
        }
        double t2 = now_us();
        double fresh = (t1 - t0) / COPIES, reused = (t2 - t1) / COPIES;
        ratios[r] = fresh / reused;
        fresh_us[r] = fresh;
        mapped_us[r] = reused;
        printf("round %d: 1 MiB into fresh pages %.0f us (%.2f us per 4 KiB page), into "
               "mapped pages %.1f us: %.1f x\n",
               r + 1, fresh, fresh / (double)(BLOCK / 4096), reused, ratios[r]);
    }
    qsort(ratios, (size_t)rounds, sizeof *ratios, by_value);
    qsort(fresh_us, (size_t)rounds, sizeof *fresh_us, by_value);
    qsort(mapped_us, (size_t)rounds, sizeof *mapped_us, by_value);
    printf("fresh / mapped, median of %d rounds: %.1f\n", rounds, ratios[rounds / 2]);
    printf("fresh_ns %.0f mapped_ns %.0f\n", fresh_us[rounds / 2] * 1000,
           mapped_us[rounds / 2] * 1000);
    free(ratios);
    free(fresh_us);
    free(mapped_us);
    munmap(src, BLOCK);
    munmap(kept, BLOCK);
    return 0;
}
