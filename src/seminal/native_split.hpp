// Work split for seminal's native kernels (included by each kernel's .cpp; built by seminal/native.py).
//
// split_range(total, parts, body) runs body(begin, end) over [0, total) cut into `parts` equal
// contiguous pieces. Built with -fopenmp, the pieces run on OpenMP threads. The OpenMP runtime is
// then the libgomp that torch has already loaded (the loader reuses a library of the same
// soname), so the pieces run on torch's own intra-op threads. A second thread pool would compete
// with those threads, which spin for a while after each torch op: measured on 2 cores, that made
// a 2-thread warp step no faster than a 1-thread one. Built without OpenMP, the pieces run in
// order, and seminal_splits_itself() tells the caller to split across its own threads instead.

#pragma once
#include <cstdint>

template <typename Body>
inline void split_range(int64_t total, int64_t parts, Body body) {
  if (parts > total) parts = total;
#ifdef _OPENMP
  if (parts > 1) {
#pragma omp parallel for num_threads(parts) schedule(static, 1)
    for (int64_t k = 0; k < parts; ++k) body(total * k / parts, total * (k + 1) / parts);
    return;
  }
#endif
  if (total > 0) body(0, total);
}

extern "C" int seminal_splits_itself(void) {
#ifdef _OPENMP
  return 1;
#else
  return 0;
#endif
}
