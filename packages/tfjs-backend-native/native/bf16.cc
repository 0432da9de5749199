// bf16 support of the opt-in reduced-precision mode (src/precision.ts):
// - toBf16(src Float32Array, dst Uint16Array): float -> bf16 (round to nearest even), the conversion of activations
//   before the bf16 convolutions and matmuls; the JS side caches its result per pooled buffer;
// - fromBf16(src Uint16Array, dst Float32Array): bf16 -> float (exact), for a bf16 convolution output read as float32;
// - bf16Support(): whether this CPU runs oneDNN's bf16 kernels natively (AVX512_BF16 or AMX-BF16, and oneDNN's
//   effective ISA includes them; without them oneDNN would emulate bf16, slower than fp32).
#include <oneapi/dnnl/dnnl.h>


#include "common.h"

namespace ft {

namespace {

FT_SIMD_CLONES void convertRange(const float *src, uint16_t *dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = toBf16Bits(src[i]);
}

FT_SIMD_CLONES void widenRange(const uint16_t *src, float *dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = fromBf16Bits(src[i]);
}

// fromBf16(src Uint16Array, dst Float32Array): dst[i] = float(src[i]) (exact) for i < src.length: a bf16 output
// (a convolution's in bf16 mode) read by a kernel that needs float32.
napi_value fromBf16(Ctx &c) {
  size_t ls, ld;
  const uint16_t *src = c.bf16(0, &ls);
  float *dst = c.f32(1, &ld);
  if (ld < ls) throw ArgError("fromBf16: dst is shorter than src");
  const int64_t n = static_cast<int64_t>(ls);
  parallelChunks(n, [&](int64_t b, int64_t e) { widenRange(src + b, dst + b, e - b); });
  return c.undefined();
}

// toBf16(src, dst): dst[i] = bf16(src[i]) for i < src.length.
napi_value toBf16(Ctx &c) {
  size_t ls, ld;
  const float *src = c.f32(0, &ls);
  uint16_t *dst = c.bf16(1, &ld);
  if (ld < ls) throw ArgError("toBf16: dst is shorter than src");
  f32ToBf16(src, dst, static_cast<int64_t>(ls));
  return c.undefined();
}

bool cpuHasBf16() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16");
#else
  return false;
#endif
}

// bf16Support() -> {cpu: boolean, onednn: boolean}
napi_value bf16Support(Ctx &c) {
  napi_value o;
  napi_create_object(c.env, &o);
  napi_value cpu, dnn;
  napi_get_boolean(c.env, cpuHasBf16(), &cpu);
  // oneDNN's ISA values are bit sets: an ISA with native bf16 (avx512_core_bf16, avx512_core_amx, ...) contains
  // every bit of avx512_core_bf16. DNNL_MAX_CPU_ISA can lower the effective ISA below the hardware's.
  const unsigned isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  const unsigned want = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_bf16);
  napi_get_boolean(c.env, (isa & want) == want, &dnn);
  napi_set_named_property(c.env, o, "cpu", cpu);
  napi_set_named_property(c.env, o, "onednn", dnn);
  return o;
}

}  // namespace

void f32ToBf16(const float *src, uint16_t *dst, int64_t n) {
  parallelChunks(n, [&](int64_t b, int64_t e) { convertRange(src + b, dst + b, e - b); });
}

void registerBf16(std::vector<Export> &out) {
  out.push_back({"toBf16", wrap<toBf16>});
  out.push_back({"fromBf16", wrap<fromBf16>});
  out.push_back({"bf16Support", wrap<bf16Support>});
}

}  // namespace ft
