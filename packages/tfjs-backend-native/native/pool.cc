// 2D max / average pooling and their gradients on NHWC float32, with tfjs-backend-cpu's semantics:
// - windows only cover in-bounds pixels (padding is excluded, not zero);
// - MaxPool ignores NaN (`pixel > max`), and MaxPoolGrad routes dy to the FIRST strict maximum of each window in
//   row-major window order (as maxPoolPositions), nowhere if the window has no value > -Infinity;
// - AvgPool divides by the number of in-bounds pixels, but AvgPoolGrad multiplies by 1/(KH*KW) regardless of
//   padding (what tfjs-backend-cpu does; kept so results equal the JS kernel).
// Loops run over channels innermost (contiguous in NHWC), parallel over batch (gradients write disjoint images).
#include <cmath>
#include <cstring>
#include <vector>

#include "common.h"

namespace ft {
namespace {

struct PoolGeo {
  int N, H, W, C, KH, KW, SH, SW, PT, PL, OH, OW;
  static PoolGeo from(const int32_t *p, size_t len) {
    if (len < 12) throw ArgError("pool params: expected 12 ints");
    PoolGeo g{};
    int *f = &g.N;
    for (int i = 0; i < 12; ++i) f[i] = p[i];
    return g;
  }
  int64_t inSize() const { return (int64_t)N * H * W * C; }
  int64_t outSize() const { return (int64_t)N * OH * OW * C; }
};

/** threadsFor(work), at most one thread per image (the grads split by image). */
inline int threadsForImages(int64_t work, int N) {
  const int T = threadsFor(work);
  return T < N ? T : (N > 0 ? N : 1);
}

// maxPool(x, out, params)
napi_value maxPool(Ctx &c) {
  size_t lx, lo, lp;
  const float *x = c.f32(0, &lx);
  float *o = c.f32(1, &lo);
  const int32_t *params = c.i32(2, &lp);
  const PoolGeo g = PoolGeo::from(params, lp);
  if ((int64_t)lx < g.inSize() || (int64_t)lo < g.outSize()) throw ArgError("maxPool: array too short");
  const int64_t C = g.C;
  const int64_t rows = (int64_t)g.N * g.OH;
  const int T = threadsFor(g.outSize());
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
  for (int64_t nr = 0; nr < rows; ++nr) {
    const int n = static_cast<int>(nr / g.OH), oh = static_cast<int>(nr % g.OH);
    const int h0 = oh * g.SH - g.PT;
    const int hs = h0 < 0 ? 0 : h0, he = (h0 + g.KH < g.H) ? h0 + g.KH : g.H;
    for (int ow = 0; ow < g.OW; ++ow) {
      const int w0 = ow * g.SW - g.PL;
      const int ws = w0 < 0 ? 0 : w0, we = (w0 + g.KW < g.W) ? w0 + g.KW : g.W;
      float *out = o + ((nr * g.OW) + ow) * C;
      for (int64_t k = 0; k < C; ++k) out[k] = -INFINITY;
      for (int h = hs; h < he; ++h)
        for (int w = ws; w < we; ++w) {
          const float *px = x + (((int64_t)n * g.H + h) * g.W + w) * C;
          for (int64_t k = 0; k < C; ++k) out[k] = px[k] > out[k] ? px[k] : out[k];
        }
    }
  }
  return c.undefined();
}

// maxPoolGrad(dy, x, dx, params)
// Per output pixel: the window-local index of each channel's first strict maximum is found with branch-free
// selects (vectorised over channels), then dy is added at that position; other positions add nothing (a select,
// so a NaN dy elsewhere does not leak).
napi_value maxPoolGrad(Ctx &c) {
  size_t ldy, lx, ldx, lp;
  const float *dy = c.f32(0, &ldy);
  const float *x = c.f32(1, &lx);
  float *dx = c.f32(2, &ldx);
  const int32_t *params = c.i32(3, &lp);
  const PoolGeo g = PoolGeo::from(params, lp);
  if ((int64_t)ldy < g.outSize() || (int64_t)lx < g.inSize() || (int64_t)ldx < g.inSize())
    throw ArgError("maxPoolGrad: array too short");
  const int64_t C = g.C;
  const int T = threadsForImages(g.inSize(), g.N);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    std::vector<float> best(C);
    std::vector<int32_t> win(C);
#pragma omp for schedule(static)
    for (int n = 0; n < g.N; ++n) {
      float *__restrict dxn = dx + (int64_t)n * g.H * g.W * C;
      std::memset(dxn, 0, sizeof(float) * g.H * g.W * C);
      const float *__restrict xn = x + (int64_t)n * g.H * g.W * C;
      float *__restrict bst = best.data();
      int32_t *__restrict wi = win.data();
      for (int oh = 0; oh < g.OH; ++oh) {
        const int h0 = oh * g.SH - g.PT;
        const int hs = h0 < 0 ? 0 : h0, he = (h0 + g.KH < g.H) ? h0 + g.KH : g.H;
        for (int ow = 0; ow < g.OW; ++ow) {
          const int w0 = ow * g.SW - g.PL;
          const int ws = w0 < 0 ? 0 : w0, we = (w0 + g.KW < g.W) ? w0 + g.KW : g.W;
          for (int64_t k = 0; k < C; ++k) {
            bst[k] = -INFINITY;
            wi[k] = -1;
          }
          int32_t j = 0;
          for (int h = hs; h < he; ++h)
            for (int w = ws; w < we; ++w, ++j) {
              const float *__restrict px = xn + ((int64_t)h * g.W + w) * C;
              for (int64_t k = 0; k < C; ++k) {
                // Bit-select instead of `gt ? j : wi` so that GCC vectorises (no conditional store).
                const float p = px[k], b = bst[k];
                const int32_t m = -static_cast<int32_t>(p > b);
                bst[k] = p > b ? p : b;
                wi[k] = (wi[k] & ~m) | (j & m);
              }
            }
          const float *__restrict d = dy + ((((int64_t)n * g.OH + oh) * g.OW) + ow) * C;
          j = 0;
          for (int h = hs; h < he; ++h)
            for (int w = ws; w < we; ++w, ++j) {
              float *__restrict q = dxn + ((int64_t)h * g.W + w) * C;
              for (int64_t k = 0; k < C; ++k) {
                // q += (wi == j) ? d : +0, as a bit mask (vectorises; a NaN dy elsewhere is masked out).
                const int32_t m = -static_cast<int32_t>(wi[k] == j);
                int32_t bits;
                std::memcpy(&bits, &d[k], 4);
                bits &= m;
                float v;
                std::memcpy(&v, &bits, 4);
                q[k] += v;
              }
            }
        }
      }
    }
  }
  return c.undefined();
}

// avgPool(x, out, params)
napi_value avgPool(Ctx &c) {
  size_t lx, lo, lp;
  const float *x = c.f32(0, &lx);
  float *o = c.f32(1, &lo);
  const int32_t *params = c.i32(2, &lp);
  const PoolGeo g = PoolGeo::from(params, lp);
  if ((int64_t)lx < g.inSize() || (int64_t)lo < g.outSize()) throw ArgError("avgPool: array too short");
  const int64_t C = g.C;
  const int64_t rows = (int64_t)g.N * g.OH;
  const int T = threadsFor(g.outSize());
#pragma omp parallel num_threads(T) if (T > 1)
  {
    std::vector<double> acc(C);
#pragma omp for schedule(static)
    for (int64_t nr = 0; nr < rows; ++nr) {
      const int n = static_cast<int>(nr / g.OH), oh = static_cast<int>(nr % g.OH);
      const int h0 = oh * g.SH - g.PT;
      const int hs = h0 < 0 ? 0 : h0, he = (h0 + g.KH < g.H) ? h0 + g.KH : g.H;
      for (int ow = 0; ow < g.OW; ++ow) {
        const int w0 = ow * g.SW - g.PL;
        const int ws = w0 < 0 ? 0 : w0, we = (w0 + g.KW < g.W) ? w0 + g.KW : g.W;
        for (int64_t k = 0; k < C; ++k) acc[k] = 0;
        int count = 0;
        for (int h = hs; h < he; ++h)
          for (int w = ws; w < we; ++w) {
            const float *px = x + (((int64_t)n * g.H + h) * g.W + w) * C;
            for (int64_t k = 0; k < C; ++k) acc[k] += px[k];
            ++count;
          }
        float *out = o + ((nr * g.OW) + ow) * C;
        for (int64_t k = 0; k < C; ++k) out[k] = static_cast<float>(acc[k] / count);
      }
    }
  }
  return c.undefined();
}

// avgPoolGrad(dy, dx, params)
napi_value avgPoolGrad(Ctx &c) {
  size_t ldy, ldx, lp;
  const float *dy = c.f32(0, &ldy);
  float *dx = c.f32(1, &ldx);
  const int32_t *params = c.i32(2, &lp);
  const PoolGeo g = PoolGeo::from(params, lp);
  if ((int64_t)ldy < g.outSize() || (int64_t)ldx < g.inSize()) throw ArgError("avgPoolGrad: array too short");
  const int64_t C = g.C;
  const float mult = static_cast<float>(1.0 / (static_cast<double>(g.KH) * g.KW));
  const int T = threadsForImages(g.inSize(), g.N);
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
  for (int n = 0; n < g.N; ++n) {
    float *dxn = dx + (int64_t)n * g.H * g.W * C;
    std::memset(dxn, 0, sizeof(float) * g.H * g.W * C);
    for (int oh = 0; oh < g.OH; ++oh) {
      const int h0 = oh * g.SH - g.PT;
      const int hs = h0 < 0 ? 0 : h0, he = (h0 + g.KH < g.H) ? h0 + g.KH : g.H;
      for (int ow = 0; ow < g.OW; ++ow) {
        const int w0 = ow * g.SW - g.PL;
        const int ws = w0 < 0 ? 0 : w0, we = (w0 + g.KW < g.W) ? w0 + g.KW : g.W;
        const float *d = dy + ((((int64_t)n * g.OH + oh) * g.OW) + ow) * C;
        for (int h = hs; h < he; ++h)
          for (int w = ws; w < we; ++w) {
            float *px = dxn + ((int64_t)h * g.W + w) * C;
            for (int64_t k = 0; k < C; ++k) px[k] += d[k];
          }
      }
    }
    const int64_t sz = (int64_t)g.H * g.W * C;
    for (int64_t i = 0; i < sz; ++i) dxn[i] *= mult;
  }
  return c.undefined();
}

}  // namespace

void registerPool(std::vector<Export> &out) {
  out.push_back({"maxPool", wrap<maxPool>});
  out.push_back({"maxPoolGrad", wrap<maxPoolGrad>});
  out.push_back({"avgPool", wrap<avgPool>});
  out.push_back({"avgPoolGrad", wrap<avgPoolGrad>});
}

}  // namespace ft
