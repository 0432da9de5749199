// Transpose and Tile for 4-byte elements (float32 / int32), any rank up to kMaxRank. Pure data movement, so the
// result is bit-identical to tfjs-backend-cpu.
#include <cstring>

#include "common.h"

namespace ft {
namespace {

uint32_t *data4(const Ctx &c, size_t i, size_t *len) {
  napi_value v = c.at(i);
  bool is = false;
  napi_is_typedarray(c.env, v, &is);
  if (!is) throw ArgError("argument " + std::to_string(i) + " must be a Float32Array or Int32Array");
  napi_typedarray_type type;
  void *data;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(c.env, v, &type, len, &data, &ab, &off);
  if (type != napi_float32_array && type != napi_int32_array && type != napi_uint32_array)
    throw ArgError("argument " + std::to_string(i) + " must be a Float32Array or Int32Array");
  return static_cast<uint32_t *>(data);
}

// transpose(x, shape, perm, out): out[..., i_k, ...] = x[...] with out dim k = x dim perm[k].
napi_value transpose(Ctx &c) {
  size_t lx, ls, lp, lo;
  const uint32_t *x = data4(c, 0, &lx);
  const int32_t *shape = c.i32(1, &ls);
  const int32_t *perm = c.i32(2, &lp);
  uint32_t *o = data4(c, 3, &lo);
  const int R0 = static_cast<int>(ls);
  if (R0 > kMaxRank || lp != ls) throw ArgError("transpose: bad rank");
  int64_t xs[kMaxRank];
  int64_t size = 1;
  for (int d = R0 - 1; d >= 0; --d) {
    xs[d] = size;
    size *= shape[d];
  }
  if ((int64_t)lx < size || (int64_t)lo < size) throw ArgError("transpose: array too short");
  if (size == 0) return c.undefined();
  // Output dims with their input strides; drop size-1 dims and merge runs that stay contiguous in the input.
  int R = 0;
  int64_t n[kMaxRank], s[kMaxRank];
  for (int k = 0; k < R0; ++k) {
    const int d = perm[k];
    if (d < 0 || d >= R0) throw ArgError("transpose: bad perm");
    if (shape[d] == 1) continue;
    if (R > 0 && s[R - 1] == xs[d] * shape[d]) {
      n[R - 1] *= shape[d];
      s[R - 1] = xs[d];
      continue;
    }
    n[R] = shape[d];
    s[R] = xs[d];
    ++R;
  }
  if (R <= 1) {
    std::memcpy(o, x, size * 4);
    return c.undefined();
  }
  const int64_t inner = n[R - 1], is = s[R - 1];
  const int64_t rows = size / inner;
  const int T = threadsFor(size);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    const int t = omp_get_thread_num();
    int64_t r0, r1;
    chunk(rows, omp_get_num_threads(), t, r0, r1);
    if (r0 < r1) {
      int64_t idx[kMaxRank], rem = r0, off = 0;
      for (int d = R - 2; d >= 0; --d) {
        idx[d] = rem % n[d];
        rem /= n[d];
        off += idx[d] * s[d];
      }
      for (int64_t r = r0; r < r1; ++r) {
        uint32_t *dst = o + r * inner;
        const uint32_t *src = x + off;
        for (int64_t i = 0; i < inner; ++i) dst[i] = src[i * is];
        for (int d = R - 2; d >= 0; --d) {
          ++idx[d];
          off += s[d];
          if (idx[d] < n[d]) break;
          off -= s[d] * n[d];
          idx[d] = 0;
        }
      }
    }
  }
  return c.undefined();
}

// tile(x, shape, reps, out): out dim d = shape[d] * reps[d]; out[i] = x[i mod shape].
napi_value tile(Ctx &c) {
  size_t lx, ls, lr, lo;
  const uint32_t *x = data4(c, 0, &lx);
  const int32_t *shape = c.i32(1, &ls);
  const int32_t *reps = c.i32(2, &lr);
  uint32_t *o = data4(c, 3, &lo);
  const int R = static_cast<int>(ls);
  if (R > kMaxRank || R == 0 || lr != ls) throw ArgError("tile: bad rank");
  int64_t on[kMaxRank], xs[kMaxRank];
  int64_t xsize = 1, osize = 1;
  for (int d = R - 1; d >= 0; --d) {
    xs[d] = xsize;
    xsize *= shape[d];
    on[d] = static_cast<int64_t>(shape[d]) * reps[d];
    osize *= on[d];
  }
  if ((int64_t)lx < xsize || (int64_t)lo < osize) throw ArgError("tile: array too short");
  if (osize == 0) return c.undefined();
  const int64_t inner = on[R - 1], xin = shape[R - 1];
  const int64_t rows = osize / inner;
  const int T = threadsFor(osize);
#pragma omp parallel num_threads(T) if (T > 1)
  {
    const int t = omp_get_thread_num();
    int64_t r0, r1;
    chunk(rows, omp_get_num_threads(), t, r0, r1);
    for (int64_t r = r0; r < r1; ++r) {
      int64_t rem = r, off = 0;
      for (int d = R - 2; d >= 0; --d) {
        const int64_t i = rem % on[d];
        rem /= on[d];
        off += (i % shape[d]) * xs[d];
      }
      uint32_t *dst = o + r * inner;
      const uint32_t *src = x + off;
      for (int64_t k = 0; k < reps[R - 1]; ++k) std::memcpy(dst + k * xin, src, xin * 4);
    }
  }
  return c.undefined();
}

}  // namespace

void registerLayout(std::vector<Export> &out) {
  out.push_back({"transpose", wrap<transpose>});
  out.push_back({"tile", wrap<tile>});
}

}  // namespace ft
