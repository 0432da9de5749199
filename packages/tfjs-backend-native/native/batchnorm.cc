// BatchNorm over the last (channel) axis of a float32 tensor viewed as [R rows, C channels]. In bf16 mode the input x
// (a convolution's output) and bnGrad's dy (a convolution's input gradient) and ReLU mask may arrive as bf16 bits
// instead; the kernels are templated on each input's type (loadAsFloat) and compute in float32 / double either way.
//
// - bnInfer: tfjs' FusedBatchNorm kernel, y = offset + (x - mean) * scale / sqrt(var + eps). Parameters cycle
//   through their own length as in tfjs-backend-cpu (so [C] and [1] broadcast along the last axis, and full-size
//   parameters work too).
// - bnTrain: the training forward of a BatchNormalization layer in one kernel: batch mean and biased variance
//   (divide by R, as tf.moments) accumulated in double with a per-channel shift for stability, then
//   y = gamma * (x - mean) / sqrt(var + eps) + beta.
// - bnGrad: its backward. With xhat = (x - mean) * istd, istd = 1/sqrt(var + eps):
//     dbeta = sum(dy), dgamma = sum(dy * xhat),
//     dx = gamma * istd * (dy - dbeta / R - xhat * dgamma / R)
//   (Ioffe & Szegedy 2015, arXiv:1502.03167, section 3), which equals the gradient tfjs composes from moments +
//   batchNorm.
#include <cmath>
#include <vector>

#include "common.h"

namespace ft {
namespace {

/** dy * step(y) as tfjs' Relu gradient (step(NaN) = NaN). */
inline float reluGradOf(float dy, float y) { return y > 0.f ? dy : (y == y ? 0.f : y); }

/** Rows per block of float accumulation; block sums are then added in double. */
constexpr int64_t kBlockRows = 64;

// The row loops below are compiled for AVX-512, AVX2 and baseline x86-64 and picked at load time (the addon is
// built without -march=native). Each works on rows [r0, r1) of a [R, C] tensor.

/** s1 += sum(x - K), s2 += sum((x - K)^2) per channel: float within blocks of kBlockRows rows, double across. */
template <class In>
FT_SIMD_CLONES void shiftedSums(const In *__restrict x, const float *__restrict K, int64_t r0, int64_t r1,
                                int64_t C, float *__restrict a1, float *__restrict a2, double *__restrict s1,
                                double *__restrict s2) {
  for (int64_t b = r0; b < r1; b += kBlockRows) {
    const int64_t e = b + kBlockRows < r1 ? b + kBlockRows : r1;
    for (int64_t k = 0; k < C; ++k) a1[k] = a2[k] = 0.f;
    for (int64_t r = b; r < e; ++r) {
      const In *__restrict xr = x + r * C;
      for (int64_t k = 0; k < C; ++k) {
        const float d = loadAsFloat(xr, k) - K[k];
        a1[k] += d;
        a2[k] += d * d;
      }
    }
    for (int64_t k = 0; k < C; ++k) {
      s1[k] += a1[k];
      s2[k] += a2[k];
    }
  }
}

/**
 * y = x * mul + add per channel, or (Relu) max(0, x * mul + add): BatchNorm, optionally followed by ReLU. With yb
 * (bf16 mode), each value is also written as bf16 in the same pass: the copy the next convolution reads.
 */
template <bool Relu, bool B16, class In>
FT_SIMD_CLONES void affineRows(const In *__restrict x, float *__restrict y, uint16_t *__restrict yb,
                               const float *__restrict mul, const float *__restrict add, int64_t r0, int64_t r1,
                               int64_t C) {
  for (int64_t r = r0; r < r1; ++r) {
    const In *__restrict xr = x + r * C;
    float *__restrict yr = y + r * C;
    uint16_t *__restrict br = B16 ? yb + r * C : nullptr;
    for (int64_t k = 0; k < C; ++k) {
      float v = loadAsFloat(xr, k) * mul[k] + add[k];
      if (Relu) v = v < 0.f ? 0.f : v;  // tfjs' relu: NaN and -0 pass through
      yr[k] = v;
      if (B16) br[k] = toBf16Bits(v);
    }
  }
}

/** affineRows with its template arguments picked at run time. */
template <class In>
void affineRowsOf(bool relu, const In *x, float *y, uint16_t *yb, const float *mul, const float *add, int64_t r0,
                  int64_t r1, int64_t C) {
  if (relu) {
    if (yb) {
      affineRows<true, true>(x, y, yb, mul, add, r0, r1, C);
    } else {
      affineRows<true, false>(x, y, nullptr, mul, add, r0, r1, C);
    }
  } else if (yb) {
    affineRows<false, true>(x, y, yb, mul, add, r0, r1, C);
  } else {
    affineRows<false, false>(x, y, nullptr, mul, add, r0, r1, C);
  }
}

/**
 * s1 += sum(g), s2 += sum(g * (x - mean)) per channel, blocked like shiftedSums, with g = dy, or (Masked) dy masked
 * where y <= 0 (the gradient through a fused ReLU; y unused otherwise).
 */
template <bool Masked, class D, class In, class M>
FT_SIMD_CLONES void gradSums(const D *__restrict dy, const In *__restrict x, const M *__restrict y,
                             const float *__restrict mean, int64_t r0, int64_t r1, int64_t C, float *__restrict a1,
                             float *__restrict a2, double *__restrict s1, double *__restrict s2) {
  for (int64_t b = r0; b < r1; b += kBlockRows) {
    const int64_t e = b + kBlockRows < r1 ? b + kBlockRows : r1;
    for (int64_t k = 0; k < C; ++k) a1[k] = a2[k] = 0.f;
    for (int64_t r = b; r < e; ++r) {
      const In *__restrict xr = x + r * C;
      const D *__restrict dr = dy + r * C;
      const M *__restrict yr = Masked ? y + r * C : nullptr;
      for (int64_t k = 0; k < C; ++k) {
        const float d = loadAsFloat(dr, k);
        const float g = Masked ? reluGradOf(d, loadAsFloat(yr, k)) : d;
        a1[k] += g;
        a2[k] += g * (loadAsFloat(xr, k) - mean[k]);
      }
    }
    for (int64_t k = 0; k < C; ++k) {
      s1[k] += a1[k];
      s2[k] += a2[k];
    }
  }
}

/**
 * dx = a * g + b * x + c per channel, with g = dy, or (Masked) dy masked where y <= 0. With dxb (bf16 mode), dx is
 * also written as bf16 in the same pass: the output gradient the preceding convolution's backward reads.
 */
template <bool Masked, bool B16, class D, class In, class M>
FT_SIMD_CLONES void gradRows(const D *__restrict dy, const In *__restrict x, const M *__restrict y,
                             float *__restrict dx, uint16_t *__restrict dxb, const float *__restrict a,
                             const float *__restrict b, const float *__restrict c, int64_t r0, int64_t r1,
                             int64_t C) {
  for (int64_t r = r0; r < r1; ++r) {
    const D *__restrict dr = dy + r * C;
    const In *__restrict xr = x + r * C;
    const M *__restrict yr = Masked ? y + r * C : nullptr;
    float *__restrict o = dx + r * C;
    uint16_t *__restrict ob = B16 ? dxb + r * C : nullptr;
    for (int64_t k = 0; k < C; ++k) {
      const float d = loadAsFloat(dr, k);
      const float g = Masked ? reluGradOf(d, loadAsFloat(yr, k)) : d;
      const float v = a[k] * g + b[k] * loadAsFloat(xr, k) + c[k];
      o[k] = v;
      if (B16) ob[k] = toBf16Bits(v);
    }
  }
}

/** gradRows with its template arguments picked at run time (y: the ReLU mask or null; dxb: the bf16 copy or null). */
template <class D, class In, class M>
void gradRowsOf(const D *dy, const In *x, const M *y, float *dx, uint16_t *dxb, const float *a,
                const float *b, const float *c, int64_t r0, int64_t r1, int64_t C) {
  if (y) {
    if (dxb) {
      gradRows<true, true>(dy, x, y, dx, dxb, a, b, c, r0, r1, C);
    } else {
      gradRows<true, false>(dy, x, y, dx, nullptr, a, b, c, r0, r1, C);
    }
  } else if (dxb) {
    gradRows<false, true>(dy, x, y, dx, dxb, a, b, c, r0, r1, C);
  } else {
    gradRows<false, false>(dy, x, y, dx, nullptr, a, b, c, r0, r1, C);
  }
}

/** Argument i as float32 (*x32) or bf16 bits (*x16, a Uint16Array); the other is null. Returns its length. */
size_t floatOrBf16(Ctx &c, size_t i, const float **x32, const uint16_t **x16) {
  size_t len;
  bool bf16;
  const void *data = c.f32OrBf16(i, &len, &bf16);
  *x32 = bf16 ? nullptr : static_cast<const float *>(data);
  *x16 = bf16 ? static_cast<const uint16_t *>(data) : nullptr;
  return len;
}

// bnInfer(x, mean, variance, offset|null, scale|null, out, eps, relu?, outBf16?)
//
// x is a Float32Array, or a Uint16Array of bf16 values (a bf16 convolution's output; per-channel parameters only).
// outBf16 (a Uint16Array, bf16 mode) also receives out as bf16 (per-channel parameters only).
napi_value bnInfer(Ctx &c) {
  size_t lm, lv, loff, ls, lo;
  const float *x;
  const uint16_t *xb;
  const size_t lx = floatOrBf16(c, 0, &x, &xb);
  const float *m = c.f32(1, &lm);
  const float *v = c.f32(2, &lv);
  const float *off = c.f32OrNull(3, &loff);
  const float *s = c.f32OrNull(4, &ls);
  float *o = c.f32(5, &lo);
  const double eps = c.num(6);
  const bool relu = !c.isNull(7) && c.num(7) != 0;
  size_t lob;
  uint16_t *ob = c.bf16OrNull(8, &lob);
  if (ob && lob < lx) throw ArgError("bnInfer: outBf16 is shorter than x");
  if (lo < lx || lm == 0 || lv == 0 || (off && loff == 0) || (s && ls == 0)) throw ArgError("bnInfer: bad lengths");
  const int64_t n = static_cast<int64_t>(lx);
  const float one = 1.f, zero = 0.f;
  if (!off) {
    off = &zero;
    loff = 1;
  }
  if (!s) {
    s = &one;
    ls = 1;
  }
  size_t C = lm;
  if (lv > C) C = lv;
  if (loff > C) C = loff;
  if (ls > C) C = ls;
  auto okLen = [C](size_t l) { return l == 1 || l == C; };
  if (okLen(lm) && okLen(lv) && okLen(loff) && okLen(ls) && n % static_cast<int64_t>(C) == 0) {
    std::vector<float> mul(C), add(C);
    for (size_t k = 0; k < C; ++k) {
      const double inv = s[ls == 1 ? 0 : k] / std::sqrt(static_cast<double>(v[lv == 1 ? 0 : k]) + eps);
      mul[k] = static_cast<float>(inv);
      add[k] = static_cast<float>(static_cast<double>(off[loff == 1 ? 0 : k]) -
                                  static_cast<double>(m[lm == 1 ? 0 : k]) * inv);
    }
    // y = (x - m) * inv + off, evaluated as x*inv + (off - m*inv) in float (SIMD); relu = 1 also rectifies.
    const int64_t rows = n / static_cast<int64_t>(C);
    const int64_t CC = static_cast<int64_t>(C);
    const int T = threadsFor(n);
#pragma omp parallel num_threads(T) if (T > 1)
    {
      int64_t r0, r1;
      chunk(rows, omp_get_num_threads(), omp_get_thread_num(), r0, r1);
      if (xb)
        affineRowsOf(relu, xb, o, ob, mul.data(), add.data(), r0, r1, CC);
      else
        affineRowsOf(relu, x, o, ob, mul.data(), add.data(), r0, r1, CC);
    }
    return c.undefined();
  }
  if (ob) throw ArgError("bnInfer: outBf16 needs per-channel parameters");
  if (xb) throw ArgError("bnInfer: a bf16 x needs per-channel parameters");
  // General cyclic indexing (rare): sequential, exactly the JS loop.
  size_t mi = 0, vi = 0, oi = 0, si = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float yi = static_cast<float>(off[oi] + (static_cast<double>(x[i]) - m[mi]) * s[si] / std::sqrt(v[vi] + eps));
    o[i] = relu && yi < 0.f ? 0.f : yi;
    if (++oi >= loff) oi = 0;
    if (++mi >= lm) mi = 0;
    if (++si >= ls) si = 0;
    if (++vi >= lv) vi = 0;
  }
  return c.undefined();
}

/** Per-thread double partial sums and float block accumulators, each thread's on its own cache lines. */
struct Partials {
  int T;
  PerThreadRows<double> a, b;
  PerThreadRows<float> fa, fb;
  Partials(int t, int64_t c) : T(t), a(t, c, 0.0), b(t, c, 0.0), fa(t, c), fb(t, c) {}
  double sumA(int64_t k) const {
    double s = 0;
    for (int t = 0; t < T; ++t) s += a.row(t)[k];
    return s;
  }
  double sumB(int64_t k) const {
    double s = 0;
    for (int t = 0; t < T; ++t) s += b.row(t)[k];
    return s;
  }
};

// bnTrain(x, gamma|null, beta|null, y, mean, variance, eps, C, relu?, yBf16?)
//
// x is a Float32Array, or a Uint16Array of bf16 values (a bf16 convolution's output, read as the floats they are).
// relu = 1 writes max(0, y) instead of y (BatchNorm followed by ReLU in one pass); yBf16 (a Uint16Array, bf16 mode)
// also receives y as bf16 in the same pass.
// One parallel region: each thread sums its rows, one thread turns the sums into statistics, then each thread
// normalises the rows it summed (still in its cache).
napi_value bnTrain(Ctx &c) {
  size_t lg, lb, ly, lm, lv;
  const float *x;
  const uint16_t *xb;
  const size_t lx = floatOrBf16(c, 0, &x, &xb);
  const float *gamma = c.f32OrNull(1, &lg);
  const float *beta = c.f32OrNull(2, &lb);
  float *y = c.f32(3, &ly);
  float *mean = c.f32(4, &lm);
  float *var = c.f32(5, &lv);
  const double eps = c.num(6);
  const int64_t C = c.int64(7);
  const bool relu = !c.isNull(8) && c.num(8) != 0;
  size_t lyb;
  uint16_t *yb = c.bf16OrNull(9, &lyb);
  if (yb && lyb < lx) throw ArgError("bnTrain: yBf16 is shorter than x");
  if (C <= 0 || static_cast<int64_t>(lx) % C != 0 || ly < lx || (int64_t)lm < C || (int64_t)lv < C ||
      (gamma && (int64_t)lg < C) || (beta && (int64_t)lb < C))
    throw ArgError("bnTrain: bad lengths");
  const int64_t R = static_cast<int64_t>(lx) / C;
  if (R == 0) throw ArgError("bnTrain: empty batch");
  const int T = threadsFor(static_cast<int64_t>(lx));
  Partials p(T, C);
  std::vector<float> mul(C), add(C);
  // Shifted sums (shift = first row) keep the variance accurate when |mean| >> std.
  std::vector<float> K(C);
  for (int64_t k = 0; k < C; ++k) K[k] = xb ? loadAsFloat(xb, k) : x[k];
#pragma omp parallel num_threads(T) if (T > 1)
  {
    const int t = omp_get_thread_num();
    int64_t r0, r1;
    chunk(R, omp_get_num_threads(), t, r0, r1);
    if (xb)
      shiftedSums(xb, K.data(), r0, r1, C, p.fa.row(t), p.fb.row(t), p.a.row(t), p.b.row(t));
    else
      shiftedSums(x, K.data(), r0, r1, C, p.fa.row(t), p.fb.row(t), p.a.row(t), p.b.row(t));
#pragma omp barrier
#pragma omp single
    for (int64_t k = 0; k < C; ++k) {
      const double dm = p.sumA(k) / R;
      const double mu = K[k] + dm;
      double vr = p.sumB(k) / R - dm * dm;
      if (vr < 0) vr = 0;
      mean[k] = static_cast<float>(mu);
      var[k] = static_cast<float>(vr);
      const double inv = (gamma ? gamma[k] : 1.0) / std::sqrt(vr + eps);
      mul[k] = static_cast<float>(inv);
      add[k] = static_cast<float>((beta ? beta[k] : 0.0) - mu * inv);
    }
    if (xb)
      affineRowsOf(relu, xb, y, yb, mul.data(), add.data(), r0, r1, C);
    else
      affineRowsOf(relu, x, y, yb, mul.data(), add.data(), r0, r1, C);
  }
  return c.undefined();
}

// bnGrad(dy, x, gamma|null, mean, variance, eps, C, dx, dgamma|null, dbeta|null, y|null, dxBf16?)
//
// dy and x are Float32Arrays or Uint16Arrays of bf16 values (a bf16 convolution's output and input gradient).
// With y (the output of a BatchNorm fused with ReLU, float32 or its bf16 copy), dy is first masked where y <= 0:
// the gradient of relu(batchnorm(x)). dxBf16 (a Uint16Array, bf16 mode) also receives dx as bf16 in the same pass.
napi_value bnGrad(Ctx &c) {
  size_t lg, lm, lv, ldx, ldg, ldb;
  const float *dy;
  const uint16_t *dyb;
  const size_t ldy = floatOrBf16(c, 0, &dy, &dyb);
  const float *x;
  const uint16_t *xb;
  const size_t lx = floatOrBf16(c, 1, &x, &xb);
  const float *gamma = c.f32OrNull(2, &lg);
  const float *mean = c.f32(3, &lm);
  const float *var = c.f32(4, &lv);
  const double eps = c.num(5);
  const int64_t C = c.int64(6);
  float *dx = c.f32(7, &ldx);
  float *dgamma = c.f32OrNull(8, &ldg);
  float *dbeta = c.f32OrNull(9, &ldb);
  // The ReLU mask: the fused BatchNorm + ReLU's output, float32 or (bf16 mode) its bf16 copy, which has the same
  // signs except for positive values under 2^-134, which round to +0.
  const float *ymask = nullptr;
  const uint16_t *ymaskb = nullptr;
  const size_t lyy = c.isNull(10) ? 0 : floatOrBf16(c, 10, &ymask, &ymaskb);
  if ((ymask || ymaskb) && lyy < lx) throw ArgError("bnGrad: y is shorter than x");
  size_t ldxb;
  uint16_t *dxb = c.bf16OrNull(11, &ldxb);
  if (dxb && ldxb < lx) throw ArgError("bnGrad: dxBf16 is shorter than x");
  if (C <= 0 || static_cast<int64_t>(lx) % C != 0 || ldy < lx || ldx < lx || (int64_t)lm < C || (int64_t)lv < C ||
      (gamma && (int64_t)lg < C) || (dgamma && (int64_t)ldg < C) || (dbeta && (int64_t)ldb < C))
    throw ArgError("bnGrad: bad lengths");
  const int64_t R = static_cast<int64_t>(lx) / C;
  if (R == 0) throw ArgError("bnGrad: empty batch");
  const int T = threadsFor(static_cast<int64_t>(lx));
  Partials p(T, C);
  // dx = a*dy + b*x + c0 per channel, with
  //   a = g*istd, b = -g*istd^3 * sum(dy*(x-m))/R, c0 = -a*sum(dy)/R - b*m.
  std::vector<float> ca(C), cb(C), cc(C);
  // ds, xs: float or bf16 dy and x; ms: the mask (float or bf16), null when unmasked.
  auto run = [&](const auto *ds, const auto *xs, const auto *ms) {
#pragma omp parallel num_threads(T) if (T > 1)
    {
      const int t = omp_get_thread_num();
      int64_t r0, r1;
      chunk(R, omp_get_num_threads(), t, r0, r1);
      float *a1 = p.fa.row(t), *a2 = p.fb.row(t);
      double *s1 = p.a.row(t), *s2 = p.b.row(t);
      if (ms)
        gradSums<true>(ds, xs, ms, mean, r0, r1, C, a1, a2, s1, s2);
      else
        gradSums<false>(ds, xs, ms, mean, r0, r1, C, a1, a2, s1, s2);
#pragma omp barrier
#pragma omp single
      for (int64_t k = 0; k < C; ++k) {
        const double sd = p.sumA(k), sdx = p.sumB(k);
        const double istd = 1.0 / std::sqrt(static_cast<double>(var[k]) + eps);
        const double g = gamma ? gamma[k] : 1.0;
        if (dbeta) dbeta[k] = static_cast<float>(sd);
        if (dgamma) dgamma[k] = static_cast<float>(sdx * istd);
        const double a = g * istd;
        const double b = -g * istd * istd * istd * sdx / R;
        ca[k] = static_cast<float>(a);
        cb[k] = static_cast<float>(b);
        cc[k] = static_cast<float>(-a * sd / R - b * mean[k]);
      }
      gradRowsOf(ds, xs, ms, dx, dxb, ca.data(), cb.data(), cc.data(), r0, r1, C);
    }
  };
  auto withMask = [&](const auto *ds, const auto *xs) {
    if (ymaskb)
      run(ds, xs, ymaskb);
    else
      run(ds, xs, ymask);
  };
  auto withX = [&](const auto *ds) {
    if (xb)
      withMask(ds, xb);
    else
      withMask(ds, x);
  };
  if (dyb)
    withX(dyb);
  else
    withX(dy);
  return c.undefined();
}

}  // namespace

void registerBatchnorm(std::vector<Export> &out) {
  out.push_back({"bnInfer", wrap<bnInfer>});
  out.push_back({"bnTrain", wrap<bnTrain>});
  out.push_back({"bnGrad", wrap<bnGrad>});
}

}  // namespace ft
