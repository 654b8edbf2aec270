// SGEMM against a double-precision reference, on every ISA the machine has.
//
// Error bound checked (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.5:
// a float dot product of length K, in any summation order and with or without FMA, has
// |fl(x.y) - x.y| <= gamma_K * sum|x_k||y_k|, gamma_K = K*u/(1 - K*u), u = 2^-24):
//
//   |C - C_ref| <= 2 * (K + 3) * u * S + A_act,    S = |alpha| sum_k |a_ik||b_kj| + |beta||c_ij| + |bias_j|
//
// (K + 3: the K products, the alpha scaling, beta*C and the bias; factor 2 for gamma's
// denominator and slack) plus, with an activation, A_act = 8u|ref| + 2u for the activation's own
// rounding (the activations are 1-Lipschitz, so the pre-activation error carries over unchanged).
//
// Coverage:
//  - the full cube M, N, K in 1..70 for all four transpose combinations on every ISA, once with
//    the automatic packing choice and once with both operands packed (the in-place A/B paths and
//    the packed paths); the reference for the cube comes from prefix sums over K of one 70x70x70
//    product, so it costs nothing per shape; C is NaN-filled (beta = 0 must not propagate NaN)
//    and has sentinels past N in each row (ldc > N) and after the last row;
//  - larger odd shapes (up to 600, plus M > MC, N > NC and K > KC crossings) x all transposes;
//  - alpha/beta variants, lda/ldb/ldc larger than minimal, every epilogue (bias x activation)
//    with K spanning several K blocks, pack_b/sgemm_packed (including a repack after an ISA
//    change), the strided batched form, 1 and 2 threads, argument validation;
//  - the blocking edges of each ISA's configuration (K around KC, M around MC and the thread
//    split's strip thresholds), and the split of a large C into independent column parts.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "gemm/gemm.h"
#include "gemm/gemm_config.h"
#include "gemm/gemm_driver.h"
#include "runtime/errors.h"
#include "runtime/thread_pool.h"
#include "tests/test_util.h"

using namespace convkit;
using convkit::test::random_vector;

namespace {

constexpr double kU = 1.0 / (1 << 24);
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
const float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kSentinel = 12345.f;

double act_ref(double x, Activation act, double leaky) {
  switch (act) {
    case Activation::none: return x;
    case Activation::relu: return x > 0 ? x : 0;
    case Activation::relu6: return std::min(std::max(x, 0.0), 6.0);
    case Activation::leaky_relu: return x < 0 ? x * leaky : x;
    case Activation::sigmoid: return 1 / (1 + std::exp(-x));
    case Activation::tanh: return std::tanh(x);
  }
  return x;
}

// A general check: builds op(A), op(B), runs sgemm (or a variant through `run`), compares.
struct Case {
  bool ta = false, tb = false;
  std::size_t M = 1, N = 1, K = 1;
  float alpha = 1.f, beta = 0.f;
  std::size_t pad_a = 0, pad_b = 0, pad_c = 0;  // extra leading-dimension elements
  bool bias = false;
  Activation act = Activation::none;
  float leaky = 0.1f;
};

// An M x N x K case with the transposes of bit pattern t (bit 0: A, bit 1: B), defaults otherwise.
Case shape_case(const std::size_t (&s)[3], int t) {
  Case c;
  c.ta = t & 1;
  c.tb = t & 2;
  c.M = s[0];
  c.N = s[1];
  c.K = s[2];
  return c;
}

enum class Path { plain, packed, batched };

void check_case(const Case& c, Path path = Path::plain, unsigned seed = 1) {
  const std::size_t M = c.M, N = c.N, K = c.K;
  const std::size_t lda = (c.ta ? M : K) + c.pad_a, ldb = (c.tb ? K : N) + c.pad_b, ldc = N + c.pad_c;
  const std::size_t batch = path == Path::batched ? 3 : 1;
  const std::size_t sa = (c.ta ? K : M) * lda + 5, sb = (c.tb ? N : K) * ldb + 3, sc = M * ldc + 7;
  std::vector<float> A = random_vector(sa * batch, seed), B = random_vector(sb * batch, seed + 1);
  std::vector<float> bias = random_vector(N, seed + 2, -2.f, 2.f);
  std::vector<float> C0 = random_vector(sc * batch, seed + 3);
  std::vector<float> C = C0;
  if (c.beta == 0.f)
    for (std::size_t i = 0; i < C.size(); ++i) C[i] = kNaN;
  // Sentinels in the padding (columns N..ldc-1, and the gap between batch items).
  for (std::size_t b = 0; b < batch; ++b)
    for (std::size_t i = 0; i < sc; ++i)
      if (i >= M * ldc || i % ldc >= N) C[b * sc + i] = kSentinel;
  std::vector<float> Cin = C;

  GemmEpilogue epi;
  epi.bias = c.bias ? bias.data() : nullptr;
  epi.act = c.act;
  epi.leaky_alpha = c.leaky;
  const GemmEpilogue* ep = (c.bias || c.act != Activation::none) ? &epi : nullptr;

  if (path == Path::plain) {
    sgemm(c.ta, c.tb, M, N, K, c.alpha, A.data(), lda, B.data(), ldb, c.beta, C.data(), ldc, ep);
  } else if (path == Path::packed) {
    auto pb = pack_b(c.tb, K, N, B.data(), ldb);
    CK_CHECK(pb->K() == K && pb->N() == N);
    sgemm_packed(c.ta, M, c.alpha, A.data(), lda, *pb, c.beta, C.data(), ldc, ep);
  } else {
    sgemm_strided_batched(c.ta, c.tb, M, N, K, c.alpha, A.data(), lda, sa, B.data(), ldb, sb, c.beta, C.data(), ldc,
                          sc, batch, ep);
  }

  double worst = 0;
  std::size_t bad_i = 0, bad_j = 0;
  bool sentinel_ok = true;
  for (std::size_t b = 0; b < batch; ++b) {
    const float* a = A.data() + b * sa;
    const float* bb = B.data() + b * sb;
    for (std::size_t i = 0; i < M; ++i)
      for (std::size_t j = 0; j < N; ++j) {
        double s = 0, sabs = 0;
        for (std::size_t k = 0; k < K; ++k) {
          const double x = c.ta ? a[k * lda + i] : a[i * lda + k];
          const double y = c.tb ? bb[j * ldb + k] : bb[k * ldb + j];
          s += x * y;
          sabs += std::fabs(x * y);
        }
        double pre = c.alpha * s, bound_s = std::fabs(c.alpha) * sabs;
        if (c.beta != 0.f) {
          pre += double(c.beta) * C0[b * sc + i * ldc + j];
          bound_s += std::fabs(c.beta * C0[b * sc + i * ldc + j]);
        }
        if (c.bias) {
          pre += bias[j];
          bound_s += std::fabs(bias[j]);
        }
        const double ref = act_ref(pre, c.act, c.leaky);
        double tol = 2 * (K + 3) * kU * bound_s + 1e-30;
        if (c.act != Activation::none) tol += 8 * kU * std::fabs(ref) + 2 * kU;
        const double got = C[b * sc + i * ldc + j];
        const double e = std::fabs(got - ref) / tol;
        if (!(e <= worst)) {
          worst = e;
          bad_i = i;
          bad_j = j;
        }
      }
    for (std::size_t i = 0; i < sc; ++i)
      if (i >= M * ldc || i % ldc >= N) sentinel_ok &= C[b * sc + i] == Cin[b * sc + i];
  }
  CK_CHECK_MSG(worst <= 1.0, "ta=%d tb=%d M=%zu N=%zu K=%zu alpha=%g beta=%g pads=%zu/%zu/%zu bias=%d act=%d path=%d: "
               "error/bound = %g at (%zu,%zu)",
               c.ta, c.tb, M, N, K, c.alpha, c.beta, c.pad_a, c.pad_b, c.pad_c, c.bias, int(c.act), int(path), worst,
               bad_i, bad_j);
  CK_CHECK_MSG(sentinel_ok, "write outside C: M=%zu N=%zu K=%zu ldc=%zu path=%d", M, N, K, ldc, int(path));
}

// The full 1..70 cube for one transpose combination: one set of operands (leading dimension 70
// in every layout), the reference C_K = sum_{k<K} op(A)[:,k] op(B)[k,:] as prefix sums over K.
void check_cube(bool ta, bool tb, unsigned seed, bool all_k) {
  constexpr std::size_t L = 70, LDC = L + 3;
  std::vector<float> A = random_vector(L * L, seed), B = random_vector(L * L, seed + 1);
  auto opa = [&](std::size_t i, std::size_t k) { return double(ta ? A[k * L + i] : A[i * L + k]); };
  auto opb = [&](std::size_t k, std::size_t j) { return double(tb ? B[j * L + k] : B[k * L + j]); };
  // pre[K][i][j] = sum_{k<K} a_ik b_kj and the same of |a_ik b_kj|, K = 1..70.
  std::vector<double> pre((L + 1) * L * L, 0.0), pabs((L + 1) * L * L, 0.0);
  for (std::size_t k = 0; k < L; ++k)
    for (std::size_t i = 0; i < L; ++i)
      for (std::size_t j = 0; j < L; ++j) {
        const double p = opa(i, k) * opb(k, j);
        pre[(k + 1) * L * L + i * L + j] = pre[k * L * L + i * L + j] + p;
        pabs[(k + 1) * L * L + i * L + j] = pabs[k * L * L + i * L + j] + std::fabs(p);
      }
  std::vector<float> C(L * LDC + 8);
  int failures = 0;
  // Sampled K: the K loop is one code path for every K < KC, so the edges that matter are M and N
  // (always all of 1..70); these K cover 1, the unroll remainder, MR/NR-ish values and 70.
  static const std::size_t k_sampled[] = {1, 2, 5, 16, 17, 70};
  std::vector<std::size_t> ks;
  if (all_k)
    for (std::size_t K = 1; K <= L; ++K) ks.push_back(K);
  else
    ks.assign(std::begin(k_sampled), std::end(k_sampled));
  std::fill(C.begin(), C.end(), kSentinel);
  for (std::size_t M = 1; M <= L; ++M)
    for (std::size_t N = 1; N <= L; ++N)
      for (std::size_t K : ks) {
        for (std::size_t i = 0; i < M; ++i) std::fill(&C[i * LDC], &C[i * LDC + LDC], kSentinel);
        for (std::size_t i = 0; i < M; ++i)
          for (std::size_t j = 0; j < N; ++j) C[i * LDC + j] = kNaN;
        sgemm(ta, tb, M, N, K, 1.f, A.data(), L, B.data(), L, 0.f, C.data(), LDC);
        bool ok = true;
        for (std::size_t i = 0; i < M && ok; ++i) {
          const double* r = &pre[K * L * L + i * L];
          const double* s = &pabs[K * L * L + i * L];
          for (std::size_t j = 0; j < N; ++j) {
            const double tol = 2 * (K + 3) * kU * s[j] + 1e-30;
            if (!(std::fabs(C[i * LDC + j] - r[j]) <= tol)) ok = false;
          }
          for (std::size_t j = N; j < LDC; ++j) ok &= C[i * LDC + j] == kSentinel;
        }
        for (std::size_t x = M * LDC; x < M * LDC + LDC && x < C.size(); ++x) ok &= C[x] == kSentinel;
        if (!ok && ++failures <= 5)
          CK_CHECK_MSG(ok, "cube ta=%d tb=%d M=%zu N=%zu K=%zu out of bound or wrote outside C", ta, tb, M, N, K);
      }
  CK_CHECK_MSG(failures == 0, "cube ta=%d tb=%d: %d shapes failed", ta, tb, failures);
}

void check_arguments() {
  std::vector<float> a(100), b(100), c(100);
  auto throws = [&](auto fn) {
    try {
      fn();
    } catch (const InvalidArgument&) {
      return true;
    }
    return false;
  };
  CK_CHECK(throws([&] { sgemm(false, false, 4, 4, 4, 1, a.data(), 3, b.data(), 4, 0, c.data(), 4); }));
  CK_CHECK(throws([&] { sgemm(false, true, 4, 4, 4, 1, a.data(), 4, b.data(), 3, 0, c.data(), 4); }));
  CK_CHECK(throws([&] { sgemm(false, false, 4, 4, 4, 1, a.data(), 4, b.data(), 4, 0, c.data(), 3); }));
  CK_CHECK(throws([&] { sgemm(false, false, 4, 4, 4, 1, nullptr, 4, b.data(), 4, 0, c.data(), 4); }));
  CK_CHECK(throws([&] { pack_b(false, 0, 4, b.data(), 4); }));
  // K = 0: C = beta*C, then the epilogue.
  std::vector<float> c2 = {1, 2, 3, 4};
  float bias[2] = {10, 20};
  GemmEpilogue e;
  e.bias = bias;
  sgemm(false, false, 2, 2, 0, 1, nullptr, 0, nullptr, 0, 0.5f, c2.data(), 2, &e);
  CK_CHECK(c2[0] == 10.5f && c2[1] == 21.f && c2[2] == 11.5f && c2[3] == 22.f);
}

// The packed layouts themselves (microkernel.h), element by element against their definition, for
// this ISA's routines (the AVX-512 row-major A packing is a register transpose with tails in both
// directions): A panel p holds op(A)(p*MR + i, k) at [p*MR*kc + k*MR + i], B panel q holds
// op(B)(k, q*NR + j) at [q*kc*NR + k*NR + j], zero past the edges.
void check_packing(Isa isa) {
  const auto& g = gemm::gemm_config(isa);
  const std::size_t MR = g.mr, NR = g.nr;
  for (bool trans : {false, true})
    for (std::size_t m : {std::size_t(1), MR - 1, MR, MR + 1, 2 * MR + 3, std::size_t(45)})
      for (std::size_t k : {1, 7, 15, 16, 17, 31, 33, 70}) {
        // A: rows of op(A) are m x k; B: op(B) is k x m (m plays N).
        const std::size_t ld = (trans ? m : k) + 3, ldb = (trans ? k : m) + 5;
        std::vector<float> a = random_vector((trans ? k : m) * ld, 7 + m * 100 + k);
        std::vector<float> b = random_vector((trans ? m : k) * ldb, 9 + m * 100 + k);
        const std::size_t pm = (m + MR - 1) / MR, pn = (m + NR - 1) / NR;
        std::vector<float> pa(pm * MR * k + 16, kNaN), pb(pn * NR * k + 16, kNaN);
        g.pack_a(trans, m, k, a.data(), ld, pa.data());
        g.pack_b(trans, k, m, b.data(), ldb, pb.data());
        bool ok = true;
        for (std::size_t p = 0; p < pm; ++p)
          for (std::size_t kk = 0; kk < k; ++kk)
            for (std::size_t i = 0; i < MR; ++i) {
              const std::size_t r = p * MR + i;
              const float want = r < m ? (trans ? a[kk * ld + r] : a[r * ld + kk]) : 0.f;
              ok &= pa[p * MR * k + kk * MR + i] == want;
            }
        for (std::size_t q = 0; q < pn; ++q)
          for (std::size_t kk = 0; kk < k; ++kk)
            for (std::size_t j = 0; j < NR; ++j) {
              const std::size_t c = q * NR + j;
              const float want = c < m ? (trans ? b[c * ldb + kk] : b[kk * ldb + c]) : 0.f;
              ok &= pb[q * NR * k + kk * NR + j] == want;
            }
        for (std::size_t t = pm * MR * k; t < pa.size(); ++t) ok &= std::isnan(pa[t]);  // no write past the panels
        for (std::size_t t = pn * NR * k; t < pb.size(); ++t) ok &= std::isnan(pb[t]);
        CK_CHECK_MSG(ok, "%s packing trans=%d m=%zu k=%zu\n", g.name, int(trans), m, k);
      }
}

void run_isa(Isa isa) {
  check_packing(isa);
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  // 1. M, N in 1..70 x every transpose x (automatic packing, everything packed). K: every K in
  // 1..70 for A*B with automatic packing on the SIMD ISAs (the full 70^3 cube, 343,000 products),
  // sampled K otherwise: the scalar kernel's full cube alone takes ~15 s, and under the sanitizers
  // (CI's test:asan) every cube is sampled.
  for (int mode : {-1, 3}) {
    gemm::set_pack_override(mode);
    for (int t = 0; t < 4; ++t)
      check_cube(t & 1, t & 2, 100 + t, !kSanitized && mode == -1 && t == 0 && isa != Isa::scalar);
  }
  gemm::set_pack_override(-1);
  auto t1 = clock::now();

  // 2. Larger odd shapes, all transposes; some cross MC (M > 1358), NC (N > 4096), KC (K > 384).
  const std::size_t shapes[][3] = {{1, 600, 37},   {599, 1, 513},  {257, 263, 601}, {129, 77, 385},
                                   {600, 97, 600}, {71, 599, 129}, {3001, 33, 40},  {3, 4200, 5},
                                   {200, 200, 1},  {1, 1, 600},    {345, 67, 211}};
  for (auto& s : shapes)
    for (int t = 0; t < 4; ++t) check_case(shape_case(s, t), Path::plain, unsigned(s[0] + s[1] + s[2] + t));
  // Forced in-place and packed operands on a multi-block shape.
  for (int mode : {0, 1, 2, 3}) {
    gemm::set_pack_override(mode);
    Case c;
    c.M = 301;
    c.N = 133;
    c.K = 417;
    c.pad_a = 3;
    c.pad_b = 5;
    c.pad_c = 1;
    check_case(c);
    c.ta = true;
    check_case(c);
  }
  gemm::set_pack_override(-1);

  // 3. alpha/beta and leading dimensions.
  for (float alpha : {1.f, -0.5f, 0.f})
    for (float beta : {0.f, 1.f, 0.75f})
      for (int t = 0; t < 4; ++t) {
        Case c;
        c.ta = t & 1;
        c.tb = t & 2;
        c.M = 37;
        c.N = 45;
        c.K = 53;
        c.alpha = alpha;
        c.beta = beta;
        c.pad_a = 7;
        c.pad_b = 2;
        c.pad_c = 9;
        check_case(c);
        c.M = 150;
        c.N = 70;
        c.K = 400;
        check_case(c);
      }

  // 4. Epilogues: every activation, with and without bias, K over several K blocks, beta != 0.
  for (int a = 0; a <= 5; ++a)
    for (bool bias : {false, true}) {
      Case c;
      c.M = 33;
      c.N = 47;
      c.K = 900;
      c.bias = bias;
      c.act = static_cast<Activation>(a);
      c.beta = 0.5f;
      check_case(c);
      // Small C, long K (split between threads by columns: the bias offset must follow).
      c.M = 5;
      c.N = 100;
      c.K = 1000;
      check_case(c);
      c.M = 250;
      c.N = 19;
      c.K = 31;
      c.beta = 0.f;
      c.tb = true;
      check_case(c);
    }

  // 5. Pre-packed B and the batched form.
  for (int t = 0; t < 4; ++t)
    for (std::size_t M : {1, 13, 64, 301}) {
      Case c;
      c.ta = t & 1;
      c.tb = t & 2;
      c.M = M;
      c.N = 77;
      c.K = 450;
      c.pad_b = 3;
      c.bias = true;
      c.act = Activation::relu;
      check_case(c, Path::packed);
      c.K = 20;
      c.N = 33;
      check_case(c, Path::batched);
      c.M = M * 3;
      c.N = 140;
      c.K = 300;
      check_case(c, Path::batched);
    }
  // 6. Blocking edges of this ISA's configuration: K just below, at and above KC and past two
  // K blocks (block_k splits K into equal blocks); M around MC and around the thread split's
  // thresholds (16 and 32 MR-row strips: one, then two IC blocks per thread on 2 threads; under
  // 8 strips per thread, column groups when the panels divide more evenly), with
  // the automatic packing choice and with both operands packed.
  {
    const gemm::GemmConfig& g = gemm::gemm_config(isa);
    const std::size_t kc = g.kc, mc = g.mc, mr = g.mr;
    struct S {
      std::size_t M, N, K;
    };
    const S edges[] = {{23, 37, kc - 1}, {23, 37, kc}, {23, 37, kc + 1}, {9, 70, 2 * kc + 1},
                       {mc - 1, 33, 45},  {mc + 1, 70, 17}, {16 * mr - 1, 65, kc + 3}, {16 * mr + 1, 65, 9},
                       {32 * mr - 1, 40, 30}, {32 * mr + 1, 40, kc + 1}, {64 * mr + 1, 35, 21},
                       // few strips, many panels: split by columns on 2 threads
                       {2 * mr + 3, 9 * std::size_t(g.nr) + 5, 40}, {3 * mr, 5 * std::size_t(g.nr), kc + 2},
                       // B packed by the tasks in ~256-column chunks (2 threads): many chunks, the
                       // column groups' boundary inside a chunk (both tasks need it), a partial last chunk
                       {4 * mr + 5, 9 * 256 + 7, 33}, {40 * mr + 3, 3 * 256 + 40, kc + 5}};
    for (int mode : {-1, 3}) {
      gemm::set_pack_override(mode);
      for (const S& e : edges)
        for (int t : {0, 3}) {
          Case c;
          c.ta = t & 1;
          c.tb = t & 2;
          c.M = e.M;
          c.N = e.N;
          c.K = e.K;
          c.beta = 0.5f;
          check_case(c, Path::plain, unsigned(e.M * 7 + e.K + t));
        }
    }
    gemm::set_pack_override(-1);
    Case c;
    c.M = 32 * mr + 1;
    c.N = 50;
    c.K = kc + 1;
    check_case(c, Path::packed);
  }

  // 7. Large C (M >= 256, N >= 256 per thread): on 2 threads, independent column parts, each
  // packing its own operands; odd panel counts (517 = 16 full panels + 5 columns with NR = 32),
  // several K blocks with beta, the bias offset of the second part, and prepacked B addressed
  // through PrepackedB::panel0.
  {
    const std::size_t kc = gemm::gemm_config(isa).kc;
    const std::size_t shapes[][3] = {{259, 517, 300}, {256, 512, 1}, {290, 600, kc + 7}};
    for (auto& s : shapes)
      for (int t = 0; t < 4; ++t) {
        Case c = shape_case(s, t);
        c.beta = 0.5f;
        c.bias = t == 1;
        c.act = t == 1 ? Activation::relu6 : Activation::none;
        c.pad_c = 3;
        check_case(c, Path::plain, unsigned(s[0] + s[2] + t));
        if (t < 2) {
          c.bias = true;
          c.act = Activation::sigmoid;
          check_case(c, Path::packed, unsigned(s[1] + t));
        }
      }
  }

  std::fprintf(stderr, "    cube %.1f s, rest %.1f s\n", std::chrono::duration<double>(t1 - t0).count(),
               std::chrono::duration<double>(clock::now() - t1).count());
}

// pack_b under one ISA, sgemm_packed under another: must repack, not misread the panels.
void check_repack_across_isas() {
  auto isas = available_isas();
  if (isas.size() < 2) return;
  const std::size_t M = 19, N = 45, K = 410;
  std::vector<float> A = random_vector(M * K, 7), B = random_vector(K * N, 8), C1(M * N), C2(M * N);
  set_isa_override(isas.back());
  auto pb = pack_b(false, K, N, B.data(), N);
  sgemm(false, false, M, N, K, 1, A.data(), K, B.data(), N, 0, C1.data(), N);
  set_isa_override(isas.front());
  sgemm_packed(false, M, 1, A.data(), K, *pb, 0, C2.data(), N);
  clear_isa_override();
  double worst = 0;
  for (std::size_t i = 0; i < M * N; ++i) worst = std::max(worst, double(std::fabs(C1[i] - C2[i])));
  CK_CHECK_MSG(worst < 1e-3, "repacked sgemm_packed differs by %g", worst);
}

}  // namespace

int main() {
  std::fprintf(stderr, "gemm_test: cache L1d %zu L2 %zu L3 %zu\n", gemm::cache_sizes().l1d, gemm::cache_sizes().l2,
               gemm::cache_sizes().l3);
  for (Isa isa : available_isas()) {
    const auto& g = gemm::gemm_config(isa);
    std::fprintf(stderr, "  %s: MR=%d NR=%d MC=%zu KC=%zu NC=%zu\n", g.name, g.mr, g.nr, g.mc, g.kc, g.nc);
  }
  check_arguments();
  for (int threads : {2, 1}) {
    set_num_threads(threads);
    std::fprintf(stderr, " threads=%d\n", threads);
    if (threads == 1) {
      // One thread: the parallel paths are already covered; re-run the larger shapes only.
      test::for_each_isa([](Isa) {
        for (int t = 0; t < 4; ++t) {
          Case c;
          c.ta = t & 1;
          c.tb = t & 2;
          c.M = 257;
          c.N = 263;
          c.K = 601;
          c.bias = true;
          c.act = Activation::tanh;
          check_case(c);
          check_case(c, Path::packed);
        }
      });
    } else {
      test::for_each_isa(run_isa);
    }
  }
  check_repack_across_isas();
  return test::finish("gemm_test");
}
