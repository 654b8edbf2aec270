// AVX-512F SGEMM micro-kernel: MR x NR = 14 x 32.
//
// Why 14x32: the 14x2 tile holds 28 zmm accumulators, and with the 2 B vectors of each k step that
// is 30 of the 32 zmm registers (the A values come in as embedded broadcasts {1to16} folded into
// the FMAs, so they need no register). Per k step: 28 FMAs against 2 vector loads + 14 broadcasts,
// i.e. 0.57 loads per FMA, well under the 2-3 load ports' rate; and 28 independent accumulation
// chains hide the 4-cycle FMA latency on 2 FMA pipes (8 in flight needed). On Zen 4 (AVX-512
// double-pumped on 2x256-bit pipes) the same tile keeps 1 zmm FMA per cycle busy. NR = 32 also
// matches the narrow im2col GEMMs (N = 32, 64) exactly. 6x64 (24 accumulators, 4 loads + 6
// broadcasts per 24 FMAs) has a worse load:FMA ratio and pads N=32 problems to 64.
//
// Edges: the tile is a template on the row count (1..14) and on the number of 16-float column
// vectors (1..2); the last column vector uses a mask (loads of B and C, stores of C), so partial
// tiles run at full speed with no scalar path. The epilogue (alpha/beta, bias, activation) is
// applied to the accumulators before the only store of C.
#include <immintrin.h>

#include "gemm/microkernel.h"

namespace convkit::gemm {
namespace {

// exp(x) for float lanes, Cephes expf: x = n*ln2 + r with |r| <= ln2/2 (ln2 split in two parts so
// n*ln2 is exact), exp(r) by a degree-7 polynomial (rel. error ~1 ulp), times 2^n via the exponent.
inline __m512 exp512(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                  _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500E-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(p, n);
}

// tanh: odd Cephes polynomial for |x| < 0.625 (keeps relative accuracy near 0), else
// sign(x) * (1 - 2/(exp(2|x|) + 1)).
inline __m512 tanh512(__m512 x) {
  const __m512 ax = _mm512_abs_ps(x);
  const __m512 z = _mm512_mul_ps(x, x);
  __m512 p = _mm512_set1_ps(-5.70498872745E-3f);
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(2.06390887954E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-5.37397155531E-2f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(1.33314422036E-1f));
  p = _mm512_fmadd_ps(p, z, _mm512_set1_ps(-3.33332819422E-1f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(p, z), x, x);
  const __m512 e = exp512(_mm512_add_ps(ax, ax));
  __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.f), _mm512_div_ps(_mm512_set1_ps(2.f), _mm512_add_ps(e, _mm512_set1_ps(1.f))));
  big = _mm512_or_ps(big, _mm512_and_ps(x, _mm512_set1_ps(-0.f)));  // copy the sign of x
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, _mm512_set1_ps(0.625f), _CMP_LT_OQ), big, small);
}

inline __m512 activate(__m512 x, Activation act, float leaky) {
  switch (act) {
    case Activation::none: return x;
    case Activation::relu: return _mm512_max_ps(x, _mm512_setzero_ps());
    case Activation::relu6: return _mm512_min_ps(_mm512_max_ps(x, _mm512_setzero_ps()), _mm512_set1_ps(6.f));
    case Activation::leaky_relu:
      return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x, _mm512_set1_ps(leaky));
    case Activation::sigmoid:
      return _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_add_ps(_mm512_set1_ps(1.f), exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
    case Activation::tanh: return tanh512(x);
  }
  return x;
}

// The B row kPrefetchBBytes ahead of this one (microkernel.h): one line per 16 floats.
template <int NV>
inline void prefetch_b(const float* b) {
  const char* p = reinterpret_cast<const char*>(b) + kPrefetchBBytes;
  _mm_prefetch(p, _MM_HINT_T0);
  if (NV == 2) _mm_prefetch(p + 64, _MM_HINT_T0);
}

// A(i, k) of row-major unpacked A broadcast to 16 lanes, row i = j (0..6) of a group of 7 rows
// starting at `base`, addressed as base + {0, 1, 2, 3, 4, 5, 6} * s1 through x86's scaled index
// modes with s3 = 3 s1 and s5 = 5 s1: (base), (base,s1), (base,s1,2), (base,s3), (base,s1,4),
// (base,s5), (base,s3,2). Written with the compiler's intrinsics, gcc 12 keeps each of the 13 row
// offsets in its own register and, short of registers, reloads 4 of them from the stack in every k
// step (20 loads for 28 FMAs instead of 16); with the addressing fixed here the loop needs 2 bases
// and 3 strides. `j` is a constant after the row loop is unrolled, so the switch folds away. The
// asm reads A without a memory operand: A is not written while a kernel runs.
inline __m512 broadcast_row(int j, const char* base, std::ptrdiff_t s1, std::ptrdiff_t s3, std::ptrdiff_t s5) {
  __m512 v;
  switch (j) {
    case 0: asm("vbroadcastss (%1), %0" : "=v"(v) : "r"(base)); break;
    case 1: asm("vbroadcastss (%1,%2,1), %0" : "=v"(v) : "r"(base), "r"(s1)); break;
    case 2: asm("vbroadcastss (%1,%2,2), %0" : "=v"(v) : "r"(base), "r"(s1)); break;
    case 3: asm("vbroadcastss (%1,%2,1), %0" : "=v"(v) : "r"(base), "r"(s3)); break;
    case 4: asm("vbroadcastss (%1,%2,4), %0" : "=v"(v) : "r"(base), "r"(s1)); break;
    case 5: asm("vbroadcastss (%1,%2,1), %0" : "=v"(v) : "r"(base), "r"(s5)); break;
    default: asm("vbroadcastss (%1,%2,2), %0" : "=v"(v) : "r"(base), "r"(s3)); break;
  }
  return v;
}

// FULL: all NV*16 columns exist (t.n == 16*NV), so B and C use plain loads and stores; masked
// ones only for a partial last vector. (A masked load with an all-ones mask is not free: it
// ties the load to the mask register, and the B loads are on the K loop's critical path.)
// The packed loop's C prefetch (see tile()): the K steps left when the C rows are pulled into L1.
// 48 steps of 14 rows are ~670 cycles at full rate, enough to bring 28 lines from L2 (or L3).
constexpr std::size_t kCTail = 48;

template <int ROWS, int NV, bool AROW, bool FULL, bool STREAM>
void tile(const MicroTile& t) {
  __m512 acc[ROWS][NV];
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_setzero_ps();
  const int nlast = t.n - 16 * (NV - 1);  // columns in the last vector, 1..16
  const __mmask16 mlast = static_cast<__mmask16>((1u << nlast) - 1u);
  const float* b = t.b;
  const std::size_t ldb = t.ldb;
  std::size_t k = t.k;
  // C is touched only after the K loop. A long packed loop (kc = 528: 67 KB of B and 30 KB of A
  // stream through the 48 KB L1 per tile) would evict C rows fetched into L1 at the start -- and
  // with ldc a multiple of 4 KiB the 14 rows fall into one L1 set -- so there C goes to L2 first
  // (T1) and into L1 kCTail steps before the end. 1 thread, interleaved processes, median GFLOPS
  // (4 pairs): 2048^3 171-187 -> 183-193, 1024^3 180-199 -> 195-201; 2 threads 2048^3 365-378 ->
  // 382-392 (with a 24-step tail). Short and in-place (AROW) loops prefetch into L1 at once, as before.
  const bool clate = !AROW && k > 2 * kCTail;
  if (clate) {
    for (int r = 0; r < ROWS; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T1);
      if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc + 16), _MM_HINT_T1);
    }
  } else {
    for (int r = 0; r < ROWS; ++r) {
      _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
      if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc + 16), _MM_HINT_T0);
    }
  }
  if (AROW) {
    // Row-major unpacked A: row r at a + r*a_rs, stepping one float per k. Byte offsets from two
    // base pointers (rows 0-6, 7-13) with the multiples {1,2,3,4,5,6} of the row stride keep the
    // addresses in x86 addressing modes instead of 14 pointer registers.
    const char* p = reinterpret_cast<const char*>(t.a);
    const std::ptrdiff_t s1 = static_cast<std::ptrdiff_t>(t.a_rs * sizeof(float));
    const std::ptrdiff_t s3 = 3 * s1, s5 = 5 * s1;
    const char* p7 = p + 7 * s1;
    for (; k > 0; --k) {
      __m512 bv[NV];
      for (int v = 0; v < NV - 1; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
      bv[NV - 1] = FULL ? _mm512_loadu_ps(b + 16 * (NV - 1)) : _mm512_maskz_loadu_ps(mlast, b + 16 * (NV - 1));
      if (STREAM) prefetch_b<NV>(b);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r) {
        const __m512 av = broadcast_row(r % 7, r >= 7 ? p7 : p, s1, s3, s5);
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
      }
      p += sizeof(float);
      p7 += sizeof(float);
      b += ldb;
    }
  } else {
    // A(i,k) at a[i + k*a_cs]: one contiguous run of ROWS floats per k (packed panel: a_cs = 14).
    const float* a = t.a;
    const std::size_t acs = t.a_cs;
    auto kstep = [&]() __attribute__((always_inline)) {
      __m512 bv[NV];
      for (int v = 0; v < NV - 1; ++v) bv[v] = _mm512_loadu_ps(b + 16 * v);
      bv[NV - 1] = FULL ? _mm512_loadu_ps(b + 16 * (NV - 1)) : _mm512_maskz_loadu_ps(mlast, b + 16 * (NV - 1));
      // The A micro-panel streams from L2 (B's sits in L1): fetch it 16 k steps ahead
      // (measured +5-8% at 384^3..1024^3 over prefetching B).
      _mm_prefetch(reinterpret_cast<const char*>(a + 16 * acs), _MM_HINT_T0);
      if (STREAM) prefetch_b<NV>(b);
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r) {
        const __m512 av = _mm512_set1_ps(a[r]);
        for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
      }
      a += acs;
      b += ldb;
    };
    if (clate) {
#pragma GCC unroll 2
      for (; k > kCTail; --k) kstep();
      for (int r = 0; r < ROWS; ++r) {
        _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc), _MM_HINT_T0);
        if (NV == 2) _mm_prefetch(reinterpret_cast<const char*>(t.c + r * t.ldc + 16), _MM_HINT_T0);
      }
    }
#pragma GCC unroll 2
    for (; k > 0; --k) kstep();
  }
  // Epilogue on the registers: alpha, beta*C (C untouched when beta == 0), bias, activation.
  // The accumulators leave the registers once, here: the epilogue below indexes rows/vectors at
  // run time, and if it used acc[][] directly the compiler would keep acc in memory in the K loop.
  // (Storing C straight from acc[][] was tried and reverted, ce1e0df: it changed the K loop's
  // code and slowed the narrow im2col products by 40%; the spill to `out` keeps that loop as is.)
  alignas(64) float out[ROWS][NV * 16];
#pragma GCC unroll 16
  for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_store_ps(&out[r][16 * v], acc[r][v]);
  // The tile's fields are read once into locals: the C stores below may alias `t` as far as the
  // compiler knows, so reading t.beta etc. in the loop reloads and re-tests them for every vector
  // (gcc 12: ~12 instructions and 4 branches, one indirect, per vector). With locals the loops are
  // unswitched and fully unrolled.
  float* const c0 = t.c;
  const std::size_t ldc = t.ldc;
  const float alpha_s = t.alpha, beta_s = t.beta, leaky = t.leaky_alpha;
  const float* const bias_p = t.bias;
  const Activation act = t.act;
  auto store = [&](float* c, int v, __m512 x) {
    if (FULL || v < NV - 1) _mm512_storeu_ps(c + 16 * v, x); else _mm512_mask_storeu_ps(c + 16 * v, mlast, x);
  };
  auto load_c = [&](const float* c, int v) {
    return FULL || v < NV - 1 ? _mm512_loadu_ps(c + 16 * v) : _mm512_maskz_loadu_ps(mlast, c + 16 * v);
  };
  // Plain updates (alpha = 1, no bias or activation; beta 0 or 1): every K block of a plain
  // product and all but the last of an epilogued one. C = acc or C += acc, one load (+ one C
  // load) and one store per vector.
  if (alpha_s == 1.f && !bias_p && act == Activation::none && (beta_s == 0.f || beta_s == 1.f)) {
    if (beta_s == 0.f) {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) store(c0 + r * ldc, v, _mm512_load_ps(&out[r][16 * v]));
    } else {
#pragma GCC unroll 16
      for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v)
          store(c0 + r * ldc, v, _mm512_add_ps(_mm512_load_ps(&out[r][16 * v]), load_c(c0 + r * ldc, v)));
    }
    return;
  }
  const __m512 alpha = _mm512_set1_ps(alpha_s);
  const __m512 beta = _mm512_set1_ps(beta_s);
  __m512 bias[NV];
  if (bias_p) {
    for (int v = 0; v < NV - 1; ++v) bias[v] = _mm512_loadu_ps(bias_p + 16 * v);
    bias[NV - 1] = _mm512_maskz_loadu_ps(mlast, bias_p + 16 * (NV - 1));
  }
  for (int r = 0; r < ROWS; ++r) {
    float* c = c0 + r * ldc;
    for (int v = 0; v < NV; ++v) {
      __m512 x = _mm512_mul_ps(_mm512_load_ps(&out[r][16 * v]), alpha);
      if (beta_s != 0.f) x = _mm512_fmadd_ps(beta, load_c(c, v), x);
      if (bias_p) x = _mm512_add_ps(x, bias[v]);
      if (act != Activation::none) x = activate(x, act, leaky);
      store(c, v, x);
    }
  }
}

template <int ROWS, bool STREAM>
void rows_of(const MicroTile& t) {
  const bool arow = t.a_cs == 1 && t.a_rs != 1;
  if (t.n == 32) {
    if (arow) tile<ROWS, 2, true, true, STREAM>(t); else tile<ROWS, 2, false, true, STREAM>(t);
  } else if (t.n > 16) {
    if (arow) tile<ROWS, 2, true, false, STREAM>(t); else tile<ROWS, 2, false, false, STREAM>(t);
  } else {
    if (arow) tile<ROWS, 1, true, false, STREAM>(t); else tile<ROWS, 1, false, false, STREAM>(t);
  }
}

template <int ROWS>
void rows(const MicroTile& t) {
  if (t.stream_b) rows_of<ROWS, true>(t); else rows_of<ROWS, false>(t);
}

using RowFn = void (*)(const MicroTile&);
constexpr RowFn kRows[14] = {rows<1>, rows<2>, rows<3>, rows<4>,  rows<5>,  rows<6>,  rows<7>,
                             rows<8>, rows<9>, rows<10>, rows<11>, rows<12>, rows<13>, rows<14>};

}  // namespace

void micro_avx512(const MicroTile& t) { kRows[t.m - 1](t); }

}  // namespace convkit::gemm
