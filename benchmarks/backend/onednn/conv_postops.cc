// Standalone oneDNN check behind the README's "BN folding is not shipped" note: does a convolution with bias and/or
// a ReLU post-op cost more than a plain one when its output buffer is no longer in cache?
//
// Six chained 3x3 convolutions (N=128, C=16, 32x32, NHWC, the layout ft-native uses) write into buffers that rotate
// over `nbuf` activations of 8 MB each: nbuf=2 keeps them in the 32 MB L3 of the benchmark machine, nbuf=7 (56 MB)
// does not. Prints the median time of the six convolutions over 20 repetitions per variant.
//
// Build and run (Debian: libdnnl-dev):
//   g++ -O2 -fopenmp benchmarks/backend/onednn/conv_postops.cc -o /tmp/conv_postops -ldnnl
//   OMP_NUM_THREADS=2 /tmp/conv_postops 2 && OMP_NUM_THREADS=2 /tmp/conv_postops 7
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

using namespace dnnl;
using tag = memory::format_tag;
using dt = memory::data_type;

int main(int argc, char **argv) {
  const int nbuf = argc > 1 ? std::max(2, std::atoi(argv[1])) : 2;
  const int N = 128, C = 16, H = 32, W = 32, convs = 6, reps = 20;
  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  const size_t n = static_cast<size_t>(N) * H * W * C;
  std::vector<std::vector<float>> bufs(nbuf, std::vector<float>(n));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (float &v : bufs[0]) v = normal(rng);
  std::vector<float> bias(C, 0.01f);
  const char *names[] = {"plain", "bias", "relu", "bias+relu"};
  for (int variant = 0; variant < 4; ++variant) {
    const bool hasBias = variant == 1 || variant == 3, relu = variant >= 2;
    const memory::desc act({N, C, H, W}, dt::f32, tag::nhwc), b({C}, dt::f32, tag::a);
    const memory::desc w({C, C, 3, 3}, dt::f32, tag::any);
    primitive_attr attr;
    post_ops po;
    if (relu) po.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(po);
    const auto desc = hasBias ? convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                                          act, w, b, act, {1, 1}, {1, 1}, {1, 1})
                              : convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                                          act, w, act, {1, 1}, {1, 1}, {1, 1});
    const convolution_forward::primitive_desc pd(desc, attr, eng);
    const convolution_forward conv(pd);
    memory weights(pd.weights_desc(), eng);
    float *wp = static_cast<float *>(weights.get_data_handle());
    for (size_t i = 0; i < pd.weights_desc().get_size() / sizeof(float); ++i) wp[i] = 0.12f * normal(rng);
    memory biasMem(b, eng, bias.data());
    std::vector<double> times;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int k = 0; k < convs; ++k) {
        memory src(act, eng, bufs[k % nbuf].data()), dst(act, eng, bufs[(k + 1) % nbuf].data());
        conv.execute(strm, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_BIAS, biasMem}, {DNNL_ARG_DST, dst}});
      }
      strm.wait();
      times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("nbuf %d (%zu MB)  %-9s  %.2f ms per %d convolutions  (%s)\n", nbuf, nbuf * n * sizeof(float) >> 20,
                names[variant], times[reps / 2], convs, pd.impl_info_str());
  }
  return 0;
}
