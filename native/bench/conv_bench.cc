// `convkit_bench conv CASE [--algo NAME] [--pass fwd|dgrad|wgrad] [--reps-s S] [--dw-stream-min-bytes B] [--op 1]`: one benchmark
// case of the convolution engine without Node in the loop, for tuning kernels (A/B runs compare
// minima; the figures to report come from `npm run bench`). CASE is one of the shared conv cases
// (stem, alexnet, vgg, resnet, resnet1x1, large, dilated, depthwise, lenet, cifar) or a spec
// "N,H,W,C,K,kh,kw,stride,pad,dil,groups" (symmetric padding).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "conv/conv.h"
#include "conv/conv_depthwise.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

namespace {

struct Spec {
  const char* name;
  int N, H, W, C, K, kh, kw, s, pad, dil, groups;
};
const Spec kSpecs[] = {
    {"stem", 8, 224, 224, 3, 64, 7, 7, 2, 3, 1, 1},      {"alexnet", 8, 227, 227, 3, 96, 11, 11, 4, 0, 1, 1},
    {"vgg", 8, 56, 56, 64, 64, 3, 3, 1, 1, 1, 1},        {"resnet", 8, 28, 28, 128, 128, 3, 3, 1, 1, 1, 1},
    {"resnet1x1", 8, 14, 14, 256, 1024, 1, 1, 1, 0, 1, 1}, {"large", 4, 64, 64, 32, 32, 11, 11, 1, 5, 1, 1},
    {"dilated", 8, 28, 28, 128, 128, 3, 3, 1, 2, 2, 1},  {"depthwise", 8, 56, 56, 128, 128, 3, 3, 1, 1, 1, 128},
    {"lenet", 64, 28, 28, 1, 6, 5, 5, 1, 2, 1, 1},       {"cifar", 32, 32, 32, 3, 6, 5, 5, 1, 2, 1, 1},
};

}  // namespace

int conv_bench(int argc, char** argv) {
  using namespace convkit;
  if (argc < 1) {
    std::fprintf(stderr, "usage: convkit_bench conv CASE|N,H,W,C,K,kh,kw,s,pad,dil,groups [--algo A] [--pass fwd|dgrad|wgrad]\n");
    return 2;
  }
  Spec sp{};
  bool found = false;
  for (const Spec& s : kSpecs)
    if (std::strcmp(s.name, argv[0]) == 0) sp = s, found = true;
  if (!found) {
    sp.name = argv[0];
    if (std::sscanf(argv[0], "%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d", &sp.N, &sp.H, &sp.W, &sp.C, &sp.K, &sp.kh, &sp.kw,
                    &sp.s, &sp.pad, &sp.dil, &sp.groups) != 11) {
      std::fprintf(stderr, "conv bench: unknown case %s\n", argv[0]);
      return 2;
    }
  }
  std::string algo = "auto", pass = "fwd";
  double reps_s = 1.0;
  bool op_mode = false;  // --op 1: forward through a prepared ConvOp (filter transforms cached, as in inference)
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--algo")) algo = argv[i + 1];
    else if (!std::strcmp(argv[i], "--pass")) pass = argv[i + 1];
    else if (!std::strcmp(argv[i], "--reps-s")) reps_s = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--op")) op_mode = std::atoi(argv[i + 1]) != 0;
    else if (!std::strcmp(argv[i], "--dw-stream-min-bytes")) set_depthwise_stream_min_bytes(std::strtoull(argv[i + 1], nullptr, 10));
  }
  ConvDesc d;
  d.N = sp.N, d.C = sp.C, d.K = sp.K, d.in = {1, (std::size_t)sp.H, (std::size_t)sp.W};
  d.kernel = {1, (std::size_t)sp.kh, (std::size_t)sp.kw};
  d.stride = {1, (std::size_t)sp.s, (std::size_t)sp.s};
  d.dilation = {1, (std::size_t)sp.dil, (std::size_t)sp.dil};
  d.pad_before = {0, (std::size_t)sp.pad, (std::size_t)sp.pad};
  d.pad_after = d.pad_before;
  d.groups = sp.groups;
  d.finalize();
  ConvAlgorithm a;
  if (!parse_conv_algorithm(algo, &a)) {
    std::fprintf(stderr, "conv bench: unknown algorithm %s\n", algo.c_str());
    return 2;
  }
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.f, 1.f);
  // 64-byte aligned like the library's tensors (misaligned weight rows would split every vector load).
  AlignedPtr<float> x = aligned_array<float>(d.input_size()), w = aligned_array<float>(d.filter_size()),
                    y = aligned_array<float>(d.output_size()), db = aligned_array<float>(d.K);
  for (std::size_t i = 0; i < d.input_size(); ++i) x.get()[i] = nd(rng);
  for (std::size_t i = 0; i < d.filter_size(); ++i) w.get()[i] = nd(rng);
  for (std::size_t i = 0; i < d.output_size(); ++i) y.get()[i] = nd(rng);
  std::unique_ptr<ConvOp> op;
  AlignedPtr<float> ws;
  if (op_mode) {
    if (pass != "fwd") {
      std::fprintf(stderr, "conv bench: --op 1 runs the forward pass only\n");
      return 2;
    }
    op = std::make_unique<ConvOp>(d, w.get(), nullptr, a);
    ws = aligned_array<float>(std::max<std::size_t>(op->workspace_floats(), 1));
  }
  auto once = [&]() -> ConvAlgorithm {
    if (op) {
      op->run(x.get(), y.get(), ws.get());
      return op->algorithm();
    }
    if (pass == "fwd") return conv_forward(d, a, x.get(), w.get(), nullptr, y.get());
    if (pass == "dgrad") return conv_dgrad(d, a, y.get(), w.get(), x.get());
    return conv_wgrad(d, a, x.get(), y.get(), w.get(), db.get());
  };
  ConvAlgorithm ran = once();
  // Also the calling thread's CPU time per call: with one thread it is the whole call's, and on a
  // shared machine it leaves out the time other processes held the core (not their cache traffic).
  auto thread_cpu = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
  };
  double best = 1e300, best_cpu = 1e300;
  std::vector<double> times;  // per call, for the median and the 90th percentile (the spread the peer bench's medians see)
  auto t_end = std::chrono::steady_clock::now() + std::chrono::duration<double>(reps_s);
  int reps = 0;
  while (reps < 3 || std::chrono::steady_clock::now() < t_end) {
    const double c0 = thread_cpu();
    auto t0 = std::chrono::steady_clock::now();
    once();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    best = std::min(best, times.back());
    best_cpu = std::min(best_cpu, thread_cpu() - c0);
    ++reps;
  }
  std::sort(times.begin(), times.end());
  std::printf("%s %s %s(%s) threads=%d: min %.3f ms (%.1f GFLOPS) over %d reps; median %.3f, p90 %.3f; caller CPU min %.3f ms\n",
              sp.name, pass.c_str(), algo.c_str(), conv_algorithm_name(ran), num_threads(), best * 1e3,
              d.flops() / best * 1e-9, reps, times[times.size() / 2] * 1e3, times[times.size() * 9 / 10] * 1e3,
              best_cpu * 1e3);
  return 0;
}
