// Fused plane-projective warp (STN paper §3.2 grid + §3.3 eq. 3, 5 sampler; eq. 6-7 backward).
//
// One pass per output row: the homography maps each output pixel centre to its source point
// (a short vectorisable loop), then the bilinear kernel samples every channel there; no grid is
// ever stored. The backward pass scatters dL/dV into dL/dU (eq. 6) and chains eq. 7's
// dL/dx_s, dL/dy_s through the perspective divide into dL/dH: summed per row in the element type
// (a vectorised reduction), the rows per image in double.
//
// Conventions are those of seminal/stn/convention.py: output -> input, (x, y) order, normalised
// coordinates with pixel centres at (2m + 1)/size - 1, zero outside the image. The source point
// in pixel units is ix = (x_s + 1) W/2 - 1/2. At an integer ix the derivative is taken to the
// right, as torch's grid_sample does. A non-finite source point (w = 0) gives NaN in every
// channel, so callers' finiteness checks see it; its gradient contributions are zero.
//
// Layout: img (N, C, H, W), out (N, C, OH, OW), hom (N, 9) row-major, all contiguous, except
// grad_out (N, C, OH, OW), which comes with its four element strides. Images are
// independent: each call splits N into `threads` pieces (seminal/native_split.hpp). Built by
// seminal/native.py.

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "native_split.hpp"

namespace {

// Source points and footprints of one row. A free function with restrict-qualified arrays and
// branch-free float arithmetic only, so that the compiler vectorises it (a member function
// reading the vectors did not vectorise with GCC 12).
template <typename T>
void row_points(const T* __restrict__ x, T* __restrict__ qx, T* __restrict__ qy, T* __restrict__ r,
                T* __restrict__ px, T* __restrict__ py, T* __restrict__ ax, T* __restrict__ bx, T* __restrict__ ay,
                T* __restrict__ by, T* __restrict__ v00, T* __restrict__ v01, T* __restrict__ v10,
                T* __restrict__ v11, int32_t* __restrict__ k00, int32_t* __restrict__ k01, int32_t* __restrict__ k10,
                int32_t* __restrict__ k11, int64_t OW, T h0, T h3, T h6, T a0, T a1, T a2, int64_t H, int64_t W) {
  {
    const T sx = T(W) / T(2), sy = T(H) / T(2);
    // Branch-free float arithmetic only, so that the compiler vectorises this loop. Indices are
    // formed in floating point: exact, since callers keep H*W below 2^24.
    const T wlast = T(W - 1), hlast = T(H - 1), width = T(W);
    for (int64_t j = 0; j < OW; ++j) {
      const T inv_w = T(1) / (h6 * x[j] + a2);
      const T u = (h0 * x[j] + a0) * inv_w, v = (h3 * x[j] + a1) * inv_w;
      r[j] = inv_w;
      qx[j] = u;
      qy[j] = v;
      // Pixel units, clamped to [-2, size + 1] (NaN -> -2): beyond -1 or size every corner is
      // outside, so the clamp changes no weight; it keeps the integer conversion defined.
      T ix = (u + T(1)) * sx - T(0.5), iy = (v + T(1)) * sy - T(0.5);
      ix = ix > T(-2) ? ix : T(-2);
      ix = ix < wlast + T(2) ? ix : wlast + T(2);
      iy = iy > T(-2) ? iy : T(-2);
      iy = iy < hlast + T(2) ? iy : hlast + T(2);
      const T x0 = std::floor(ix), y0 = std::floor(iy), x1 = x0 + T(1), y1 = y0 + T(1);
      const T ex = ix - x0, ey = iy - y0;
      px[j] = ex;
      py[j] = ey;
      const T m_x0 = T((x0 >= T(0)) & (x0 <= wlast)), m_x1 = T((x1 >= T(0)) & (x1 <= wlast));
      const T m_y0 = T((y0 >= T(0)) & (y0 <= hlast)), m_y1 = T((y1 >= T(0)) & (y1 <= hlast));
      ax[j] = m_x0;
      bx[j] = m_x1;
      ay[j] = m_y0;
      by[j] = m_y1;
      v00[j] = (T(1) - ex) * (T(1) - ey) * (m_x0 * m_y0);
      v01[j] = ex * (T(1) - ey) * (m_x1 * m_y0);
      v10[j] = (T(1) - ex) * ey * (m_x0 * m_y1);
      v11[j] = ex * ey * (m_x1 * m_y1);
      T x0c = x0 > T(0) ? x0 : T(0), x1c = x1 > T(0) ? x1 : T(0), y0c = y0 > T(0) ? y0 : T(0), y1c = y1 > T(0) ? y1 : T(0);
      x0c = x0c < wlast ? x0c : wlast;
      x1c = x1c < wlast ? x1c : wlast;
      y0c = y0c < hlast ? y0c : hlast;
      y1c = y1c < hlast ? y1c : hlast;
      k00[j] = static_cast<int32_t>(y0c * width + x0c);
      k01[j] = static_cast<int32_t>(y0c * width + x1c);
      k10[j] = static_cast<int32_t>(y1c * width + x0c);
      k11[j] = static_cast<int32_t>(y1c * width + x1c);
    }
  }
}

// The source points of one output row, and their bilinear footprints. Filled by plain loops
// over arrays (vectorised by the compiler); the sampling loops then gather without branches:
// a corner outside the image has its index clamped to a valid pixel and its weight set to 0.
template <typename T>
struct Row {
  std::vector<T> xt, xs, ys, rw;           // x_t per column; x_s, y_s, 1/w per pixel
  std::vector<T> fx, fy, mx0, mx1, my0, my1;  // fractional parts; 1/0 masks of existing corners
  std::vector<T> w00, w01, w10, w11;       // eq. 5 weights (masked)
  std::vector<int32_t> i00, i01, i10, i11;  // flat corner indices (clamped)
  bool all_finite = true;

  explicit Row(int64_t OW)
      : xt(OW), xs(OW), ys(OW), rw(OW), fx(OW), fy(OW), mx0(OW), mx1(OW), my0(OW), my1(OW), w00(OW), w01(OW),
        w10(OW), w11(OW), i00(OW), i01(OW), i10(OW), i11(OW) {
    for (int64_t j = 0; j < OW; ++j) xt[j] = (T(2) * T(j) + T(1)) / T(OW) - T(1);
  }

  void compute(const T* h, T yt, int64_t H, int64_t W) {
    const int64_t OW = static_cast<int64_t>(xt.size());
    const T a0 = h[1] * yt + h[2], a1 = h[4] * yt + h[5], a2 = h[7] * yt + h[8];
    row_points<T>(xt.data(), xs.data(), ys.data(), rw.data(), fx.data(), fy.data(), mx0.data(), mx1.data(), my0.data(),
                  my1.data(), w00.data(), w01.data(), w10.data(), w11.data(), i00.data(), i01.data(), i10.data(),
                  i11.data(), OW, h[0], h[3], h[6], a0, a1, a2, H, W);
    bool finite = true;
    for (int64_t j = 0; j < OW; ++j) finite &= std::isfinite(xs[j]) && std::isfinite(ys[j]);
    all_finite = finite;
  }
};

template <typename T>
void forward_image(const T* __restrict__ src, const T* h, T* __restrict__ dst, Row<T>& row, int64_t C, int64_t H,
                   int64_t W, int64_t OH, int64_t OW) {
  const int64_t plane = H * W, oplane = OH * OW;
  for (int64_t i = 0; i < OH; ++i) {
    row.compute(h, (T(2) * T(i) + T(1)) / T(OH) - T(1), H, W);
    const T *w00 = row.w00.data(), *w01 = row.w01.data(), *w10 = row.w10.data(), *w11 = row.w11.data();
    const int32_t *i00 = row.i00.data(), *i01 = row.i01.data(), *i10 = row.i10.data(), *i11 = row.i11.data();
    // Eq. 3 with the eq. 5 kernel: the four neighbours weighted by (1 - |x_s - m|)(1 - |y_s - n|).
    if (C == 1) {
      T* __restrict__ d = dst + i * OW;
      for (int64_t j = 0; j < OW; ++j)
        d[j] = src[i00[j]] * w00[j] + src[i01[j]] * w01[j] + src[i10[j]] * w10[j] + src[i11[j]] * w11[j];
    } else {  // pixel by pixel, all channels: indices and weights are loaded once per pixel
      for (int64_t j = 0; j < OW; ++j) {
        const int32_t k00 = i00[j], k01 = i01[j], k10 = i10[j], k11 = i11[j];
        const T a00 = w00[j], a01 = w01[j], a10 = w10[j], a11 = w11[j];
        for (int64_t c = 0; c < C; ++c) {
          const T* s = src + c * plane;
          dst[c * oplane + i * OW + j] = s[k00] * a00 + s[k01] * a01 + s[k10] * a10 + s[k11] * a11;
        }
      }
    }
    for (int64_t c = 0; c < C; ++c) {
      T* __restrict__ d = dst + c * oplane + i * OW;
      if (!row.all_finite)
        for (int64_t j = 0; j < OW; ++j)
          if (!(std::isfinite(row.xs[j]) && std::isfinite(row.ys[j]))) d[j] = std::numeric_limits<T>::quiet_NaN();
    }
  }
}

// One row, all channels, one pass over its pixels: eq. 6 scatters dL/dV into dL/dU
// (dV/dU_nm = k(x_s - m) k(y_s - n)); eq. 7 gives dL/d(ix), dL/d(iy) (pixel units) in gx, gy:
// dV/d(ix) = Σ U_nm k(y_s - n) · (±1 inside the footprint), zero outside the image, i.e. the
// corner values times their masks.
template <typename T, bool kImage, bool kPoint, int kChannels>
void row_backward(const T* const* g, const T* const* s, T* const* d, int64_t channels, const Row<T>& row,
                  T* __restrict__ gx, T* __restrict__ gy, int64_t OW) {
  const int64_t C = kChannels > 0 ? kChannels : channels;  // a compile-time 1 for grey images
  const T *w00 = row.w00.data(), *w01 = row.w01.data(), *w10 = row.w10.data(), *w11 = row.w11.data();
  const T *fx = row.fx.data(), *fy = row.fy.data();
  const T *mx0 = row.mx0.data(), *mx1 = row.mx1.data(), *my0 = row.my0.data(), *my1 = row.my1.data();
  const int32_t *i00 = row.i00.data(), *i01 = row.i01.data(), *i10 = row.i10.data(), *i11 = row.i11.data();
  for (int64_t j = 0; j < OW; ++j) {
    const int32_t k00 = i00[j], k01 = i01[j], k10 = i10[j], k11 = i11[j];
    const T a00 = w00[j], a01 = w01[j], a10 = w10[j], a11 = w11[j];
    const T m00 = mx0[j] * my0[j], m01 = mx1[j] * my0[j], m10 = mx0[j] * my1[j], m11 = mx1[j] * my1[j];
    T sum_x = T(0), sum_y = T(0);
    for (int64_t c = 0; c < C; ++c) {
      const T gj = g[c][j];
      if (kPoint) {
        const T* sc = s[c];
        const T v00 = sc[k00] * m00, v01 = sc[k01] * m01, v10 = sc[k10] * m10, v11 = sc[k11] * m11;
        sum_x += gj * ((v01 - v00) * (T(1) - fy[j]) + (v11 - v10) * fy[j]);
        sum_y += gj * ((v10 - v00) * (T(1) - fx[j]) + (v11 - v01) * fx[j]);
      }
      if (kImage) {
        T* dc = d[c];
        dc[k00] += gj * a00;
        dc[k01] += gj * a01;
        dc[k10] += gj * a10;
        dc[k11] += gj * a11;
      }
    }
    gx[j] = sum_x;
    gy[j] = sum_y;
  }
}

// gi (dL/dU; zeroed here, image by image, while it is in cache) and gh (dL/dH, 9 values) may each be null.
template <typename T>
void backward_image(const T* __restrict__ go, const int64_t* gs, const T* __restrict__ src, const T* h,
                    T* __restrict__ gi, T* __restrict__ gh, Row<T>& row, std::vector<T>& gxy, std::vector<T>& grow,
                    int64_t C, int64_t H, int64_t W, int64_t OH, int64_t OW) {
  const int64_t plane = H * W;
  const T sx = T(W) / T(2), sy = T(H) / T(2);
  double acc[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
  T* __restrict__ gx = gxy.data();       // dL/d(ix) per pixel of the row (eq. 7, pixel units)
  T* __restrict__ gy = gxy.data() + OW;  // dL/d(iy)
  if (gi) std::fill(gi, gi + C * plane, T(0));
  std::vector<const T*> gp(C), sp(C);
  std::vector<T*> dp(C);
  for (int64_t c = 0; c < C; ++c) {
    sp[c] = src + c * plane;
    dp[c] = gi ? gi + c * plane : nullptr;
  }
  for (int64_t i = 0; i < OH; ++i) {
    const T yt = (T(2) * T(i) + T(1)) / T(OH) - T(1);
    row.compute(h, yt, H, W);
    const T *w00 = row.w00.data(), *w01 = row.w01.data(), *w10 = row.w10.data(), *w11 = row.w11.data();
    const T *fx = row.fx.data(), *fy = row.fy.data();
    const T *mx0 = row.mx0.data(), *mx1 = row.mx1.data(), *my0 = row.my0.data(), *my1 = row.my1.data();
    const int32_t *i00 = row.i00.data(), *i01 = row.i01.data(), *i10 = row.i10.data(), *i11 = row.i11.data();
    for (int64_t c = 0; c < C; ++c) {
      // dL/dV of this row and channel; gathered into a buffer unless already contiguous (a
      // broadcast gradient such as that of out.sum() has stride 0: no full-size copy needed).
      const T* g = go + c * gs[1] + i * gs[2];
      if (gs[3] != 1) {
        for (int64_t j = 0; j < OW; ++j) grow[c * OW + j] = g[j * gs[3]];
        g = grow.data() + c * OW;
      }
      gp[c] = g;
    }
    const T* const* g = gp.data();
    const T* const* s = sp.data();
    T* const* d = dp.data();
    if (C == 1) {
      if (gi && gh) row_backward<T, true, true, 1>(g, s, d, C, row, gx, gy, OW);
      else if (gi) row_backward<T, true, false, 1>(g, s, d, C, row, gx, gy, OW);
      else row_backward<T, false, true, 1>(g, s, d, C, row, gx, gy, OW);
    } else {
      if (gi && gh) row_backward<T, true, true, 0>(g, s, d, C, row, gx, gy, OW);
      else if (gi) row_backward<T, true, false, 0>(g, s, d, C, row, gx, gy, OW);
      else row_backward<T, false, true, 0>(g, s, d, C, row, gx, gy, OW);
    }
    if (!gh) continue;
    // d(ix)/d(x_s) = W/2. Perspective divide x_s = u/w, y_s = v/w:
    // dL/du = dL/dx_s / w, dL/dv = dL/dy_s / w, dL/dw = -(dL/dx_s x_s + dL/dy_s y_s) / w.
    // Per row: Σ dL/du, Σ dL/du·x_t, the same for v and w (y_t is constant along the row).
    double su = 0, sux = 0, sv = 0, svx = 0, sw = 0, swx = 0;
    if (row.all_finite) {  // the common case: in T, a vectorised reduction over the row
      T tu = 0, tux = 0, tv = 0, tvx = 0, tw = 0, twx = 0;
      const T *xs = row.xs.data(), *ys = row.ys.data(), *rw = row.rw.data(), *xt = row.xt.data();
#pragma omp simd reduction(+ : tu, tux, tv, tvx, tw, twx)
      for (int64_t j = 0; j < OW; ++j) {
        const T dxs = gx[j] * sx, dys = gy[j] * sy;
        const T du = dxs * rw[j], dv = dys * rw[j], dw = -(dxs * xs[j] + dys * ys[j]) * rw[j];
        tu += du;
        tux += du * xt[j];
        tv += dv;
        tvx += dv * xt[j];
        tw += dw;
        twx += dw * xt[j];
      }
      su = tu, sux = tux, sv = tv, svx = tvx, sw = tw, swx = twx;
    } else {
      for (int64_t j = 0; j < OW; ++j) {
        const double xs = double(row.xs[j]), ys = double(row.ys[j]);
        if (!(std::isfinite(xs) && std::isfinite(ys))) continue;  // w = 0: no gradient
        const double dxs = double(gx[j]) * double(sx), dys = double(gy[j]) * double(sy), rw = double(row.rw[j]);
        const double du = dxs * rw, dv = dys * rw, dw = -(dxs * xs + dys * ys) * rw;
        const double bx = double(row.xt[j]);
        su += du;
        sux += du * bx;
        sv += dv;
        svx += dv * bx;
        sw += dw;
        swx += dw * bx;
      }
    }
    // dL/dH[r, :] = Σ_pixels dL/d(u, v, w)_r · (x_t, y_t, 1).
    const double y = double(yt);
    acc[0] += sux; acc[1] += su * y; acc[2] += su;
    acc[3] += svx; acc[4] += sv * y; acc[5] += sv;
    acc[6] += swx; acc[7] += sw * y; acc[8] += sw;
  }
  if (gh)
    for (int q = 0; q < 9; ++q) gh[q] = T(acc[q]);
}

template <typename T>
void forward(const T* img, const T* hom, T* out, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH, int64_t OW,
             int64_t threads) {
  split_range(N, threads, [&](int64_t lo, int64_t hi) {
    Row<T> row(OW);
    for (int64_t n = lo; n < hi; ++n)
      forward_image(img + n * C * H * W, hom + 9 * n, out + n * C * OH * OW, row, C, H, W, OH, OW);
  });
}

template <typename T>
void backward(const T* grad_out, const int64_t* gs, const T* img, const T* hom, T* grad_img, T* grad_hom, int64_t N,
              int64_t C, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t threads) {
  split_range(N, threads, [&](int64_t lo, int64_t hi) {
    Row<T> row(OW);
    std::vector<T> gxy(2 * OW), grow(C * OW);
    for (int64_t n = lo; n < hi; ++n)
      backward_image(grad_out + n * gs[0], gs, img + n * C * H * W, hom + 9 * n,
                     grad_img ? grad_img + n * C * H * W : nullptr, grad_hom ? grad_hom + 9 * n : nullptr, row, gxy, grow,
                     C, H, W, OH, OW);
  });
}

}  // namespace

extern "C" {

void projective_warp_forward_f32(const float* img, const float* hom, float* out, int64_t N, int64_t C, int64_t H,
                                 int64_t W, int64_t OH, int64_t OW, int64_t threads) {
  forward<float>(img, hom, out, N, C, H, W, OH, OW, threads);
}

void projective_warp_forward_f64(const double* img, const double* hom, double* out, int64_t N, int64_t C, int64_t H,
                                 int64_t W, int64_t OH, int64_t OW, int64_t threads) {
  forward<double>(img, hom, out, N, C, H, W, OH, OW, threads);
}

void projective_warp_backward_f32(const float* grad_out, const int64_t* grad_out_strides, const float* img, const float* hom, float* grad_img,
                                  float* grad_hom, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH, int64_t OW,
                                  int64_t threads) {
  backward<float>(grad_out, grad_out_strides, img, hom, grad_img, grad_hom, N, C, H, W, OH, OW, threads);
}

void projective_warp_backward_f64(const double* grad_out, const int64_t* grad_out_strides, const double* img, const double* hom, double* grad_img,
                                  double* grad_hom, int64_t N, int64_t C, int64_t H, int64_t W, int64_t OH,
                                  int64_t OW, int64_t threads) {
  backward<double>(grad_out, grad_out_strides, img, hom, grad_img, grad_hom, N, C, H, W, OH, OW, threads);
}

}  // extern "C"
