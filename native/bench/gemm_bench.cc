// `convkit_bench sgemm`: GFLOPS of sgemm on the given shapes (default: the shared cases' shapes).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "dispatch/cpu.h"
#include "gemm/gemm.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

using namespace convkit;

int sgemm_bench(int argc, char** argv) {
  bool ta = false, tb = false, prepacked = false;
  std::vector<std::size_t> dims;
  double target = 0.4;
  for (int i = 0; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--ta")) ta = true;
    else if (!std::strcmp(argv[i], "--tb")) tb = true;
    else if (!std::strcmp(argv[i], "--prepacked")) prepacked = true;  // B packed once (pack_b), sgemm_packed
    else if (!std::strcmp(argv[i], "--reps-s") && i + 1 < argc) target = std::atof(argv[++i]);
    else dims.push_back(std::strtoul(argv[i], nullptr, 10));
  }
  if (dims.empty())
    dims = {64, 64, 64, 128, 128, 128, 256, 256, 256, 512, 512, 512, 1024, 1024, 1024, 2048, 2048, 2048,
            3136, 64, 576, 6272, 128, 1152, 50176, 32, 27};
  std::printf("isa %s, threads %d\n", isa_name(active_isa()), num_threads());
  using clock = std::chrono::steady_clock;
  // Also the process CPU time per call: on a shared, loaded machine wall time includes the time
  // other processes had the cores; CPU-time GFLOPS are what the kernel achieves while running.
  auto cpu_now = [] {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
  };
  for (std::size_t s = 0; s + 2 < dims.size(); s += 3) {
    const std::size_t M = dims[s], N = dims[s + 1], K = dims[s + 2];
    auto A = aligned_array<float>(M * K), B = aligned_array<float>(K * N), C = aligned_array<float>(M * N);
    for (std::size_t i = 0; i < M * K; ++i) A[i] = float(i % 7) * 0.1f;
    for (std::size_t i = 0; i < K * N; ++i) B[i] = float(i % 5) * 0.1f;
    std::unique_ptr<PackedB> packed;
    if (prepacked) packed = pack_b(tb, K, N, B.get(), tb ? K : N);
    auto call = [&] {
      if (packed)
        sgemm_packed(ta, M, 1.f, A.get(), ta ? M : K, *packed, 0.f, C.get(), N);
      else
        sgemm(ta, tb, M, N, K, 1.f, A.get(), ta ? M : K, B.get(), tb ? K : N, 0.f, C.get(), N);
    };
    auto t0 = clock::now();
    int warm = 0;
    double dt = 0;
    do {
      auto a = clock::now();
      call();
      dt = std::chrono::duration<double>(clock::now() - a).count();
      ++warm;
    } while (warm < 2 || std::chrono::duration<double>(clock::now() - t0).count() < 0.2);
    const int inner = std::max(1, int(0.01 / dt + 0.999));
    const int samples = std::clamp(int(target / (inner * dt)), 5, 30);
    std::vector<double> t(samples), tc(samples);
    for (int k = 0; k < samples; ++k) {
      auto a = clock::now();
      const double c0 = cpu_now();
      for (int r = 0; r < inner; ++r) call();
      tc[k] = (cpu_now() - c0) / inner;
      t[k] = std::chrono::duration<double>(clock::now() - a).count() / inner;
    }
    std::sort(tc.begin(), tc.end());
    std::sort(t.begin(), t.end());
    const double med = t[samples / 2], flops = 2.0 * M * N * K;
    std::printf("%6zu x %5zu x %5zu: median %9.4f ms (%6.1f GFLOPS)  min %9.4f ms (%6.1f)  cpu-time/thread %6.1f GFLOPS\n",
                M, N, K, med * 1e3, flops / med / 1e9, t[0] * 1e3, flops / t[0] / 1e9,
                flops / (tc[samples / 2] / num_threads()) / 1e9);
  }
  return 0;
}
