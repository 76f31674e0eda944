// Multi-tensor one-pass Adam (Algorithm 1) and AdaMax (Algorithm 2) updates, with the optional
// AMSGrad maximum and the §7.2 temporal average, for float32 and float64 CPU tensors.
//
// The formulas are those of seminal/adam/compiled.py (_adam_onepass, _adamax_onepass), term for
// term, with the same per-step scalar vector s (layout: the _A_* and _X_* indices there), cast to
// the tensors' dtype as torch does for a 0-d float64 tensor in an op on float32 tensors. One call
// updates a whole parameter group: the per-tensor Python dispatch of torch.compile is gone, and
// each element is read and written once (Adam: θ, g, m, v [, v_max] [, θ̄]; AdaMax: θ, g, m, u [, θ̄]).
//
// Work split: a call covers the elements [begin, end) of the group's tensors laid end to end,
// cut into `threads` equal shares however the sizes are spread (seminal/native_split.hpp).
// Built by seminal/native.py; called through ctypes by seminal/adam/native.py.

#include <cmath>
#include <cstdint>

#include "native_split.hpp"

namespace {

// torch.maximum: NaN in either argument gives NaN.
template <typename T>
inline T nan_max(T a, T b) {
  return (a != a || a > b) ? a : b;
}

enum { A_SIGN, A_L2, A_DECAY, A_W1, A_B2, A_W2, A_INV_SQRT_BC2, A_EPS, A_NEG_STEP, A_WAVG, A_COUNT };
enum { X_SIGN, X_L2, X_W1, X_B2, X_EPS_IN, X_EPS_OUT, X_NEG_STEP, X_WAVG, X_COUNT };

template <typename T, bool kMax, bool kAvg>
void adam_range(T* __restrict__ p, const T* __restrict__ g_in, T* __restrict__ m_io, T* __restrict__ v_io,
                T* __restrict__ vmax_io, T* __restrict__ avg_io, int64_t n, const double* sd) {
  const T sign = T(sd[A_SIGN]), l2 = T(sd[A_L2]), decay = T(sd[A_DECAY]), w1 = T(sd[A_W1]), b2 = T(sd[A_B2]);
  const T w2 = T(sd[A_W2]), inv_sqrt_bc2 = T(sd[A_INV_SQRT_BC2]), eps = T(sd[A_EPS]), neg_step = T(sd[A_NEG_STEP]);
  const T wavg = T(sd[A_WAVG]);
  for (int64_t i = 0; i < n; ++i) {
    const T param = p[i];
    T theta = param * decay;                        // AdamW: θ·(1 - α·w); 1 otherwise
    const T g = g_in[i] * sign + param * l2;         // maximize sign, L2 weight decay
    const T m = m_io[i] + w1 * (g - m_io[i]);        // m <- β1,t·m + (1-β1,t)·g
    T v = v_io[i] * b2 + w2 * g * g;                 // v <- β2·v + (1-β2)·g²
    m_io[i] = m;
    v_io[i] = v;
    if (kMax) {
      v = nan_max(vmax_io[i], v);                    // AMSGrad
      vmax_io[i] = v;
    }
    const T denom = std::sqrt(v) * inv_sqrt_bc2 + eps;
    theta = theta + neg_step * m / denom;
    p[i] = theta;
    if (kAvg) avg_io[i] = avg_io[i] + wavg * (theta - avg_io[i]);  // θ̄ <- β·θ̄ + (1-β)·θ
  }
}

template <typename T, bool kAvg>
void adamax_range(T* __restrict__ p, const T* __restrict__ g_in, T* __restrict__ m_io, T* __restrict__ u_io,
                  T* __restrict__ avg_io, int64_t n, const double* sd) {
  const T sign = T(sd[X_SIGN]), l2 = T(sd[X_L2]), w1 = T(sd[X_W1]), b2 = T(sd[X_B2]), eps_in = T(sd[X_EPS_IN]);
  const T eps_out = T(sd[X_EPS_OUT]), neg_step = T(sd[X_NEG_STEP]), wavg = T(sd[X_WAVG]);
  for (int64_t i = 0; i < n; ++i) {
    const T param = p[i];
    const T g = g_in[i] * sign + param * l2;
    const T m = m_io[i] + w1 * (g - m_io[i]);                  // m <- β1,t·m + (1-β1,t)·g
    const T u = nan_max(u_io[i] * b2, std::fabs(g) + eps_in);  // u <- max(β2·u, |g| [+ε])
    const T denom = u + eps_out;
    const T ratio = denom > T(0) ? m / denom : T(0);           // 0/0 -> zero step
    const T theta = param + neg_step * ratio;                  // θ <- θ - (α/(1-β1^t))·m/u
    m_io[i] = m;
    u_io[i] = u;
    p[i] = theta;
    if (kAvg) avg_io[i] = avg_io[i] + wavg * (theta - avg_io[i]);
  }
}

// Calls body(k, first, count) for the part of tensor k inside the global range [begin, end).
template <typename Body>
void over_range(int64_t count, const int64_t* numel, int64_t begin, int64_t end, Body body) {
  int64_t offset = 0;
  for (int64_t k = 0; k < count && offset < end; ++k) {
    const int64_t lo = begin > offset ? begin - offset : 0;
    const int64_t hi = end - offset < numel[k] ? end - offset : numel[k];
    if (hi > lo) body(k, lo, hi - lo);
    offset += numel[k];
  }
}

template <typename T>
void adam(int64_t count, T* const* p, const T* const* g, T* const* m, T* const* v, T* const* vmax, T* const* avg,
          const int64_t* numel, const double* s, const int64_t* s_index, int64_t begin, int64_t end) {
  over_range(count, numel, begin, end, [&](int64_t k, int64_t lo, int64_t n) {
    const double* sk = s + A_COUNT * s_index[k];
    T* vm = vmax ? vmax[k] + lo : nullptr;
    T* av = avg ? avg[k] + lo : nullptr;
    if (vmax && avg)
      adam_range<T, true, true>(p[k] + lo, g[k] + lo, m[k] + lo, v[k] + lo, vm, av, n, sk);
    else if (vmax)
      adam_range<T, true, false>(p[k] + lo, g[k] + lo, m[k] + lo, v[k] + lo, vm, av, n, sk);
    else if (avg)
      adam_range<T, false, true>(p[k] + lo, g[k] + lo, m[k] + lo, v[k] + lo, vm, av, n, sk);
    else
      adam_range<T, false, false>(p[k] + lo, g[k] + lo, m[k] + lo, v[k] + lo, vm, av, n, sk);
  });
}

template <typename T>
void adamax(int64_t count, T* const* p, const T* const* g, T* const* m, T* const* u, T* const* avg,
            const int64_t* numel, const double* s, const int64_t* s_index, int64_t begin, int64_t end) {
  over_range(count, numel, begin, end, [&](int64_t k, int64_t lo, int64_t n) {
    const double* sk = s + X_COUNT * s_index[k];
    if (avg)
      adamax_range<T, true>(p[k] + lo, g[k] + lo, m[k] + lo, u[k] + lo, avg[k] + lo, n, sk);
    else
      adamax_range<T, false>(p[k] + lo, g[k] + lo, m[k] + lo, u[k] + lo, nullptr, n, sk);
  });
}

}  // namespace

extern "C" {

// vmax and avg may be null (the option is off). s holds scalar vectors of A_COUNT (Adam) or
// X_COUNT (AdaMax) doubles, one per distinct step t; tensor k uses vector s_index[k].
void adam_onepass_f32(int64_t count, float* const* p, const float* const* g, float* const* m, float* const* v,
                      float* const* vmax, float* const* avg, const int64_t* numel, const double* s, const int64_t* s_index,
                      int64_t begin, int64_t end, int64_t threads) {
  split_range(end - begin, threads, [&](int64_t lo, int64_t hi) {
    adam<float>(count, p, g, m, v, vmax, avg, numel, s, s_index, begin + lo, begin + hi);
  });
}

void adam_onepass_f64(int64_t count, double* const* p, const double* const* g, double* const* m, double* const* v,
                      double* const* vmax, double* const* avg, const int64_t* numel, const double* s, const int64_t* s_index,
                      int64_t begin, int64_t end, int64_t threads) {
  split_range(end - begin, threads, [&](int64_t lo, int64_t hi) {
    adam<double>(count, p, g, m, v, vmax, avg, numel, s, s_index, begin + lo, begin + hi);
  });
}

void adamax_onepass_f32(int64_t count, float* const* p, const float* const* g, float* const* m, float* const* u,
                        float* const* avg, const int64_t* numel, const double* s, const int64_t* s_index, int64_t begin,
                        int64_t end, int64_t threads) {
  split_range(end - begin, threads, [&](int64_t lo, int64_t hi) {
    adamax<float>(count, p, g, m, u, avg, numel, s, s_index, begin + lo, begin + hi);
  });
}

void adamax_onepass_f64(int64_t count, double* const* p, const double* const* g, double* const* m, double* const* u,
                        double* const* avg, const int64_t* numel, const double* s, const int64_t* s_index, int64_t begin,
                        int64_t end, int64_t threads) {
  split_range(end - begin, threads, [&](int64_t lo, int64_t hi) {
    adamax<double>(count, p, g, m, u, avg, numel, s, s_index, begin + lo, begin + hi);
  });
}

}  // extern "C"
