// Fused optimizer updates: one pass per variable instead of tfjs' 2 (SGD), 4 (momentum) or ~14 (Adam) kernels.
//
// Each update evaluates exactly tfjs-core's op sequence (optimizers/*_optimizer.js) in float32, one rounding per
// op and no fused multiply-add (this file is compiled with -ffp-contract=off, see binding.gyp), so the results are
// bit-identical to the unfused tfjs update on any backend that rounds each op to float32 (cpu, ft-native).
#include "common.h"

namespace ft {
namespace {

/** SGD: value' = c * g + value, with c = -learningRate. */
FT_SIMD_CLONES void sgdRange(const float *__restrict value, const float *__restrict g, float *__restrict out, float c,
                             int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float u = c * g[i];
    out[i] = u + value[i];
  }
}

/** Momentum: acc' = m * acc + g; value' = c * acc' + value (Nesterov: value' = c * (g + acc' * m) + value). */
FT_SIMD_CLONES void momentumRange(const float *__restrict value, const float *__restrict acc, const float *__restrict g,
                                  float *__restrict outValue, float *__restrict outAcc, float m, float c, int nesterov,
                                  int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float ma = m * acc[i];
    const float a = ma + g[i];
    outAcc[i] = a;
    if (nesterov) {
      const float am = a * m;
      const float ga = g[i] + am;
      const float u = c * ga;
      outValue[i] = u + value[i];
    } else {
      const float u = c * a;
      outValue[i] = u + value[i];
    }
  }
}

struct AdamScalars {
  float beta1, beta2, oneMinusBeta1, oneMinusBeta2, oneMinusAccBeta1, oneMinusAccBeta2, eps, negLr;
};

/**
 * Adam (tfjs-core AdamOptimizer.applyGradients):
 *   m' = m*b1 + g*(1-b1); v' = v*b2 + g^2*(1-b2);
 *   value' = (m'/(1-b1^t)) / (sqrt(v'/(1-b2^t)) + eps) * (-lr) + value.
 */
FT_SIMD_CLONES void adamRange(const float *__restrict value, const float *__restrict m, const float *__restrict v,
                              const float *__restrict g, float *__restrict outValue, float *__restrict outM,
                              float *__restrict outV, AdamScalars k, int64_t s, int64_t e) {
  for (int64_t i = s; i < e; ++i) {
    const float gi = g[i];
    const float m1 = m[i] * k.beta1;
    const float m2 = gi * k.oneMinusBeta1;
    const float nm = m1 + m2;
    const float sq = gi * gi;
    const float v1 = v[i] * k.beta2;
    const float v2 = sq * k.oneMinusBeta2;
    const float nv = v1 + v2;
    const float bm = nm / k.oneMinusAccBeta1;
    const float bv = nv / k.oneMinusAccBeta2;
    const float den = std::sqrt(bv) + k.eps;
    const float q = bm / den;
    const float u = q * k.negLr;
    outM[i] = nm;
    outV[i] = nv;
    outValue[i] = u + value[i];
  }
}

void needLen(size_t have, size_t n, const char *what) {
  if (have < n) throw ArgError(std::string(what) + " is shorter than the variable");
}

// sgdUpdate(value, grad, out, c)
napi_value sgdUpdate(Ctx &c) {
  size_t n, lg, lo;
  const float *value = c.f32(0, &n);
  const float *g = c.f32(1, &lg);
  float *out = c.f32(2, &lo);
  const float k = static_cast<float>(c.num(3));
  needLen(lg, n, "gradient");
  needLen(lo, n, "output");
  parallelChunks(static_cast<int64_t>(n), [&](int64_t s, int64_t e) { sgdRange(value, g, out, k, s, e); });
  return c.undefined();
}

// momentumUpdate(value, acc, grad, outValue, outAcc, m, c, nesterov)
napi_value momentumUpdate(Ctx &c) {
  size_t n, la, lg, lv, loa;
  const float *value = c.f32(0, &n);
  const float *acc = c.f32(1, &la);
  const float *g = c.f32(2, &lg);
  float *outValue = c.f32(3, &lv);
  float *outAcc = c.f32(4, &loa);
  const float m = static_cast<float>(c.num(5));
  const float k = static_cast<float>(c.num(6));
  const int nesterov = c.num(7) != 0 ? 1 : 0;
  needLen(la, n, "accumulation");
  needLen(lg, n, "gradient");
  needLen(lv, n, "output");
  needLen(loa, n, "accumulation output");
  parallelChunks(static_cast<int64_t>(n), [&](int64_t s, int64_t e) {
    momentumRange(value, acc, g, outValue, outAcc, m, k, nesterov, s, e);
  });
  return c.undefined();
}

// adamUpdate(value, m, v, grad, outValue, outM, outV, beta1, beta2, oneMinusBeta1, oneMinusBeta2,
//            oneMinusAccBeta1, oneMinusAccBeta2, eps, negLr)
napi_value adamUpdate(Ctx &c) {
  size_t n, lm, lv, lg, lov, lom, lon;
  const float *value = c.f32(0, &n);
  const float *m = c.f32(1, &lm);
  const float *v = c.f32(2, &lv);
  const float *g = c.f32(3, &lg);
  float *outValue = c.f32(4, &lov);
  float *outM = c.f32(5, &lom);
  float *outV = c.f32(6, &lon);
  AdamScalars k{};
  float *f = &k.beta1;
  for (int i = 0; i < 8; ++i) f[i] = static_cast<float>(c.num(7 + i));
  needLen(lm, n, "first moment");
  needLen(lv, n, "second moment");
  needLen(lg, n, "gradient");
  needLen(lov, n, "output");
  needLen(lom, n, "first moment output");
  needLen(lon, n, "second moment output");
  parallelChunks(static_cast<int64_t>(n), [&](int64_t s, int64_t e) {
    adamRange(value, m, v, g, outValue, outM, outV, k, s, e);
  });
  return c.undefined();
}

}  // namespace

void registerOptimizer(std::vector<Export> &out) {
  out.push_back({"sgdUpdate", wrap<sgdUpdate>});
  out.push_back({"momentumUpdate", wrap<momentumUpdate>});
  out.push_back({"adamUpdate", wrap<adamUpdate>});
}

}  // namespace ft
