// Batched matmul through oneDNN's sgemm (dnnl_sgemm: row-major, OpenMP threads shared with the convolutions, so
// no second BLAS thread pool), with tfjs' _FusedMatMul epilogue (bias + activation) applied in one pass.
//
// bf16 mode (matmulBf16): oneDNN's matmul primitive with bf16 A and B (converted by the JS side, which caches the
// conversion per pooled buffer), f32 output and f32 accumulation (brg:avx512_core_bf16), batches broadcast by the
// primitive; a transposed A is a stride of its memory descriptor, a transposed B is copied into a plain [K, N] scratch
// first (oneDNN's AMX kernel, avx512_core_amx, returned wrong values for a strided B: max |Δ| 5.8 vs fp32 on an
// 8×6 · (50×6)ᵀ product). Primitives are cached per shape. The epilogue is the same loop as fp32's.
#include <oneapi/dnnl/dnnl.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <vector>

#include "common.h"

namespace ft {
namespace {

/** tfjs' _FusedMatMul epilogue on out[rows][N]: bias (per column or scalar) then the activation. */
void epilogue(float *out, int64_t rows, int64_t N, const float *bias, size_t lbias, int act, float alpha) {
  const bool perCol = bias && static_cast<int64_t>(lbias) == N;
#pragma omp parallel for if (rows * N > kParallelMin) schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    float *row = out + r * N;
    for (int64_t j = 0; j < N; ++j) {
      float v = row[j];
      if (bias) v += perCol ? bias[j] : bias[0];
      row[j] = applyAct(v, act, alpha);
    }
  }
}

// matmul(a, b, out, batchA, batchB, M, N, K, transA, transB, bias|null, act, alpha)
// a: [batchA, M, K] ([batchA, K, M] if transA); b: [batchB, K, N] ([batchB, N, K] if transB); out: [max batch, M, N].
// Batches broadcast as in tfjs-backend-cpu (index bi % batchA); the JS side only calls this when one batch is 1 or
// both are equal. bias has length N (added per column) or 1.
napi_value matmul(Ctx &c) {
  size_t la, lb, lo, lbias;
  const float *a = c.f32(0, &la);
  const float *b = c.f32(1, &lb);
  float *out = c.f32(2, &lo);
  const int64_t batchA = c.int64(3), batchB = c.int64(4);
  const int64_t M = c.int64(5), N = c.int64(6), K = c.int64(7);
  const bool tA = c.num(8) != 0, tB = c.num(9) != 0;
  const float *bias = c.f32OrNull(10, &lbias);
  const int act = static_cast<int>(c.num(11));
  const float alpha = static_cast<float>(c.num(12));
  const int64_t batch = batchA > batchB ? batchA : batchB;
  if (static_cast<int64_t>(la) < batchA * M * K || static_cast<int64_t>(lb) < batchB * K * N ||
      static_cast<int64_t>(lo) < batch * M * N)
    throw ArgError("matmul: array too short for the given shape");
  if (bias && lbias != 1 && static_cast<int64_t>(lbias) != N) throw ArgError("matmul: bias must have length N or 1");
  const dnnl_dim_t lda = tA ? M : K, ldb = tB ? K : N;
  for (int64_t bi = 0; bi < batch; ++bi) {
    const float *A = a + (bi % batchA) * M * K;
    const float *B = b + (bi % batchB) * K * N;
    float *C = out + bi * M * N;
    if (K == 0) {
      for (int64_t i = 0; i < M * N; ++i) C[i] = 0.f;
    } else {
      const dnnl_status_t st = dnnl_sgemm(tA ? 'T' : 'N', tB ? 'T' : 'N', M, N, K, 1.f, A, lda, B, ldb, 0.f, C, N);
      if (st != dnnl_success) throw ArgError("matmul: dnnl_sgemm failed with status " + std::to_string(st));
    }
  }
  if (bias || act != kActLinear) {
    const int64_t rows = batch * M;
    const bool perCol = bias && static_cast<int64_t>(lbias) == N;
#pragma omp parallel for if (rows * N > kParallelMin) schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      float *row = out + r * N;
      for (int64_t j = 0; j < N; ++j) {
        float v = row[j];
        if (bias) v += perCol ? bias[j] : bias[0];
        row[j] = applyAct(v, act, alpha);
      }
    }
  }
  return c.undefined();
}

dnnl::engine &eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}
dnnl::stream &strm() {
  static dnnl::stream s(eng());
  return s;
}

struct MmKey {
  int64_t v[7];  // batchA, batchB, M, N, K, transA, transB
  bool operator==(const MmKey &o) const { return std::memcmp(v, o.v, sizeof v) == 0; }
};
struct MmKeyHash {
  size_t operator()(const MmKey &k) const {
    size_t h = 1469598103934665603ull;
    for (int64_t x : k.v) h = (h ^ static_cast<size_t>(x)) * 1099511628211ull;
    return h;
  }
};
struct MmEntry {
  dnnl::memory::desc a, b, c;
  dnnl::matmul prim;
};
std::mutex mmMu;
std::unordered_map<MmKey, std::unique_ptr<MmEntry>, MmKeyHash> mmCache;

MmEntry &mmEntry(int64_t bA, int64_t bB, int64_t M, int64_t N, int64_t K, bool tA, bool tB) {
  const MmKey key{{bA, bB, M, N, K, tA, tB}};
  auto it = mmCache.find(key);
  if (it != mmCache.end()) return *it->second;
  using dt = dnnl::memory::data_type;
  using dims = dnnl::memory::dims;
  const int64_t batch = bA > bB ? bA : bB;
  auto e = std::make_unique<MmEntry>();
  // Logical shapes [batch, M, K] x [batch, K, N]; a transposed operand is the same logical shape with swapped
  // strides. A batch of 1 broadcasts.
  e->a = dnnl::memory::desc({bA, M, K}, dt::bf16, tA ? dims{M * K, 1, M} : dims{M * K, K, 1});
  e->b = dnnl::memory::desc({bB, K, N}, dt::bf16, dims{K * N, N, 1});  // always plain: see the file comment
  e->c = dnnl::memory::desc({batch, M, N}, dt::f32, dims{M * N, N, 1});
#if DNNL_VERSION_MAJOR >= 3
  dnnl::matmul::primitive_desc pd(eng(), e->a, e->b, e->c);
#else
  dnnl::matmul::desc d(e->a, e->b, e->c);
  dnnl::matmul::primitive_desc pd(d, eng());
#endif
  e->prim = dnnl::matmul(pd);
  MmEntry &ref = *e;
  mmCache.emplace(key, std::move(e));
  return ref;
}

/** src [batch, N, K] → dst [batch, K, N] (bf16 bit patterns), in 32×32 blocks, parallel over row blocks. */
void transposeBf16(const uint16_t *src, uint16_t *dst, int64_t batch, int64_t N, int64_t K) {
  constexpr int64_t kBlock = 32;
  const int64_t blocks = (N + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) if (batch * N * K > kParallelMin) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t nb = 0; nb < blocks; ++nb) {
      const uint16_t *s = src + b * N * K;
      uint16_t *d = dst + b * N * K;
      const int64_t n1 = (nb + 1) * kBlock < N ? (nb + 1) * kBlock : N;
      for (int64_t k0 = 0; k0 < K; k0 += kBlock) {
        const int64_t k1 = k0 + kBlock < K ? k0 + kBlock : K;
        for (int64_t n = nb * kBlock; n < n1; ++n)
          for (int64_t k = k0; k < k1; ++k) d[k * N + n] = s[n * K + k];
      }
    }
  }
}

// matmulBf16(a Uint16Array(bf16), b Uint16Array(bf16), out Float32Array, batchA, batchB, M, N, K, transA, transB,
//            bias|null, act, alpha): the same contract as matmul with bf16 inputs.
napi_value matmulBf16(Ctx &c) {
  size_t la, lb, lo, lbias;
  uint16_t *a = c.bf16(0, &la);
  uint16_t *b = c.bf16(1, &lb);
  float *out = c.f32(2, &lo);
  const int64_t batchA = c.int64(3), batchB = c.int64(4);
  const int64_t M = c.int64(5), N = c.int64(6), K = c.int64(7);
  const bool tA = c.num(8) != 0, tB = c.num(9) != 0;
  const float *bias = c.f32OrNull(10, &lbias);
  const int act = static_cast<int>(c.num(11));
  const float alpha = static_cast<float>(c.num(12));
  const int64_t batch = batchA > batchB ? batchA : batchB;
  if (batchA < 1 || batchB < 1 || M < 1 || N < 1 || K < 0) throw ArgError("matmulBf16: invalid shape");
  if ((batchA != batchB && batchA != 1 && batchB != 1))
    throw ArgError("matmulBf16: batches must be equal or one of them 1");
  if (static_cast<int64_t>(la) < batchA * M * K || static_cast<int64_t>(lb) < batchB * K * N ||
      static_cast<int64_t>(lo) < batch * M * N)
    throw ArgError("matmulBf16: array too short for the given shape");
  if (bias && lbias != 1 && static_cast<int64_t>(lbias) != N)
    throw ArgError("matmulBf16: bias must have length N or 1");
  if (K == 0) {
    std::memset(out, 0, sizeof(float) * batch * M * N);
  } else {
    std::lock_guard<std::mutex> lock(mmMu);
    MmEntry &e = mmEntry(batchA, batchB, M, N, K, tA, tB);
    static std::vector<uint16_t> bPlain;  // guarded by mmMu; grows to the largest transposed B seen
    if (tB) {
      if (bPlain.size() < static_cast<size_t>(batchB * K * N)) bPlain.resize(batchB * K * N);
      transposeBf16(b, bPlain.data(), batchB, N, K);
    }
    dnnl::memory ma(e.a, eng(), a), mb(e.b, eng(), tB ? bPlain.data() : b), mc(e.c, eng(), out);
    e.prim.execute(strm(), {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}});
    strm().wait();
  }
  if (bias || act != kActLinear) epilogue(out, batch * M, N, bias, lbias, act, alpha);
  return c.undefined();
}

}  // namespace

void registerMatmul(std::vector<Export> &out) {
  out.push_back({"matmul", wrap<matmul>});
  out.push_back({"matmulBf16", wrap<matmulBf16>});
}

}  // namespace ft
