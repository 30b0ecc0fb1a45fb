/* health.h: whether this rcid can serve — the state behind
 * grpc.health.v1.Health and /healthz.
 *
 * Owns: one process-wide status, SERVING only while every loop's database
 * pool is up and no shutdown has begun; and telling every loop when it
 * changes (the health service then updates its Watch streams). Check never
 * waits on the database: it reads the state the pools already know
 * (grpc-wire.md §8.1). */
#ifndef RCI_HEALTH_H
#define RCI_HEALTH_H

struct rci_loop;

/* Start tracking n loops (all down until their pools connect). */
void rci_health_init_loops(struct rci_loop **loops, int n);

/* A loop's pool went up or down (called on that loop's thread). */
void rci_health_set_db(int loop_index, int up);

/* Shutdown begun: NOT_SERVING from now on. */
void rci_health_set_shutting_down(void);

/* 1 when SERVING. Thread-safe, lock-free. */
int rci_health_serving(void);

/* The function each loop runs (on its own thread) after a change; the
 * health service sets it to update its watchers. */
void rci_health_set_change_hook(void (*hook)(void));
void rci_health_run_change_hook(void);

#endif
