#ifndef LEADFLOW_CPREFETCH_H
#define LEADFLOW_CPREFETCH_H

/// Asks the CPU to start loading the cache line at `address` without waiting for it: a hint
/// with no effect on results. Swift has no prefetch of its own; a plain load would block the
/// processor's reorder window until the line arrives, which is the wait the hint avoids.
static inline void leadflow_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
