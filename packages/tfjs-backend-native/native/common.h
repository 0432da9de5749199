// Shared helpers of the @ft/tfjs-backend-native addon: N-API argument access (zero-copy typed arrays), error
// translation and the OpenMP helpers every kernel uses.
//
// Conventions for every exported function:
// - Arguments are positional; tensors are Float32Array (or Int32Array) views passed zero-copy:
//   napi_get_typedarray_info returns the data pointer with the view's byteOffset already applied.
// - Outputs are allocated on the JS side (from the buffer pool, so UNINITIALISED) and filled here; every kernel
//   writes its whole output (memset first where it accumulates).
// - Calls are synchronous on the JS thread, as tfjs kernels are. Parallelism comes from OpenMP (libgomp), the
//   same runtime oneDNN uses on Debian, so only one thread pool ever spins.
#pragma once

#include <node_api.h>
#include <omp.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace ft {

/**
 * Compiles a function for AVX-512, AVX2 and baseline x86-64 and picks one at load time (GCC function
 * multi-versioning), since the addon is built without -march=native. Used on the hot float loops.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FT_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define FT_SIMD_CLONES
#endif

/** Thrown for invalid arguments; becomes a JS Error with the message. */
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/** Positional arguments of one N-API call. */
struct Ctx {
  napi_env env;
  size_t argc = 24;
  napi_value argv[24];

  Ctx(napi_env e, napi_callback_info info) : env(e) {
    if (napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr) != napi_ok) throw ArgError("napi_get_cb_info failed");
  }

  napi_value at(size_t i) const {
    if (i >= argc) throw ArgError("missing argument " + std::to_string(i));
    return argv[i];
  }

  bool isNull(size_t i) const {
    if (i >= argc) return true;
    napi_valuetype t;
    napi_typeof(env, argv[i], &t);
    return t == napi_null || t == napi_undefined;
  }

  /** Argument i's typed-array type, length and data; `what` names the expected type for the error. */
  void *typedInfo(size_t i, napi_typedarray_type *type, size_t *len, const char *what) const {
    napi_value v = at(i);
    bool is = false;
    napi_is_typedarray(env, v, &is);
    if (!is) throw ArgError(std::string("argument ") + std::to_string(i) + " must be a " + what);
    size_t length;
    void *data;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, v, type, &length, &data, &ab, &off);
    if (len) *len = length;
    return data;
  }

  void *typed(size_t i, napi_typedarray_type want, size_t *len, const char *what) const {
    napi_typedarray_type type;
    void *data = typedInfo(i, &type, len, what);
    if (type != want) throw ArgError(std::string("argument ") + std::to_string(i) + " must be a " + what);
    return data;
  }

  /**
   * A Float32Array, or a Uint16Array of bf16 bit patterns (bf16 mode: a value a kernel reads or writes in bf16);
   * *bf16 says which.
   */
  void *f32OrBf16(size_t i, size_t *len, bool *bf16) const {
    napi_typedarray_type type;
    void *data = typedInfo(i, &type, len, "Float32Array or a Uint16Array of bf16 values");
    if (type != napi_float32_array && type != napi_uint16_array)
      throw ArgError("argument " + std::to_string(i) + " must be a Float32Array or a Uint16Array of bf16 values");
    *bf16 = type == napi_uint16_array;
    return data;
  }

  float *f32(size_t i, size_t *len = nullptr) const {
    return static_cast<float *>(typed(i, napi_float32_array, len, "Float32Array"));
  }
  float *f32OrNull(size_t i, size_t *len = nullptr) const {
    if (isNull(i)) {
      if (len) *len = 0;
      return nullptr;
    }
    return f32(i, len);
  }
  int32_t *i32(size_t i, size_t *len = nullptr) const {
    return static_cast<int32_t *>(typed(i, napi_int32_array, len, "Int32Array"));
  }
  /** bf16 data travels as a Uint16Array holding the raw bf16 bit patterns (see bf16.cc). */
  uint16_t *bf16(size_t i, size_t *len = nullptr) const {
    return static_cast<uint16_t *>(typed(i, napi_uint16_array, len, "Uint16Array of bf16 values"));
  }
  uint16_t *bf16OrNull(size_t i, size_t *len = nullptr) const {
    if (isNull(i)) {
      if (len) *len = 0;
      return nullptr;
    }
    return bf16(i, len);
  }

  double num(size_t i) const {
    double d;
    if (napi_get_value_double(env, at(i), &d) != napi_ok)
      throw ArgError("argument " + std::to_string(i) + " must be a number");
    return d;
  }
  int64_t int64(size_t i) const { return static_cast<int64_t>(num(i)); }

  napi_value undefined() const {
    napi_value u;
    napi_get_undefined(env, &u);
    return u;
  }
  napi_value number(double d) const {
    napi_value v;
    napi_create_double(env, d, &v);
    return v;
  }
};

using Fn = napi_value (*)(Ctx &);

/** Wraps a kernel so that C++ exceptions (ours and oneDNN's) become JS exceptions. */
template <Fn F>
napi_value wrap(napi_env env, napi_callback_info info) {
  try {
    Ctx c(env, info);
    return F(c);
  } catch (const std::exception &e) {
    napi_throw_error(env, "FT_NATIVE", e.what());
  } catch (...) {
    napi_throw_error(env, "FT_NATIVE", "unknown native error");
  }
  return nullptr;
}

/**
 * Below this many elements a loop runs on the calling thread (waking the pool costs more than it saves). Set at
 * load time from the OpenMP wait policy (addon.cc): with passive waiting a wake-up costs ~10–30 µs, so only large
 * tensors (≥ 512k elements) are split; with spinning threads 32k. FT_NATIVE_PARALLEL_MIN overrides it.
 */
extern int64_t kParallelMin;

inline int numThreads() { return omp_get_max_threads(); }

/** Threads for a loop over `work` elements: the whole team above kParallelMin, else the calling thread only. */
inline int threadsFor(int64_t work) { return work > kParallelMin ? numThreads() : 1; }

/**
 * Per-thread rows of partial results (sums, maxima) for a parallel reduction. Each thread's row starts on its own
 * 64-byte cache line: rows packed back to back would share lines between threads whenever a row is shorter than a
 * line or the buffer is not line-aligned, and every accumulation would then bounce that line between cores (false
 * sharing, which made a 16-channel BatchNorm 4.7x slower at 2 threads than at 1).
 */
template <class T>
class PerThreadRows {
 public:
  static constexpr int64_t kLine = 64;
  PerThreadRows(int threads, int64_t n, T init = T())
      : stride_(roundUp(n)),
        buf_(static_cast<size_t>(threads * stride_ + kLine / static_cast<int64_t>(sizeof(T))), init) {
    const auto addr = reinterpret_cast<uintptr_t>(buf_.data());
    base_ = buf_.data() + ((kLine - static_cast<int64_t>(addr % kLine)) % kLine) / static_cast<int64_t>(sizeof(T));
  }
  /** Thread t's row of n values. */
  T *row(int t) { return base_ + t * stride_; }
  const T *row(int t) const { return base_ + t * stride_; }

 private:
  static int64_t roundUp(int64_t n) {
    const int64_t per = kLine / static_cast<int64_t>(sizeof(T));
    return (n + per - 1) / per * per;
  }
  int64_t stride_;
  std::vector<T> buf_;
  T *base_;
};

/** Splits [0, n) into `parts` contiguous chunks; returns chunk `i` as [begin, end). */
inline void chunk(int64_t n, int parts, int i, int64_t &begin, int64_t &end) {
  const int64_t q = n / parts, r = n % parts;
  begin = i * q + (i < r ? i : r);
  end = begin + q + (i < r ? 1 : 0);
}

/** Runs f(begin, end) on contiguous chunks of [0, n), one per thread (threadsFor(work), work defaults to n). */
template <class F>
void parallelChunks(int64_t n, F f, int64_t work = -1) {
  const int parts = threadsFor(work < 0 ? n : work);
#pragma omp parallel for num_threads(parts) schedule(static) if (parts > 1)
  for (int t = 0; t < parts; ++t) {
    int64_t s, e;
    chunk(n, parts, t, s, e);
    f(s, e);
  }
}

/** Registration record for addon.cc. */
struct Export {
  const char *name;
  napi_callback fn;
};

// Each translation unit appends its functions here (see addon.cc).
void registerConv(std::vector<Export> &out);
void registerMatmul(std::vector<Export> &out);
void registerEltwise(std::vector<Export> &out);
void registerReduce(std::vector<Export> &out);
void registerLayout(std::vector<Export> &out);
void registerPool(std::vector<Export> &out);
void registerBatchnorm(std::vector<Export> &out);
void registerOptimizer(std::vector<Export> &out);
void registerBf16(std::vector<Export> &out);

// Conv primitive-cache statistics (conv.cc), reported by info().
struct ConvCacheStats {
  int64_t entries = 0, hits = 0, misses = 0;
  int64_t stalls = 0;          // AMX bf16 backward-weights calls that stalled (conv.cc StallGuard)
  int64_t stallFallbacks = 0;  // backward-weights calls run without AMX after a stall
  double stallMaxMs = 0;       // the longest call counted as a stall
};
ConvCacheStats convCacheStats();
std::vector<std::string> convImplNames();
void convCacheClear();

/**
 * float -> bf16 with round-to-nearest-even (what oneDNN's reorders and VCVTNEPS2BF16 do); NaN stays a quiet NaN.
 * Defined in bf16.cc; parallel over OpenMP above kParallelMin.
 */
void f32ToBf16(const float *src, uint16_t *dst, int64_t n);

/** Same conversion for one value (used by the fused weight gather in conv.cc). */
inline uint16_t toBf16Bits(float f) {
  uint32_t u;
  __builtin_memcpy(&u, &f, sizeof u);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x40u);
  return static_cast<uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

/** bf16 bits -> float (exact: bf16 is the upper half of a float). */
inline float fromBf16Bits(uint16_t b) {
  const uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  __builtin_memcpy(&f, &u, sizeof f);
  return f;
}

/** An element of a float32 or bf16 input as float: kernels templated on their input type read through this. */
inline float loadAsFloat(const float *p, int64_t i) { return p[i]; }
inline float loadAsFloat(const uint16_t *p, int64_t i) { return fromBf16Bits(p[i]); }

/** Shapes of up to kMaxRank dims, used by the broadcasting / layout kernels. */
constexpr int kMaxRank = 8;

}  // namespace ft

namespace ft {

// Activation codes shared with src/kernels/activation.ts (same numbering as conv.cc's post-ops).
enum ActCode { kActLinear = 0, kActRelu = 1, kActRelu6 = 2, kActElu = 3, kActLeaky = 4, kActSigmoid = 5 };

/** tfjs-backend-cpu's activation semantics (fused_utils.applyActivation), computed in double like the JS. */
inline float applyAct(float v, int act, float alpha) {
  switch (act) {
    case kActRelu:
      return v < 0.f ? 0.f : v;
    case kActRelu6:
      return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case kActElu:
      return v >= 0.f ? v : static_cast<float>(std::exp(static_cast<double>(v)) - 1.0);
    case kActLeaky:
      return v < 0.f ? alpha * v : v;
    case kActSigmoid:
      return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
    default:
      return v;
  }
}

}  // namespace ft
