/* health.c: the process-wide serving state (see health.h). */
#include "platform/health.h"

#include <pthread.h>
#include <stdatomic.h>

#include "platform/loop.h"

#define HEALTH_MAX_LOOPS 256

static rci_loop **health_loops;
static int health_nloops;
static atomic_int loops_down;       /* loops whose pool is down */
static atomic_int shutting_down;
static atomic_int serving;          /* last computed state */
static _Atomic(unsigned char) loop_up[HEALTH_MAX_LOOPS];
static void (*change_hook)(void);

void rci_health_init_loops(rci_loop **loops, int n)
{
    health_loops = loops;
    health_nloops = n;
    atomic_store(&loops_down, n);
}

/* Recompute; if the state flipped, wake every loop to tell its watchers. */
static void health_update(void)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    /* Under a lock so two loops changing at once cannot leave a stale
     * state behind: the last computation always sees both changes. */
    pthread_mutex_lock(&lock);
    int now = atomic_load(&loops_down) == 0 && !atomic_load(&shutting_down);
    int flipped = atomic_exchange(&serving, now) != now;
    pthread_mutex_unlock(&lock);
    if (flipped)
        rci_loops_wake(health_loops, health_nloops, RCI_WAKE_HEALTH);
}

void rci_health_set_db(int loop_index, int up)
{
    if (loop_index < 0 || loop_index >= HEALTH_MAX_LOOPS)
        return;
    unsigned char was = atomic_exchange(&loop_up[loop_index], (unsigned char)(up != 0));
    if (was == (up != 0))
        return;
    atomic_fetch_add(&loops_down, up ? -1 : 1);
    health_update();
}

void rci_health_set_shutting_down(void)
{
    atomic_store(&shutting_down, 1);
    health_update();
}

int rci_health_serving(void)
{
    return atomic_load(&serving);
}

void rci_health_set_change_hook(void (*hook)(void))
{
    change_hook = hook;
}

void rci_health_run_change_hook(void)
{
    if (change_hook)
        change_hook();
}
