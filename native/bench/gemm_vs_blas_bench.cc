// `convkit_bench sgemm-vs-blas LIBBLAS.so [--threads T] [--block-s S] [--rounds R] [M N K ...]`:
// convkit's sgemm against a BLAS library's cblas_sgemm (e.g. the OpenBLAS numpy and torch use,
// /usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so) in ONE process, in
// alternating blocks of calls (R rounds of S seconds each), minimum time per call.
//
// Why: on a shared machine the peers of /work/shared/bench run one after another, so a peer that
// happens to run in a quiet moment wins; alternating blocks within one process exposes both to
// the same load, and the minimum over many calls is the least disturbed run. Blocks rather than
// single calls, so neither library's thread pool (both spin for a while after a call) runs
// against the other's spinning workers more than once per block. Same data, row-major, alpha = 1,
// beta = 0. Default shapes: the shared cases' sgemm shapes.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "gemm/gemm.h"
#include "runtime/aligned.h"
#include "runtime/thread_pool.h"

using namespace convkit;

namespace {
// cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
// CblasRowMajor = 101, CblasNoTrans = 111 (cblas.h).
using CblasSgemm = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using SetThreads = void (*)(int);
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

int sgemm_vs_blas_bench(int argc, char** argv) {
  if (argc < 1) {
    std::fprintf(stderr, "usage: convkit_bench sgemm-vs-blas LIBBLAS.so [--threads T] [--block-s S] [--rounds R] [M N K ...]\n");
    return 2;
  }
  void* lib = dlopen(argv[0], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    std::fprintf(stderr, "sgemm-vs-blas: %s\n", dlerror());
    return 2;
  }
  auto blas = reinterpret_cast<CblasSgemm>(dlsym(lib, "cblas_sgemm"));
  auto set_blas_threads = reinterpret_cast<SetThreads>(dlsym(lib, "openblas_set_num_threads"));
  if (!blas) {
    std::fprintf(stderr, "sgemm-vs-blas: no cblas_sgemm in %s\n", argv[0]);
    return 2;
  }
  int threads = num_threads(), rounds = 6;
  double block = 0.25;
  std::vector<int> dims;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--block-s") && i + 1 < argc) block = std::atof(argv[++i]);
    else if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::atoi(argv[++i]);
    else dims.push_back(std::atoi(argv[i]));
  }
  if (dims.empty())
    dims = {64, 64, 64, 128, 128, 128, 256, 256, 256, 512, 512, 512, 1024, 1024, 1024, 2048, 2048, 2048,
            3136, 64, 576, 6272, 128, 1152, 50176, 32, 27};
  set_num_threads(threads);
  if (set_blas_threads) set_blas_threads(threads);
  std::printf("threads %d (blas: %s), %d rounds of %.2f s per library, min ms per call (GFLOPS)\n", threads,
              set_blas_threads ? "openblas_set_num_threads" : "its default", rounds, block);
  for (std::size_t s = 0; s + 2 < dims.size(); s += 3) {
    const int M = dims[s], N = dims[s + 1], K = dims[s + 2];
    auto A = aligned_array<float>(std::size_t(M) * K), B = aligned_array<float>(std::size_t(K) * N),
         C = aligned_array<float>(std::size_t(M) * N);
    for (std::size_t i = 0; i < std::size_t(M) * K; ++i) A[i] = float(i % 7) * 0.1f;
    for (std::size_t i = 0; i < std::size_t(K) * N; ++i) B[i] = float(i % 5) * 0.1f;
    double best[2] = {1e30, 1e30};
    for (int r = 0; r < rounds; ++r)
      for (int w = 0; w < 2; ++w) {
        const double end = now() + block;
        do {
          const double t0 = now();
          if (w == 0) sgemm(false, false, M, N, K, 1.f, A.get(), K, B.get(), N, 0.f, C.get(), N);
          else blas(101, 111, 111, M, N, K, 1.f, A.get(), K, B.get(), N, 0.f, C.get(), N);
          best[w] = std::min(best[w], now() - t0);
        } while (now() < end);
      }
    const double flops = 2.0 * M * N * K;
    std::printf("%6d x %5d x %5d: convkit %9.4f ms (%6.1f)  blas %9.4f ms (%6.1f)  convkit/blas speed %.2fx\n", M, N,
                K, best[0] * 1e3, flops / best[0] / 1e9, best[1] * 1e3, flops / best[1] / 1e9, best[1] / best[0]);
  }
  dlclose(lib);
  return 0;
}
