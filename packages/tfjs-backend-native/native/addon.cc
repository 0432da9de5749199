// Module init of the @ft/tfjs-backend-native addon, plus info() and thread control.
#include <oneapi/dnnl/dnnl.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common.h"

namespace ft {

int64_t kParallelMin = 1 << 15;

namespace {

void initParallelMin() {
  const char *policy = std::getenv("OMP_WAIT_POLICY");
  if (policy && (std::strcmp(policy, "passive") == 0 || std::strcmp(policy, "PASSIVE") == 0)) kParallelMin = 1 << 19;
  if (const char *v = std::getenv("FT_NATIVE_PARALLEL_MIN")) {
    const long long n = std::atoll(v);
    if (n > 0) kParallelMin = n;
  }
}

const char *isaName(dnnl_cpu_isa_t isa) {
  // Only names that exist with the same meaning in oneDNN 2.x and 3.x.
  switch (isa) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return nullptr;
  }
}

void setProp(napi_env env, napi_value obj, const char *key, napi_value v) { napi_set_named_property(env, obj, key, v); }

napi_value str(napi_env env, const std::string &s) {
  napi_value v;
  napi_create_string_utf8(env, s.c_str(), s.size(), &v);
  return v;
}

napi_value info(Ctx &c) {
  napi_env env = c.env;
  napi_value o;
  napi_create_object(env, &o);
  const dnnl_version_t *v = dnnl_version();
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d.%d.%d", v->major, v->minor, v->patch);
  setProp(env, o, "onednn", str(env, buf));
  std::snprintf(buf, sizeof buf, "%d.%d.%d", DNNL_VERSION_MAJOR, DNNL_VERSION_MINOR, DNNL_VERSION_PATCH);
  setProp(env, o, "onednnHeaders", str(env, buf));
  const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
  const char *name = isaName(isa);
  if (!name) {
    std::snprintf(buf, sizeof buf, "isa-0x%x", static_cast<unsigned>(isa));
    name = buf;
  }
  setProp(env, o, "isa", str(env, name));
  setProp(env, o, "threads", c.number(omp_get_max_threads()));
  setProp(env, o, "ompProcs", c.number(omp_get_num_procs()));
  setProp(env, o, "parallelMin", c.number(static_cast<double>(kParallelMin)));
  const ConvCacheStats s = convCacheStats();
  napi_value cache;
  napi_create_object(env, &cache);
  setProp(env, cache, "entries", c.number(static_cast<double>(s.entries)));
  setProp(env, cache, "hits", c.number(static_cast<double>(s.hits)));
  setProp(env, cache, "misses", c.number(static_cast<double>(s.misses)));
  setProp(env, cache, "stalls", c.number(static_cast<double>(s.stalls)));
  setProp(env, cache, "stallFallbacks", c.number(static_cast<double>(s.stallFallbacks)));
  setProp(env, cache, "stallMaxMs", c.number(s.stallMaxMs));
  setProp(env, o, "convCache", cache);
  const std::vector<std::string> impls = convImplNames();
  napi_value arr;
  napi_create_array_with_length(env, impls.size(), &arr);
  for (size_t i = 0; i < impls.size(); ++i) napi_set_element(env, arr, i, str(env, impls[i]));
  setProp(env, o, "convImpls", arr);
  return o;
}

napi_value setThreads(Ctx &c) {
  const int64_t n = c.int64(0);
  if (n < 1 || n > 1024) throw ArgError("setThreads(n): n must be in [1, 1024]");
  omp_set_num_threads(static_cast<int>(n));
  return c.undefined();
}

napi_value getThreads(Ctx &c) { return c.number(omp_get_max_threads()); }

napi_value clearCaches(Ctx &c) {
  convCacheClear();
  return c.undefined();
}

napi_value init(napi_env env, napi_value exports) {
  initParallelMin();
  std::vector<Export> fns = {
      {"info", wrap<info>},
      {"setThreads", wrap<setThreads>},
      {"getThreads", wrap<getThreads>},
      {"clearCaches", wrap<clearCaches>},
  };
  registerConv(fns);
  registerMatmul(fns);
  registerEltwise(fns);
  registerReduce(fns);
  registerLayout(fns);
  registerPool(fns);
  registerBatchnorm(fns);
  registerOptimizer(fns);
  registerBf16(fns);
  for (const Export &e : fns) {
    napi_value f;
    napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &f);
    napi_set_named_property(env, exports, e.name, f);
  }
  return exports;
}

}  // namespace
}  // namespace ft

NAPI_MODULE(NODE_GYP_MODULE_NAME, ft::init)
