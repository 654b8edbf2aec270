// convkit_bench: native benchmark executable (no Node in the loop), for tuning kernels.
//
//   convkit_bench sgemm [M N K ...] [--ta] [--tb] [--reps-s 0.5]
//   convkit_bench sgemm-vs-blas LIBBLAS.so [--threads T] [--block-s S] [--rounds R] [M N K ...]
//                                                                  (gemm_vs_blas_bench.cc)
//   convkit_bench conv CASE [--algo A] [--pass fwd|dgrad|wgrad] [--reps-s 1]   (conv_bench.cc)
//
// Timing follows /work/shared/bench's protocol in spirit (warm-up, samples of >= 10 ms, median);
// the numbers to compare with peers come from `npm run bench` (lib/bench), which follows it exactly.
#include <cstdio>
#include <cstring>
#include <string>

int sgemm_bench(int argc, char** argv);
int conv_bench(int argc, char** argv);
int sgemm_vs_blas_bench(int argc, char** argv);

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "sgemm") == 0) return sgemm_bench(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "sgemm-vs-blas") == 0) return sgemm_vs_blas_bench(argc - 2, argv + 2);
  if (argc >= 2 && std::strcmp(argv[1], "conv") == 0) return conv_bench(argc - 2, argv + 2);
  std::fprintf(stderr, "usage: convkit_bench sgemm [M N K]... [--ta] [--tb] [--prepacked]\n");
  return 2;
}
