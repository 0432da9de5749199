// Reductions over the middle axis of an [outer, red, inner] view (the JS side coalesces the reduced axes into one
// contiguous block, transposing first when they are not contiguous): Sum, Mean, Max, ArgMax, and Softmax over the
// last axis. Sums accumulate in double, as tfjs-backend-cpu does (JS numbers), so results match it to float
// rounding; Max follows its NaN rule (any NaN wins) and ArgMax its tie rule (first strict maximum).
#include <cmath>
#include <vector>

#include "common.h"

namespace ft {
namespace {

enum RedOp { kSum = 0, kMean = 1, kMax = 2 };

inline float maxNaN(float m, float v) { return (v != v || v > m) ? v : m; }

// reduce(op, x, out, outer, red, inner)
napi_value reduce(Ctx &c) {
  const int op = static_cast<int>(c.num(0));
  size_t lx, lo;
  const float *x = c.f32(1, &lx);
  float *o = c.f32(2, &lo);
  const int64_t outer = c.int64(3), red = c.int64(4), inner = c.int64(5);
  if ((int64_t)lx < outer * red * inner || (int64_t)lo < outer * inner) throw ArgError("reduce: array too short");
  if (op < kSum || op > kMax) throw ArgError("reduce: unknown op");
  if (red == 0) {
    // Empty reduction: sum 0, mean NaN (0/0), max -Infinity... tfjs-cpu gives 0 / NaN / undefined->NaN.
    const float v = op == kSum ? 0.f : NAN;
    for (int64_t i = 0; i < outer * inner; ++i) o[i] = v;
    return c.undefined();
  }
  const int64_t total = outer * red * inner;
  const int T = threadsFor(total);
  const double scale = op == kMean ? 1.0 / static_cast<double>(red) : 1.0;
  if (inner == 1) {
    if (outer >= T) {
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
      for (int64_t i = 0; i < outer; ++i) {
        const float *row = x + i * red;
        if (op == kMax) {
          float m = row[0];
          for (int64_t j = 0; j < red; ++j) m = maxNaN(m, row[j]);
          o[i] = m;
        } else {
          double s = 0;
          for (int64_t j = 0; j < red; ++j) s += row[j];
          o[i] = static_cast<float>(s * scale);
        }
      }
    } else {
      // Few long rows: split each row across threads.
      for (int64_t i = 0; i < outer; ++i) {
        const float *row = x + i * red;
        std::vector<double> part(T, 0.0);
        std::vector<float> pm(T, row[0]);
#pragma omp parallel num_threads(T) if (T > 1)
        {
          const int t = omp_get_thread_num();
          int64_t s, e;
          chunk(red, omp_get_num_threads(), t, s, e);
          if (op == kMax) {
            float m = row[0];
            for (int64_t j = s; j < e; ++j) m = maxNaN(m, row[j]);
            pm[t] = m;
          } else {
            double acc = 0;
            for (int64_t j = s; j < e; ++j) acc += row[j];
            part[t] = acc;
          }
        }
        if (op == kMax) {
          float m = row[0];
          for (int t = 0; t < T; ++t) m = maxNaN(m, pm[t]);
          o[i] = m;
        } else {
          double s = 0;
          for (int t = 0; t < T; ++t) s += part[t];
          o[i] = static_cast<float>(s * scale);
        }
      }
    }
    return c.undefined();
  }
  // inner > 1: column reductions, e.g. per-channel sums of an NHWC tensor ([1, N*H*W, C]).
  if (outer >= T) {
#pragma omp parallel num_threads(T) if (T > 1)
    {
      std::vector<double> acc(inner);
      std::vector<float> m(inner);
#pragma omp for schedule(static)
      for (int64_t i = 0; i < outer; ++i) {
        const float *blk = x + i * red * inner;
        float *out = o + i * inner;
        if (op == kMax) {
          for (int64_t k = 0; k < inner; ++k) m[k] = blk[k];
          for (int64_t j = 0; j < red; ++j)
            for (int64_t k = 0; k < inner; ++k) m[k] = maxNaN(m[k], blk[j * inner + k]);
          for (int64_t k = 0; k < inner; ++k) out[k] = m[k];
        } else {
          for (int64_t k = 0; k < inner; ++k) acc[k] = 0;
          for (int64_t j = 0; j < red; ++j)
            for (int64_t k = 0; k < inner; ++k) acc[k] += blk[j * inner + k];
          for (int64_t k = 0; k < inner; ++k) out[k] = static_cast<float>(acc[k] * scale);
        }
      }
    }
    return c.undefined();
  }
  for (int64_t i = 0; i < outer; ++i) {
    const float *blk = x + i * red * inner;
    float *out = o + i * inner;
    PerThreadRows<double> acc(T, inner, 0.0);
    PerThreadRows<float> m(T, inner);
    for (int t = 0; t < T; ++t)
      for (int64_t k = 0; k < inner; ++k) m.row(t)[k] = blk[k];
#pragma omp parallel num_threads(T) if (T > 1)
    {
      const int t = omp_get_thread_num();
      int64_t s, e;
      chunk(red, omp_get_num_threads(), t, s, e);
      double *a = acc.row(t);
      float *mm = m.row(t);
      if (op == kMax) {
        for (int64_t j = s; j < e; ++j)
          for (int64_t k = 0; k < inner; ++k) mm[k] = maxNaN(mm[k], blk[j * inner + k]);
      } else {
        for (int64_t j = s; j < e; ++j)
          for (int64_t k = 0; k < inner; ++k) a[k] += blk[j * inner + k];
      }
    }
    for (int64_t k = 0; k < inner; ++k) {
      if (op == kMax) {
        float v = m.row(0)[k];
        for (int t = 1; t < T; ++t) v = maxNaN(v, m.row(t)[k]);
        out[k] = v;
      } else {
        double s = 0;
        for (int t = 0; t < T; ++t) s += acc.row(t)[k];
        out[k] = static_cast<float>(s * scale);
      }
    }
  }
  return c.undefined();
}

// argMax(x, out Int32Array, outer, red, inner): index of the first strict maximum (NaN never wins unless first).
napi_value argMax(Ctx &c) {
  size_t lx, lo;
  const float *x = c.f32(0, &lx);
  int32_t *o = c.i32(1, &lo);
  const int64_t outer = c.int64(2), red = c.int64(3), inner = c.int64(4);
  if ((int64_t)lx < outer * red * inner || (int64_t)lo < outer * inner) throw ArgError("argMax: array too short");
  const int T = threadsFor(outer * red * inner);
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
  for (int64_t i = 0; i < outer; ++i) {
    const float *blk = x + i * red * inner;
    for (int64_t k = 0; k < inner; ++k) {
      float m = red > 0 ? blk[k] : 0.f;
      int32_t best = 0;
      for (int64_t j = 0; j < red; ++j) {
        const float v = blk[j * inner + k];
        if (v > m) {
          m = v;
          best = static_cast<int32_t>(j);
        }
      }
      o[i * inner + k] = best;
    }
  }
  return c.undefined();
}

// softmax(x, out, rows, cols): along the last axis, rounding where tfjs-backend-cpu's Max/Sub/Exp/Sum/Div chain
// rounds to float32.
napi_value softmax(Ctx &c) {
  size_t lx, lo;
  const float *x = c.f32(0, &lx);
  float *o = c.f32(1, &lo);
  const int64_t rows = c.int64(2), cols = c.int64(3);
  if ((int64_t)lx < rows * cols || (int64_t)lo < rows * cols) throw ArgError("softmax: array too short");
  const int T = rows * cols > kParallelMin / 4 ? numThreads() : 1;
#pragma omp parallel for num_threads(T) schedule(static) if (T > 1)
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * cols;
    float *orow = o + r * cols;
    float m = xr[0];
    for (int64_t j = 0; j < cols; ++j) m = maxNaN(m, xr[j]);
    double s = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const float e = static_cast<float>(std::exp(static_cast<double>(xr[j] - m)));
      orow[j] = e;
      s += e;
    }
    const float sf = static_cast<float>(s);
    for (int64_t j = 0; j < cols; ++j) orow[j] = orow[j] / sf;
  }
  return c.undefined();
}

}  // namespace

void registerReduce(std::vector<Export> &out) {
  out.push_back({"reduce", wrap<reduce>});
  out.push_back({"argMax", wrap<argMax>});
  out.push_back({"softmax", wrap<softmax>});
}

}  // namespace ft
