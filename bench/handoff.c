/* handoff.c — see handoff.h. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "handoff.h"

enum { MAX_CALLERS = 256 };

/* slot.state */
enum { IDLE = 0, POSTED = 1, ANSWERED = 2, SLEEPING = 4 };

typedef struct slot {
    struct slot *next;       /* the posted stack */
    int64_t arg, result;
    atomic_uint state;       /* a futex word */
    pthread_t thread;
    int64_t calls;
    char pad[24];
} slot;

static struct {
    _Atomic(slot *) posted;  /* requests not yet taken, newest first */
    atomic_uint awake;       /* 0: the answering thread sleeps on it (a futex word) */
    atomic_bool go, stop, done;
} H;

static void futex_wait(atomic_uint *word, unsigned val)
{
    struct timespec ts = {0, 10 * 1000 * 1000}; /* look again now and then */
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void futex_wake(atomic_uint *word)
{
    syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static int64_t call(slot *s, int64_t x)
{
    s->arg = x;
    atomic_store(&s->state, POSTED);
    slot *head = atomic_load(&H.posted);
    do
        s->next = head;
    while (!atomic_compare_exchange_weak(&H.posted, &head, s));
    if (atomic_exchange(&H.awake, 1) == 0)
        futex_wake(&H.awake);
    for (;;) {
        unsigned v = atomic_load(&s->state);
        if (v & ANSWERED)
            break;
        if (!(v & SLEEPING) && !atomic_compare_exchange_strong(&s->state, &v, v | SLEEPING))
            continue;
        futex_wait(&s->state, v | SLEEPING);
    }
    return s->result;
}

static void *caller_main(void *arg)
{
    slot *s = arg;
    while (!atomic_load(&H.go))
        nanosleep(&(struct timespec){0, 100 * 1000}, NULL);
    int64_t x = s->arg;
    while (!atomic_load_explicit(&H.stop, memory_order_relaxed)) {
        if (call(s, x) != x + 1)
            bench_die("hand-off: wrong answer");
        x++;
        s->calls++;
    }
    return NULL;
}

static void *answer_main(void *arg)
{
    (void)arg;
    for (;;) {
        slot *s = atomic_exchange(&H.posted, NULL);
        if (!s) {
            if (atomic_load(&H.done))
                return NULL;
            atomic_store(&H.awake, 0);
            if (atomic_load(&H.posted) == NULL && !atomic_load(&H.done))
                futex_wait(&H.awake, 0);
            continue;
        }
        while (s) {
            slot *next = s->next; /* s may be reused as soon as it is answered */
            s->result = s->arg + 1;
            if (atomic_exchange(&s->state, ANSWERED) & SLEEPING)
                futex_wake(&s->state);
            s = next;
        }
    }
}

double bench_handoff_round(int n, int64_t round_ns)
{
    static slot slots[MAX_CALLERS];
    if (n < 1 || n > MAX_CALLERS)
        bench_die("hand-off: 1..%d callers", MAX_CALLERS);
    atomic_store(&H.go, false);
    atomic_store(&H.stop, false);
    atomic_store(&H.done, false);
    atomic_store(&H.awake, 1);
    pthread_t answerer;
    if (pthread_create(&answerer, NULL, answer_main, NULL) != 0)
        bench_die("pthread_create");
    for (int i = 0; i < n; i++) {
        slots[i].calls = 0;
        slots[i].arg = (int64_t)i << 32;
        atomic_store(&slots[i].state, IDLE);
        if (pthread_create(&slots[i].thread, NULL, caller_main, &slots[i]) != 0)
            bench_die("pthread_create");
    }
    int64_t t0 = bench_now_ns();
    atomic_store(&H.go, true);
    nanosleep(&(struct timespec){round_ns / 1000000000, (long)(round_ns % 1000000000)}, NULL);
    atomic_store(&H.stop, true);
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(slots[i].thread, NULL);
        total += slots[i].calls;
    }
    int64_t elapsed = bench_now_ns() - t0;
    atomic_store(&H.done, true);
    atomic_store(&H.awake, 1);
    futex_wake(&H.awake);
    pthread_join(answerer, NULL);
    if (total == 0)
        bench_die("hand-off: no call completed in a round");
    return (double)elapsed / (double)total;
}
