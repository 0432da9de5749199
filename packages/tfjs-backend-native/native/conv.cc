// 2D convolutions (regular and depthwise) through oneDNN primitives: forward (with fused bias and activation
// post-op), backward-data and backward-weights.
//
// Layouts (perf.md "Layouts"):
// - activations stay NHWC and are passed zero-copy as format_tag::nhwc (a blocked layout would need a reorder at
//   every tfjs kernel boundary);
// - weights are tfjs' HWIO ([KH, KW, C, OC]; depthwise [KH, KW, C, M] with output channel c*M+m), described to
//   oneDNN with explicit strides; primitives get weights as format_tag::any and we reorder HWIO -> the
//   primitive's layout per call (a few microseconds for these sizes) and diff_weights back to HWIO.
// oneDNN 2.x vs 3.x: 3.0 removed the op descriptors (convolution_forward::desc) and the scale argument of
// post_ops::append_eltwise; both are guarded with DNNL_VERSION_MAJOR below. In both versions dilations are
// 0-based (tfjs dilation d -> d-1) and padding_r must be explicit:
//   padding_r = max(0, (OH-1)*SH + (KH-1)*DH + 1 - H - padding_t)   (same for width),
// clamped at 0 because a negative value is consistent with OH but rejected by some oneDNN implementations.
// Primitive descriptors are cached per geometry (creating one costs milliseconds).
//
// bf16 mode (src/precision.ts, convolutions with groups == 1 only): separate primitives (cache kinds 3-5) whose
// activations / output gradients are bf16 (converted by the JS side with toBf16, which caches the conversion per
// pooled buffer) and whose weights are bf16 in the primitive's layout, produced by the same index-map gather as
// fp32 with the float -> bf16 rounding fused into it; outputs (y, dx, dw) and bias stay f32, accumulation is f32
// inside oneDNN (brgconv / jit_bf16 on avx512_core_bf16). The forward may instead write y in bf16 (cache kind 6),
// for a convolution whose only reader is BatchNorm, and the backward-data dx in bf16 (cache kind 7) when a
// BatchNorm's backward is its reader. Cache kind 8 is the bf16 backward weights without AMX, the stall guard's
// alternative (StallGuard below). The fp32 primitives and functions are untouched.
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common.h"

namespace ft {
namespace {

using dnnl::algorithm;
using dnnl::engine;
using dnnl::memory;
using dnnl::primitive_attr;
using dnnl::prop_kind;
using dnnl::stream;
using tag = memory::format_tag;
using dt = memory::data_type;

engine &eng() {
  static engine e(engine::kind::cpu, 0);
  return e;
}
stream &strm() {
  static stream s(eng());
  return s;
}

/** Grows-only scratchpad shared by all primitives (calls are serialised on the JS thread). */
struct Scratch {
  std::unique_ptr<char[]> buf;
  size_t cap = 0;
  memory get(const memory::desc &md) {
    const size_t need = md.get_size();
    if (need > cap) {
      buf.reset(new char[need + 64]);
      cap = need;
    }
    return memory(md, eng(), buf.get());
  }
} scratch;

// Activation codes shared with src/kernels/conv-util.ts.
enum Act { kLinear = 0, kRelu = 1, kRelu6 = 2, kElu = 3, kLeaky = 4, kSigmoid = 5 };

/** Geometry of one convolution, from the JS side's Int32Array (see src/kernels/conv-util.ts). */
struct Geo {
  int N, H, W, C, OC, KH, KW, SH, SW, DH, DW, PT, PL, OH, OW, G;
  int PB, PR;
  static Geo from(const int32_t *p, size_t len) {
    if (len < 16) throw ArgError("conv params: expected 16 ints");
    Geo g{};
    int *f = &g.N;
    for (int i = 0; i < 16; ++i) f[i] = p[i];
    if (g.G != 1 && g.G != g.C) throw ArgError("conv params: groups must be 1 or C (depthwise)");
    if (g.OC % g.G != 0) throw ArgError("conv params: OC must be a multiple of groups");
    g.PB = std::max(0, (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1 - g.H - g.PT);
    g.PR = std::max(0, (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1 - g.W - g.PL);
    return g;
  }
  memory::dims strides() const { return {SH, SW}; }
  memory::dims dil() const { return {DH - 1, DW - 1}; }
  memory::dims padL() const { return {PT, PL}; }
  memory::dims padR() const { return {PB, PR}; }
  memory::desc src(dt t = dt::f32) const { return memory::desc({N, C, H, W}, t, tag::nhwc); }
  memory::desc dst(dt t = dt::f32) const { return memory::desc({N, OC, OH, OW}, t, tag::nhwc); }
  /** tfjs filter layout as a oneDNN descriptor with explicit strides. */
  memory::desc userWeights() const {
    if (G == 1) {
      // dims (O, I, KH, KW); memory is [KH][KW][I][O].
      return memory::desc({OC, C, KH, KW}, dt::f32, memory::dims{1, OC, (memory::dim)KW * C * OC, (memory::dim)C * OC});
    }
    const int M = OC / G;
    // dims (G, O=M, I=1, KH, KW); memory is [KH][KW][G][M].
    return memory::desc({G, M, 1, KH, KW}, dt::f32,
                        memory::dims{M, 1, (memory::dim)KH * KW * G * M, (memory::dim)KW * G * M, (memory::dim)G * M});
  }
  memory::desc anyWeights(dt t = dt::f32) const {
    if (G == 1) return memory::desc({OC, C, KH, KW}, t, tag::any);
    return memory::desc({G, OC / G, 1, KH, KW}, t, tag::any);
  }
};

struct Key {
  int kind;  // 0 fwd, 1 bwd data, 2 bwd weights; 3, 4, 5 the same in bf16; 6, 7 bf16 fwd / bwd data, bf16 output;
             // 8 (kBwdWeightsBf16NoAmx) bf16 bwd weights without AMX
  int g[16];
  int hasBias, act;
  float alpha;
  bool operator==(const Key &o) const {
    return kind == o.kind && std::memcmp(g, o.g, sizeof g) == 0 && hasBias == o.hasBias && act == o.act &&
           alpha == o.alpha;
  }
};
struct KeyHash {
  size_t operator()(const Key &k) const {
    size_t h = static_cast<size_t>(k.kind) * 1000003u;
    for (int v : k.g) h = (h ^ static_cast<size_t>(v)) * 1099511628211ull;
    h = (h ^ static_cast<size_t>(k.hasBias)) * 1099511628211ull;
    h = (h ^ static_cast<size_t>(k.act)) * 1099511628211ull;
    return h;
  }
};

primitive_attr makeAttr(int act, float alpha) {
  primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (act == kLinear) return attr;
  algorithm alg = algorithm::eltwise_relu;
  float a = 0.f, b = 0.f;
  switch (act) {
    case kRelu:
      break;
    case kRelu6:
      alg = algorithm::eltwise_clip;
      a = 0.f;
      b = 6.f;
      break;
    case kElu:
      alg = algorithm::eltwise_elu;
      a = 1.f;
      break;
    case kLeaky:
      a = alpha;
      break;
    case kSigmoid:
      alg = algorithm::eltwise_logistic;
      break;
    default:
      throw ArgError("conv: unknown activation code");
  }
  dnnl::post_ops po;
#if DNNL_VERSION_MAJOR >= 3
  po.append_eltwise(alg, a, b);
#else
  po.append_eltwise(1.f, alg, a, b);
#endif
  attr.set_post_ops(po);
  return attr;
}

using FwdPd = dnnl::convolution_forward::primitive_desc;
using BwdDPd = dnnl::convolution_backward_data::primitive_desc;
using BwdWPd = dnnl::convolution_backward_weights::primitive_desc;

/** bf16: src and weights bf16, bias f32, dst f32 or (dstBf16) bf16. */
FwdPd makeFwdPd(const Geo &g, bool bias, const primitive_attr &attr, bool bf16 = false, bool dstBf16 = false) {
  const memory::desc src = bf16 ? g.src(dt::bf16) : g.src(), w = bf16 ? g.anyWeights(dt::bf16) : g.anyWeights(),
                     dst = dstBf16 ? g.dst(dt::bf16) : g.dst();
  const memory::desc b({g.OC}, dt::f32, tag::a);
#if DNNL_VERSION_MAJOR >= 3
  if (bias)
    return FwdPd(eng(), prop_kind::forward_training, algorithm::convolution_direct, src, w, b, dst, g.strides(),
                 g.dil(), g.padL(), g.padR(), attr);
  return FwdPd(eng(), prop_kind::forward_training, algorithm::convolution_direct, src, w, dst, g.strides(), g.dil(),
               g.padL(), g.padR(), attr);
#else
  if (bias) {
    dnnl::convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct, src, w, b, dst,
                                      g.strides(), g.dil(), g.padL(), g.padR());
    return FwdPd(d, attr, eng());
  }
  dnnl::convolution_forward::desc d(prop_kind::forward_training, algorithm::convolution_direct, src, w, dst,
                                    g.strides(), g.dil(), g.padL(), g.padR());
  return FwdPd(d, attr, eng());
#endif
}

/** bf16: weights and diff_dst bf16, diff_src f32 or (srcBf16) bf16. */
BwdDPd makeBwdDataPd(const Geo &g, const FwdPd &hint, const primitive_attr &attr, bool bf16 = false,
                     bool srcBf16 = false) {
  const memory::desc w = bf16 ? g.anyWeights(dt::bf16) : g.anyWeights(), ddst = bf16 ? g.dst(dt::bf16) : g.dst(),
                     dsrc = srcBf16 ? g.src(dt::bf16) : g.src();
#if DNNL_VERSION_MAJOR >= 3
  return BwdDPd(eng(), algorithm::convolution_direct, dsrc, w, ddst, g.strides(), g.dil(), g.padL(), g.padR(), hint,
                attr);
#else
  dnnl::convolution_backward_data::desc d(algorithm::convolution_direct, dsrc, w, ddst, g.strides(), g.dil(),
                                          g.padL(), g.padR());
  return BwdDPd(d, attr, eng(), hint);
#endif
}

/** Cache kind of the bf16 backward weights without AMX (8 % 3 == 2: a backward weights; >= 3: bf16). */
constexpr int kBwdWeightsBf16NoAmx = 8;

/** True for oneDNN's AMX implementations ("jit:avx512_core_amx_bf16", "brgconv:avx512_core_amx_bf16", ...). */
bool isAmx(const char *implInfo) { return std::strstr(implInfo, "amx") != nullptr; }

/**
 * bf16: src and diff_dst bf16, diff_weights f32. avoidAmx: the first implementation oneDNN offers that does not use
 * AMX (the stall guard's alternative).
 */
BwdWPd makeBwdWeightsPd(const Geo &g, const FwdPd &hint, const primitive_attr &attr, bool bf16 = false,
                        bool avoidAmx = false) {
  const memory::desc src = bf16 ? g.src(dt::bf16) : g.src(), ddst = bf16 ? g.dst(dt::bf16) : g.dst();
#if DNNL_VERSION_MAJOR >= 3
  BwdWPd pd(eng(), algorithm::convolution_direct, src, g.anyWeights(), ddst, g.strides(), g.dil(), g.padL(), g.padR(),
            hint, attr);
#else
  dnnl::convolution_backward_weights::desc d(algorithm::convolution_direct, src, g.anyWeights(), ddst, g.strides(),
                                             g.dil(), g.padL(), g.padR());
  BwdWPd pd(d, attr, eng(), hint);
#endif
  if (avoidAmx) {
    while (isAmx(pd.impl_info_str()) && pd.next_impl()) {
    }
  }
  return pd;
}

/** One cached primitive plus what it needs to run on user (tfjs-layout) pointers. */
struct Entry {
  dnnl::primitive prim;
  memory::desc scratchMd;
  memory::desc userW, primW;  // weights (fwd, bwd data) or diff weights (bwd weights)
  bool reorder = false;
  // Weight layout changes go through a precomputed index map instead of a oneDNN reorder per call: oneDNN's
  // reorder from tfjs' HWIO to the blocked layouts the convolutions pick is its generic kernel (~0.05-0.1 ms for
  // 3x3x32x32, ~3 ms per ResNet-20 training step); a gather over a map is a few microseconds.
  // wMap[p] = 1 + the HWIO index of the element at position p of the primitive's layout, 0 for padding.
  std::vector<int32_t> wMap;
  dnnl::reorder wReorder;  // used instead when the map cannot be built (>= 2^24 weights)
  memory wBuf;             // weights in the primitive's layout (bf16 for the bf16 fwd / bwd-data primitives)
  bool bf16W = false;      // wBuf holds bf16: the gather converts while it copies
  std::string impl;
  bool amx = false;        // an AMX implementation (bf16 backward weights: watched by the stall guard)
  double fastestMs = 1e300;  // the fastest call so far (stall guard)
};

/** Exact float representation of indices needs < 2^24 elements. */
constexpr int64_t kMaxMapped = int64_t{1} << 24;

/**
 * The map of Entry::wMap, built by letting oneDNN reorder a buffer holding 1, 2, 3, ... (user layout) into the
 * primitive's layout once.
 */
std::vector<int32_t> buildWeightMap(const memory::desc &user, const memory::desc &prim) {
  const size_t nUser = user.get_size() / sizeof(float);
  const size_t nPrim = prim.get_size() / sizeof(float);
  std::vector<float> idx(nUser), out(nPrim, 0.f);
  for (size_t i = 0; i < nUser; ++i) idx[i] = static_cast<float>(i + 1);
  memory u(user, eng(), idx.data()), p(prim, eng(), out.data());
  dnnl::reorder(u, p).execute(strm(), u, p);
  strm().wait();
  std::vector<int32_t> map(nPrim);
  for (size_t i = 0; i < nPrim; ++i) map[i] = static_cast<int32_t>(out[i]);
  return map;
}

/** dst (primitive layout) = src (user layout) gathered through the map; padding gets 0. */
void gatherWeights(const std::vector<int32_t> &map, const float *src, float *dst) {
  const int64_t n = static_cast<int64_t>(map.size());
  const int32_t *m = map.data();
  for (int64_t p = 0; p < n; ++p) dst[p] = m[p] ? src[m[p] - 1] : 0.f;
}

/** The same gather with the float -> bf16 rounding fused in (bf16 mode's weights). */
void gatherWeightsBf16(const std::vector<int32_t> &map, const float *src, uint16_t *dst) {
  const int64_t n = static_cast<int64_t>(map.size());
  const int32_t *m = map.data();
  for (int64_t p = 0; p < n; ++p) dst[p] = m[p] ? toBf16Bits(src[m[p] - 1]) : uint16_t{0};
}

/** dst (user layout) = src (primitive layout) scattered through the map. */
void scatterWeights(const std::vector<int32_t> &map, const float *src, float *dst) {
  const int64_t n = static_cast<int64_t>(map.size());
  const int32_t *m = map.data();
  for (int64_t p = 0; p < n; ++p)
    if (m[p]) dst[m[p] - 1] = src[p];
}

std::mutex mu;  // calls come from the JS thread; the lock only guards against worker_threads misuse
std::unordered_map<Key, std::unique_ptr<Entry>, KeyHash> cache;
ConvCacheStats stats;
std::vector<std::string> implNames;

/**
 * Stall guard for oneDNN's AMX bf16 backward-weights kernel, which synchronises its threads with a spinning barrier.
 * With more runnable threads than cores (another training beside this one on the 2-core machine), single calls
 * stalled for 0.7-1.0 s instead of 1-6 ms: ResNet-20 trained at 24 images/s instead of ~350. A call that takes at
 * least `stallMs` (400) and `ratio` (20) times its layer's fastest call counts as a stall; the next `backoff`
 * backward-weights calls of every layer then run oneDNN's next implementation without AMX (avx512_core_bf16: it
 * never stalled there; idle, it is ~2x slower on ResNet-20's layers and more on some others). Each stall doubles
 * the back-off (256 calls up to 16384); a probe window of that many clean AMX calls resets it. Idle, calls took up to
 * 24 ms (garbage-collector pauses), and once one crossed the first threshold of 100 ms: the alternative then cost a
 * ResNet-20 on 28x28x1 2.5x in throughput for its 256 calls, hence 400 ms. FT_NATIVE_STALL_GUARD=0 turns it off.
 */
struct StallGuard {
  double stallMs = 400, ratio = 20;
  bool enabled = true;
  int64_t remaining = 0;  // calls left on the alternative
  int64_t backoff = kMinBackoff;
  int64_t clean = 0;  // AMX calls since the last stall
  static constexpr int64_t kMinBackoff = 256, kMaxBackoff = 16384;

  StallGuard() {
    const char *v = std::getenv("FT_NATIVE_STALL_GUARD");
    enabled = !(v != nullptr && std::strcmp(v, "0") == 0);
  }
  /** Back to AMX for every layer, with a fresh back-off (the thresholds stay). */
  void clearBackoff() {
    remaining = 0;
    backoff = kMinBackoff;
    clean = 0;
  }
  /** Whether this call should take the alternative (counts it down). */
  bool avoid() {
    if (!enabled || remaining <= 0) return false;
    --remaining;
    return true;
  }
  /** After an AMX call of `ms`: a stall starts a back-off. */
  void record(Entry &e, double ms) {
    const double fastest = e.fastestMs;
    if (ms < e.fastestMs) e.fastestMs = ms;
    if (enabled && ms >= stallMs && ms >= ratio * fastest) {
      ++stats.stalls;
      stats.stallMaxMs = std::max(stats.stallMaxMs, ms);
      remaining = backoff;
      backoff = std::min(backoff * 2, kMaxBackoff);
      clean = 0;
    } else if (++clean >= backoff) {
      backoff = kMinBackoff;
      clean = 0;
    }
  }
};
StallGuard guard;

std::string describe(const char *what, const Geo &g, const std::string &impl) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s N%d %dx%dx%d->%d k%dx%d s%dx%d g%d: %s", what, g.N, g.H, g.W, g.C, g.OC, g.KH,
                g.KW, g.SH, g.SW, g.G, impl.c_str());
  return buf;
}

Entry &getEntry(int kind, const Geo &g, const int32_t *p, bool bias, int act, float alpha) {
  Key k{};
  k.kind = kind;
  std::memcpy(k.g, p, sizeof k.g);
  k.hasBias = bias;
  k.act = act;
  k.alpha = act == kLeaky ? alpha : 0.f;
  auto it = cache.find(k);
  if (it != cache.end()) {
    ++stats.hits;
    return *it->second;
  }
  ++stats.misses;
  auto e = std::make_unique<Entry>();
  e->userW = g.userWeights();
  const bool bf16 = kind >= 3;
  const int base = kind % 3;
  const primitive_attr attr = makeAttr(base == 0 ? act : kLinear, k.alpha);
  if (base == 0) {
    FwdPd pd = makeFwdPd(g, bias, attr, bf16, kind == 6);
    e->prim = dnnl::convolution_forward(pd);
    e->scratchMd = pd.scratchpad_desc();
    e->primW = pd.weights_desc();
    e->impl = describe(kind == 6 ? "fwd_bf16_out" : bf16 ? "fwd_bf16" : "fwd", g, pd.impl_info_str());
  } else {
    const FwdPd hint = makeFwdPd(g, false, makeAttr(kLinear, 0.f), bf16);
    if (base == 1) {
      BwdDPd pd = makeBwdDataPd(g, hint, attr, bf16, kind == 7);
      e->prim = dnnl::convolution_backward_data(pd);
      e->scratchMd = pd.scratchpad_desc();
      e->primW = pd.weights_desc();
      e->impl = describe(kind == 7 ? "bwd_data_bf16_out" : bf16 ? "bwd_data_bf16" : "bwd_data", g, pd.impl_info_str());
    } else {
      BwdWPd pd = makeBwdWeightsPd(g, hint, attr, bf16, kind == kBwdWeightsBf16NoAmx);
      e->prim = dnnl::convolution_backward_weights(pd);
      e->scratchMd = pd.scratchpad_desc();
      e->primW = pd.diff_weights_desc();
      e->impl = describe(kind == kBwdWeightsBf16NoAmx ? "bwd_weights_bf16_no_amx"
                         : bf16                       ? "bwd_weights_bf16"
                                                      : "bwd_weights",
                         g, pd.impl_info_str());
      e->amx = isAmx(pd.impl_info_str());
    }
  }
  e->bf16W = bf16 && base != 2;
  e->reorder = !(e->primW == e->userW);
  if (e->reorder) {
    e->wBuf = memory(e->primW, eng());
    bool mapped = static_cast<int64_t>(e->userW.get_size() / sizeof(float)) < kMaxMapped;
#if DNNL_VERSION_MAJOR >= 3
    mapped = mapped && !e->bf16W;  // 3.x descriptors are opaque: bf16 weights go through the converting reorder
#endif
    if (mapped) {
      memory::desc primF32 = e->primW;
#if DNNL_VERSION_MAJOR < 3
      // The same blocked layout with f32 elements (layouts are in elements), to build the index map.
      if (e->bf16W) primF32.data.data_type = dnnl_f32;
#endif
      e->wMap = buildWeightMap(e->userW, primF32);
    } else {
      // fwd / bwd data: user -> primitive; bwd weights: primitive -> user. The reorder only needs descriptors.
      memory userMem(e->userW, eng(), nullptr);
      e->wReorder = base == 2 ? dnnl::reorder(e->wBuf, userMem) : dnnl::reorder(userMem, e->wBuf);
    }
  }
  implNames.push_back(e->impl);
  Entry &ref = *e;
  cache.emplace(k, std::move(e));
  stats.entries = static_cast<int64_t>(cache.size());
  return ref;
}

void run(Entry &e, std::unordered_map<int, memory> &args) {
  if (e.scratchMd.get_size() > 0) args.emplace(DNNL_ARG_SCRATCHPAD, scratch.get(e.scratchMd));
  e.prim.execute(strm(), args);
  strm().wait();
}

/** Weights (tfjs layout at `w`) in the primitive's layout, as the memory to pass as DNNL_ARG_WEIGHTS. */
memory weightsIn(Entry &e, float *w) {
  memory wu(e.userW, eng(), w);
  if (!e.reorder) return wu;
  if (!e.wMap.empty()) {
    if (e.bf16W)
      gatherWeightsBf16(e.wMap, w, static_cast<uint16_t *>(e.wBuf.get_data_handle()));
    else
      gatherWeights(e.wMap, w, static_cast<float *>(e.wBuf.get_data_handle()));
  } else {
    e.wReorder.execute(strm(), wu, e.wBuf);
  }
  return e.wBuf;
}

/** After a backward-weights run: the primitive's diff weights into the tfjs layout at `dw`. */
void weightsOut(Entry &e, float *dw) {
  if (!e.reorder) return;
  if (!e.wMap.empty()) {
    scatterWeights(e.wMap, static_cast<const float *>(e.wBuf.get_data_handle()), dw);
  } else {
    memory wu(e.userW, eng(), dw);
    e.wReorder.execute(strm(), e.wBuf, wu);
    strm().wait();
  }
}

void checkLen(size_t have, int64_t want, const char *what) {
  if (static_cast<int64_t>(have) < want) throw ArgError(std::string("conv: ") + what + " is too short for the geometry");
}

// convForward(x, w, bias|null, y, params Int32Array(16), act, alpha)
napi_value convForward(Ctx &c) {
  size_t lx, lw, lb, ly, lp;
  float *x = c.f32(0, &lx);
  float *w = c.f32(1, &lw);
  float *b = c.f32OrNull(2, &lb);
  float *y = c.f32(3, &ly);
  const int32_t *p = c.i32(4, &lp);
  const int act = static_cast<int>(c.num(5));
  const float alpha = static_cast<float>(c.num(6));
  const Geo g = Geo::from(p, lp);
  checkLen(lx, (int64_t)g.N * g.H * g.W * g.C, "x");
  checkLen(lw, (int64_t)g.KH * g.KW * (g.G == 1 ? (int64_t)g.C * g.OC : g.OC), "filter");
  checkLen(ly, (int64_t)g.N * g.OH * g.OW * g.OC, "y");
  if (b) checkLen(lb, g.OC, "bias");
  std::lock_guard<std::mutex> lock(mu);
  Entry &e = getEntry(0, g, p, b != nullptr, act, alpha);
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_SRC, memory(g.src(), eng(), x));
  args.emplace(DNNL_ARG_DST, memory(g.dst(), eng(), y));
  args.emplace(DNNL_ARG_WEIGHTS, weightsIn(e, w));
  if (b) args.emplace(DNNL_ARG_BIAS, memory(memory::desc({g.OC}, dt::f32, tag::a), eng(), b));
  run(e, args);
  return c.undefined();
}

// convBackwardData(dy, w, dx, params)
napi_value convBackwardData(Ctx &c) {
  size_t ldy, lw, ldx, lp;
  float *dy = c.f32(0, &ldy);
  float *w = c.f32(1, &lw);
  float *dx = c.f32(2, &ldx);
  const int32_t *p = c.i32(3, &lp);
  const Geo g = Geo::from(p, lp);
  checkLen(ldy, (int64_t)g.N * g.OH * g.OW * g.OC, "dy");
  checkLen(lw, (int64_t)g.KH * g.KW * (g.G == 1 ? (int64_t)g.C * g.OC : g.OC), "filter");
  checkLen(ldx, (int64_t)g.N * g.H * g.W * g.C, "dx");
  std::lock_guard<std::mutex> lock(mu);
  Entry &e = getEntry(1, g, p, false, kLinear, 0.f);
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), dy));
  args.emplace(DNNL_ARG_DIFF_SRC, memory(g.src(), eng(), dx));
  args.emplace(DNNL_ARG_WEIGHTS, weightsIn(e, w));
  run(e, args);
  return c.undefined();
}

// convBackwardWeights(x, dy, dw, params)
napi_value convBackwardWeights(Ctx &c) {
  size_t lx, ldy, ldw, lp;
  float *x = c.f32(0, &lx);
  float *dy = c.f32(1, &ldy);
  float *dw = c.f32(2, &ldw);
  const int32_t *p = c.i32(3, &lp);
  const Geo g = Geo::from(p, lp);
  checkLen(lx, (int64_t)g.N * g.H * g.W * g.C, "x");
  checkLen(ldy, (int64_t)g.N * g.OH * g.OW * g.OC, "dy");
  checkLen(ldw, (int64_t)g.KH * g.KW * (g.G == 1 ? g.C * g.OC : g.OC), "dw");
  std::lock_guard<std::mutex> lock(mu);
  Entry &e = getEntry(2, g, p, false, kLinear, 0.f);
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_SRC, memory(g.src(), eng(), x));
  args.emplace(DNNL_ARG_DIFF_DST, memory(g.dst(), eng(), dy));
  args.emplace(DNNL_ARG_DIFF_WEIGHTS, e.reorder ? e.wBuf : memory(e.userW, eng(), dw));
  run(e, args);
  weightsOut(e, dw);
  return c.undefined();
}

void checkDense(const Geo &g) {
  if (g.G != 1) throw ArgError("conv bf16: only groups == 1 (depthwise convolutions stay fp32)");
}

// convForwardBf16(x Uint16Array(bf16), w Float32Array, bias|null, y Float32Array|Uint16Array, params, act, alpha)
//
// y as a Uint16Array receives the output in bf16 (rounded once from oneDNN's f32 accumulator, after bias and
// activation): the output of a convolution followed by BatchNorm, which reads it in bf16.
napi_value convForwardBf16(Ctx &c) {
  size_t lx, lw, lb, ly, lp;
  uint16_t *x = c.bf16(0, &lx);
  float *w = c.f32(1, &lw);
  float *b = c.f32OrNull(2, &lb);
  bool yBf16;
  void *y = c.f32OrBf16(3, &ly, &yBf16);
  const int32_t *p = c.i32(4, &lp);
  const int act = static_cast<int>(c.num(5));
  const float alpha = static_cast<float>(c.num(6));
  const Geo g = Geo::from(p, lp);
  checkDense(g);
  checkLen(lx, (int64_t)g.N * g.H * g.W * g.C, "x");
  checkLen(lw, (int64_t)g.KH * g.KW * g.C * g.OC, "filter");
  checkLen(ly, (int64_t)g.N * g.OH * g.OW * g.OC, "y");
  if (b) checkLen(lb, g.OC, "bias");
  std::lock_guard<std::mutex> lock(mu);
  Entry &e = getEntry(yBf16 ? 6 : 3, g, p, b != nullptr, act, alpha);
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_SRC, memory(g.src(dt::bf16), eng(), x));
  args.emplace(DNNL_ARG_DST, memory(yBf16 ? g.dst(dt::bf16) : g.dst(), eng(), y));
  args.emplace(DNNL_ARG_WEIGHTS, weightsIn(e, w));
  if (b) args.emplace(DNNL_ARG_BIAS, memory(memory::desc({g.OC}, dt::f32, tag::a), eng(), b));
  run(e, args);
  return c.undefined();
}

// convBackwardDataBf16(dy Uint16Array(bf16), w Float32Array, dx Float32Array|Uint16Array, params)
//
// dx as a Uint16Array receives the input gradient in bf16 (read by a BatchNorm's backward).
napi_value convBackwardDataBf16(Ctx &c) {
  size_t ldy, lw, ldx, lp;
  uint16_t *dy = c.bf16(0, &ldy);
  float *w = c.f32(1, &lw);
  bool dxBf16;
  void *dx = c.f32OrBf16(2, &ldx, &dxBf16);
  const int32_t *p = c.i32(3, &lp);
  const Geo g = Geo::from(p, lp);
  checkDense(g);
  checkLen(ldy, (int64_t)g.N * g.OH * g.OW * g.OC, "dy");
  checkLen(lw, (int64_t)g.KH * g.KW * g.C * g.OC, "filter");
  checkLen(ldx, (int64_t)g.N * g.H * g.W * g.C, "dx");
  std::lock_guard<std::mutex> lock(mu);
  Entry &e = getEntry(dxBf16 ? 7 : 4, g, p, false, kLinear, 0.f);
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_DIFF_DST, memory(g.dst(dt::bf16), eng(), dy));
  args.emplace(DNNL_ARG_DIFF_SRC, memory(dxBf16 ? g.src(dt::bf16) : g.src(), eng(), dx));
  args.emplace(DNNL_ARG_WEIGHTS, weightsIn(e, w));
  run(e, args);
  return c.undefined();
}

// convBackwardWeightsBf16(x Uint16Array(bf16), dy Uint16Array(bf16), dw Float32Array, params)
napi_value convBackwardWeightsBf16(Ctx &c) {
  size_t lx, ldy, ldw, lp;
  uint16_t *x = c.bf16(0, &lx);
  uint16_t *dy = c.bf16(1, &ldy);
  float *dw = c.f32(2, &ldw);
  const int32_t *p = c.i32(3, &lp);
  const Geo g = Geo::from(p, lp);
  checkDense(g);
  checkLen(lx, (int64_t)g.N * g.H * g.W * g.C, "x");
  checkLen(ldy, (int64_t)g.N * g.OH * g.OW * g.OC, "dy");
  checkLen(ldw, (int64_t)g.KH * g.KW * g.C * g.OC, "dw");
  std::lock_guard<std::mutex> lock(mu);
  Entry &amx = getEntry(5, g, p, false, kLinear, 0.f);
  const bool watched = amx.amx;
  Entry &e = watched && guard.avoid() ? getEntry(kBwdWeightsBf16NoAmx, g, p, false, kLinear, 0.f) : amx;
  if (&e != &amx) ++stats.stallFallbacks;
  std::unordered_map<int, memory> args;
  args.emplace(DNNL_ARG_SRC, memory(g.src(dt::bf16), eng(), x));
  args.emplace(DNNL_ARG_DIFF_DST, memory(g.dst(dt::bf16), eng(), dy));
  args.emplace(DNNL_ARG_DIFF_WEIGHTS, e.reorder ? e.wBuf : memory(e.userW, eng(), dw));
  const auto t0 = std::chrono::steady_clock::now();
  run(e, args);
  if (&e == &amx && watched)
    guard.record(e, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  weightsOut(e, dw);
  return c.undefined();
}

}  // namespace

ConvCacheStats convCacheStats() {
  std::lock_guard<std::mutex> lock(mu);
  return stats;
}
std::vector<std::string> convImplNames() {
  std::lock_guard<std::mutex> lock(mu);
  return implNames;
}
void convCacheClear() {
  std::lock_guard<std::mutex> lock(mu);
  cache.clear();
  implNames.clear();
  stats = ConvCacheStats{};
  guard.clearBackoff();
}

// convStallGuard(stallMs, ratio): turn the stall guard on with these thresholds, keeping its state (tests use 0, 0 to
// make every AMX call a stall); a negative stallMs restores the defaults (FT_NATIVE_STALL_GUARD decides whether it is
// on) and clears the back-off. Returns undefined.
napi_value convStallGuard(Ctx &c) {
  const double stallMs = c.num(0), ratio = c.num(1);
  std::lock_guard<std::mutex> lock(mu);
  if (stallMs >= 0) {
    guard.enabled = true;
    guard.stallMs = stallMs;
    guard.ratio = ratio;
  } else {
    guard = StallGuard{};
  }
  return c.undefined();
}

void registerConv(std::vector<Export> &out) {
  out.push_back({"convStallGuard", wrap<convStallGuard>});
  out.push_back({"convForward", wrap<convForward>});
  out.push_back({"convBackwardData", wrap<convBackwardData>});
  out.push_back({"convBackwardWeights", wrap<convBackwardWeights>});
  out.push_back({"convForwardBf16", wrap<convForwardBf16>});
  out.push_back({"convBackwardDataBf16", wrap<convBackwardDataBf16>});
  out.push_back({"convBackwardWeightsBf16", wrap<convBackwardWeightsBf16>});
}

}  // namespace ft
