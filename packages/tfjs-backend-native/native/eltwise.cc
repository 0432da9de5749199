// Broadcasting binary ops (any rank up to kMaxRank, dimensions coalesced) and unary ops, float32.
//
// Numerics follow tfjs-backend-cpu, which computes in float64 and rounds once to float32: +, -, *, / and sqrt of
// float32 operands rounded from double equal the float32 operation exactly, so those run in float; the
// transcendental functions (exp, log, tanh, sigmoid, pow) are evaluated in double like Math.*.
#include <cmath>
#include <cstring>

#include "common.h"

namespace ft {
namespace {

enum BinOp { kAdd = 0, kSub, kMul, kDiv, kSqDiff, kMax, kMin, kPow, kReluGrad, kAddRelu };

struct FAdd {
  float operator()(float a, float b) const { return a + b; }
};
struct FSub {
  float operator()(float a, float b) const { return a - b; }
};
struct FMul {
  float operator()(float a, float b) const { return a * b; }
};
struct FDiv {
  float operator()(float a, float b) const { return a / b; }
};
struct FSqDiff {
  // (a-b)^2 in double, as the JS kernel (the float difference could round first).
  float operator()(float a, float b) const {
    const double d = static_cast<double>(a) - static_cast<double>(b);
    return static_cast<float>(d * d);
  }
};
struct FMax {
  // Math.max: NaN if either is NaN.
  float operator()(float a, float b) const { return (a != a || b != b) ? NAN : (a > b ? a : b); }
};
struct FMin {
  float operator()(float a, float b) const { return (a != a || b != b) ? NAN : (a < b ? a : b); }
};
struct FPow {
  float operator()(float a, float b) const {
    return static_cast<float>(std::pow(static_cast<double>(a), static_cast<double>(b)));
  }
};

struct FReluGrad {
  // dy * step(x), exactly tfjs' Relu gradient mul(dy, cast(step(x))) in one pass (a = dy, b = x).
  float operator()(float dy, float x) const {
    const float s = x > 0.f ? 1.f : 0.f;
    return dy * (x != x ? x : s);
  }
};

struct FAddRelu {
  // max(0, a + b) as tfjs' relu(add(a, b)): NaN stays NaN.
  float operator()(float a, float b) const {
    const float s = a + b;
    return s < 0.f ? 0.f : s;
  }
};

/** Coalesced broadcast geometry: out dims n[], element strides of a and b (0 where broadcast). */
struct Bcast {
  int R = 0;
  int64_t n[kMaxRank], sa[kMaxRank], sb[kMaxRank];
};

Bcast makeBcast(const int32_t *as, int ar, const int32_t *bs, int br, const int32_t *os, int orank) {
  if (orank > kMaxRank || ar > orank || br > orank) throw ArgError("binary: rank too large");
  int64_t n[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int64_t stA = 1, stB = 1;
  for (int d = orank - 1; d >= 0; --d) {
    const int ia = d - (orank - ar), ib = d - (orank - br);
    const int64_t da = ia >= 0 ? as[ia] : 1, db = ib >= 0 ? bs[ib] : 1;
    n[d] = os[d];
    if ((da != 1 && da != n[d]) || (db != 1 && db != n[d])) throw ArgError("binary: shapes do not broadcast");
    sa[d] = da == 1 ? 0 : stA;
    sb[d] = db == 1 ? 0 : stB;
    stA *= da;
    stB *= db;
  }
  // Drop size-1 dims, then merge neighbours whose strides continue each other for both operands.
  Bcast g;
  for (int d = 0; d < orank; ++d) {
    if (n[d] == 1) continue;
    if (g.R > 0) {
      const int p = g.R - 1;
      if (g.sa[p] == sa[d] * n[d] && g.sb[p] == sb[d] * n[d]) {
        g.n[p] *= n[d];
        g.sa[p] = sa[d];
        g.sb[p] = sb[d];
        continue;
      }
    }
    g.n[g.R] = n[d];
    g.sa[g.R] = sa[d];
    g.sb[g.R] = sb[d];
    ++g.R;
  }
  if (g.R == 0) {
    g.R = 1;
    g.n[0] = 1;
    g.sa[0] = g.sb[0] = 0;
  }
  return g;
}

/** o = f(a, b) over n contiguous elements, compiled per ISA (long same-shape operands: residual adds, grads). */
template <class F>
FT_SIMD_CLONES void contiguousLoop(const float *__restrict a, const float *__restrict b, float *__restrict o,
                                   int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
}

/** Below this many elements a row is processed inline (an ISA-dispatched call per short row costs more). */
constexpr int64_t kCloneMin = 256;

template <class F>
inline void innerLoop(const float *a, int64_t ia, const float *b, int64_t ib, float *o, int64_t n, F f) {
  if (ia == 1 && ib == 1) {
    if (n >= kCloneMin) {
      contiguousLoop(a, b, o, n, f);
      return;
    }
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);
  } else if (ia == 1 && ib == 0) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], bv);
  } else if (ia == 0 && ib == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; ++i) o[i] = f(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) o[i] = f(a[i * ia], b[i * ib]);
  }
}

template <class F>
void binaryRun(const float *a, const float *b, float *o, const Bcast &g, F f) {
  const int R = g.R;
  const int64_t inner = g.n[R - 1];
  int64_t rows = 1;
  for (int d = 0; d < R - 1; ++d) rows *= g.n[d];
  const int64_t total = rows * inner;
  if (rows == 1) {
    // One long row: split it.
    parallelChunks(inner, [&](int64_t s, int64_t e) {
      innerLoop(a + s * g.sa[R - 1], g.sa[R - 1], b + s * g.sb[R - 1], g.sb[R - 1], o + s, e - s, f);
    });
    return;
  }
  const int parts = threadsFor(total);
#pragma omp parallel num_threads(parts) if (parts > 1)
  {
    const int t = omp_get_thread_num(), T = omp_get_num_threads();
    int64_t r0, r1;
    chunk(rows, T, t, r0, r1);
    if (r0 < r1) {
      // Odometer over the outer dims, started at row r0.
      int64_t idx[kMaxRank];
      int64_t rem = r0, offA = 0, offB = 0;
      for (int d = R - 2; d >= 0; --d) {
        idx[d] = rem % g.n[d];
        rem /= g.n[d];
        offA += idx[d] * g.sa[d];
        offB += idx[d] * g.sb[d];
      }
      for (int64_t r = r0; r < r1; ++r) {
        innerLoop(a + offA, g.sa[R - 1], b + offB, g.sb[R - 1], o + r * inner, inner, f);
        for (int d = R - 2; d >= 0; --d) {
          ++idx[d];
          offA += g.sa[d];
          offB += g.sb[d];
          if (idx[d] < g.n[d]) break;
          offA -= g.sa[d] * g.n[d];
          offB -= g.sb[d] * g.n[d];
          idx[d] = 0;
        }
      }
    }
  }
}

// binary(op, a, aShape, b, bShape, out, outShape)
napi_value binary(Ctx &c) {
  const int op = static_cast<int>(c.num(0));
  size_t la, lash, lb, lbsh, lo, losh;
  const float *a = c.f32(1, &la);
  const int32_t *ash = c.i32(2, &lash);
  const float *b = c.f32(3, &lb);
  const int32_t *bsh = c.i32(4, &lbsh);
  float *o = c.f32(5, &lo);
  const int32_t *osh = c.i32(6, &losh);
  int64_t sizeO = 1, sizeA = 1, sizeB = 1;
  for (size_t i = 0; i < losh; ++i) sizeO *= osh[i];
  for (size_t i = 0; i < lash; ++i) sizeA *= ash[i];
  for (size_t i = 0; i < lbsh; ++i) sizeB *= bsh[i];
  if ((int64_t)la < sizeA || (int64_t)lb < sizeB || (int64_t)lo < sizeO) throw ArgError("binary: array too short");
  if (sizeO == 0) return c.undefined();
  const Bcast g = makeBcast(ash, (int)lash, bsh, (int)lbsh, osh, (int)losh);
  switch (op) {
    case kAdd:
      binaryRun(a, b, o, g, FAdd{});
      break;
    case kSub:
      binaryRun(a, b, o, g, FSub{});
      break;
    case kMul:
      binaryRun(a, b, o, g, FMul{});
      break;
    case kDiv:
      binaryRun(a, b, o, g, FDiv{});
      break;
    case kSqDiff:
      binaryRun(a, b, o, g, FSqDiff{});
      break;
    case kMax:
      binaryRun(a, b, o, g, FMax{});
      break;
    case kMin:
      binaryRun(a, b, o, g, FMin{});
      break;
    case kPow:
      binaryRun(a, b, o, g, FPow{});
      break;
    case kReluGrad:
      binaryRun(a, b, o, g, FReluGrad{});
      break;
    case kAddRelu:
      binaryRun(a, b, o, g, FAddRelu{});
      break;
    default:
      throw ArgError("binary: unknown op");
  }
  return c.undefined();
}

enum UnOp {
  kRelu = 0,
  kStep,
  kExp,
  kLog,
  kSqrt,
  kRsqrt,
  kSquare,
  kNeg,
  kAbs,
  kSigmoid,
  kTanh,
  kRelu6,
  kElu,
  kLeaky,
};

/** o[i] = f(x[i]) over [s, e), compiled per ISA. */
template <class F>
FT_SIMD_CLONES void unaryLoop(const float *__restrict xs, float *__restrict os, int64_t s, int64_t e, F f) {
  // A private copy: captured values (alpha) then cannot alias o[], so the loop vectorises.
  const F g = f;
  for (int64_t i = s; i < e; ++i) os[i] = g(xs[i]);
}

template <class F>
void unaryRun(const float *x, float *o, int64_t n, F f) {
  parallelChunks(n, [&](int64_t s, int64_t e) { unaryLoop(x, o, s, e, f); });
}

// unary(op, x, out, alpha)
napi_value unary(Ctx &c) {
  const int op = static_cast<int>(c.num(0));
  size_t lx, lo;
  const float *x = c.f32(1, &lx);
  float *o = c.f32(2, &lo);
  const float alpha = static_cast<float>(c.num(3));
  if (lo < lx) throw ArgError("unary: output too short");
  const int64_t n = static_cast<int64_t>(lx);
  switch (op) {
    case kRelu:
      unaryRun(x, o, n, [](float v) { return v < 0.f ? 0.f : v; });
      break;
    case kStep:
      // Branch-free so it vectorises (random signs made the branchy form mispredict: 9 ms vs 0.2 ms for 2M).
      unaryRun(x, o, n, [alpha](float v) {
        const float r = v > 0.f ? 1.f : alpha;
        return v != v ? v : r;
      });
      break;
    case kExp:
      unaryRun(x, o, n, [](float v) { return static_cast<float>(std::exp(static_cast<double>(v))); });
      break;
    case kLog:
      unaryRun(x, o, n, [](float v) { return static_cast<float>(std::log(static_cast<double>(v))); });
      break;
    case kSqrt:
      unaryRun(x, o, n, [](float v) { return std::sqrt(v); });
      break;
    case kRsqrt:
      unaryRun(x, o, n, [](float v) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(v))); });
      break;
    case kSquare:
      unaryRun(x, o, n, [](float v) { return v * v; });
      break;
    case kNeg:
      unaryRun(x, o, n, [](float v) { return -v; });
      break;
    case kAbs:
      unaryRun(x, o, n, [](float v) { return std::fabs(v); });
      break;
    case kSigmoid:
      unaryRun(x, o, n,
               [](float v) { return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v)))); });
      break;
    case kTanh:
      unaryRun(x, o, n, [](float v) { return static_cast<float>(std::tanh(static_cast<double>(v))); });
      break;
    case kRelu6:
      unaryRun(x, o, n, [](float v) { return applyAct(v, kActRelu6, 0.f); });
      break;
    case kElu:
      unaryRun(x, o, n, [](float v) { return applyAct(v, kActElu, 0.f); });
      break;
    case kLeaky:
      unaryRun(x, o, n, [alpha](float v) { return v < 0.f ? alpha * v : v; });
      break;
    default:
      throw ArgError("unary: unknown op");
  }
  return c.undefined();
}

// fill(out, value)
napi_value fill(Ctx &c) {
  size_t lo;
  float *o = c.f32(0, &lo);
  const float v = static_cast<float>(c.num(1));
  const int64_t n = static_cast<int64_t>(lo);
  parallelChunks(n, [&](int64_t s, int64_t e) {
    if (v == 0.f && !std::signbit(v)) {
      std::memset(o + s, 0, (e - s) * sizeof(float));
    } else {
      for (int64_t i = s; i < e; ++i) o[i] = v;
    }
  });
  return c.undefined();
}

/** o = max(0, a + b) over [s, e) (FAddRelu), and with B16 ob = bf16(o) written in the same pass. */
template <bool B16>
FT_SIMD_CLONES void addReluLoop(const float *__restrict a, const float *__restrict b, float *__restrict o,
                                uint16_t *__restrict ob, int64_t s, int64_t e) {
  const FAddRelu f;
  for (int64_t i = s; i < e; ++i) {
    const float v = f(a[i], b[i]);
    o[i] = v;
    if (B16) ob[i] = toBf16Bits(v);
  }
}

// addReluSameShape(a, b, out, outBf16|null): out = max(0, a + b) on same-length arrays (the residual Add + ReLU of
// layers-add-relu.ts); outBf16 (bf16 mode) also receives out as bf16 in the same pass: the next convolution's operand.
napi_value addReluSameShape(Ctx &c) {
  size_t la, lb, lo, lob;
  const float *a = c.f32(0, &la);
  const float *b = c.f32(1, &lb);
  float *o = c.f32(2, &lo);
  uint16_t *ob = c.bf16OrNull(3, &lob);
  if (lb != la || lo < la || (ob && lob < la))
    throw ArgError("addReluSameShape: a and b must have one length; out and outBf16 at least that");
  parallelChunks(static_cast<int64_t>(la), [&](int64_t s, int64_t e) {
    if (ob) {
      addReluLoop<true>(a, b, o, ob, s, e);
    } else {
      addReluLoop<false>(a, b, o, nullptr, s, e);
    }
  });
  return c.undefined();
}

}  // namespace

void registerEltwise(std::vector<Export> &out) {
  out.push_back({"binary", wrap<binary>});
  out.push_back({"unary", wrap<unary>});
  out.push_back({"fill", wrap<fill>});
  out.push_back({"addReluSameShape", wrap<addReluSameShape>});
}

}  // namespace ft
