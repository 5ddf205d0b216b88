/* The sanitizer stage's canary (built with -Dlamina_canary=true only): one write a single
 * element past a heap buffer. `volatile` keeps the compiler from dropping the store, which it
 * may do for a write to memory that is freed unread. */
#ifndef LAMINA_CANARY_H
#define LAMINA_CANARY_H

#include <Python.h>

static void lm_canary_write_past_end(void)
{
    volatile double *buf = PyMem_RawMalloc(4 * sizeof(double));
    if (buf == NULL)
        return;
    buf[4] = 1.0;
    PyMem_RawFree((void *)buf);
}

#endif
