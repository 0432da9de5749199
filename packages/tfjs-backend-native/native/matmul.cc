// Batched matmul through oneDNN's sgemm (dnnl_sgemm: row-major, OpenMP threads shared with the convolutions, so
// no second BLAS thread pool), with tfjs' _FusedMatMul epilogue (bias + activation) applied in one pass.
#include <oneapi/dnnl/dnnl.h>

#include "common.h"

namespace ft {
namespace {

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

}  // namespace

void registerMatmul(std::vector<Export> &out) { out.push_back({"matmul", wrap<matmul>}); }

}  // namespace ft
