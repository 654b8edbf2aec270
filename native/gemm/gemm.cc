// SGEMM driver: BLIS's five loops around the per-ISA micro-kernel (gemm_config.cc has the blocking
// and its derivation; microkernel.h the kernel contract).
//
//   JC: columns of C in blocks of NC            (packed B block: L3)
//    PC: K in blocks of KC                       pack op(B)[pc:pc+kc, jc:jc+nc]   (shared, once;
//                                                 with threads: by the IC tasks, chunk by chunk)
//     IC: rows of C in blocks of <= MC  <- parallel over (IC block x column group) tasks
//                                              pack op(A)[ic:ic+mc, pc:pc+kc]   (per thread)
//      JR: NR-column micro-panels of B           (kc x NR panel: L1; swapped with IR when A is
//                                                 read in place and N has <= 4 panels)
//       IR: MR-row micro-panels of A             micro-kernel: MR x NR tile of C in registers
//
// With threads, two plans: a large C (M >= 256, >= 256 columns per thread) or a small C with a long
// K is split into independent parts, one per thread, each running these loops single-threaded
// (gemm_run's first block); otherwise the threads share each packed B block inside one parallel
// region per K block, as drawn above.
//
// Packing is skipped where it does not pay: A is read in place when each of its strips meets few
// B panels (narrow N, e.g. im2col with 32..64 output channels: packing would read A once to save
// reading it once) or when the problem is small; B is read in place for small problems with
// row-major B (its rows are already the kernel's vectors, and packing 64x64 costs as much as the
// product). The kernels mask their loads, so in-place operands need no padding.
// alpha/beta are applied on the first K block (beta = 1 afterwards) and the epilogue on the last,
// so C is read and written once per K block and the bias/activation cost no extra pass.
#include "gemm/gemm_driver.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "runtime/aligned.h"
#include "runtime/errors.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace gemm {
namespace {

// Per-thread packing buffers, grown on demand and kept: no allocation per call in steady state.
float* tls_buffer(int slot, std::size_t floats) {
  struct Buf {
    AlignedPtr<float> p;
    std::size_t cap = 0;
  };
  thread_local Buf bufs[2];
  Buf& b = bufs[slot];
  if (b.cap < floats) {
    b.p = aligned_array<float>(floats);
    b.cap = floats;
  }
  return b.p.get();
}

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
std::size_t round_up(std::size_t a, std::size_t b) { return ceil_div(a, b) * b; }

// States of the B chunks packed inside a region (see gemm_run): the calling thread's own array,
// read by the workers only while the caller waits for its region, so no allocation per call.
constexpr std::size_t kMaxChunks = 64;
std::atomic<int>* tls_chunk_state() {
  thread_local std::atomic<int> states[kMaxChunks];
  return states;
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

int env_int(const char* name, int dflt) {
  const char* e = std::getenv(name);
  return e && *e ? std::atoi(e) : dflt;
}

}  // namespace

namespace {
std::atomic<int> g_pack_override{env_int("CONVKIT_GEMM_PACK", -1)};
}  // namespace
void set_pack_override(int mode) { g_pack_override.store(mode, std::memory_order_relaxed); }
int pack_override() { return g_pack_override.load(std::memory_order_relaxed); }

std::size_t block_k(const GemmConfig& cfg, std::size_t K) {
  if (K <= cfg.kc) return std::max<std::size_t>(K, 1);
  const std::size_t blocks = ceil_div(K, cfg.kc);
  return round_up(ceil_div(K, blocks), 8);
}

int gemm_threads(std::size_t M, std::size_t N, std::size_t K) {
  if (in_parallel_region()) return 1;
  const int n = num_threads();
  if (n <= 1) return 1;
  // Crossover: a parallel region costs a wake-up (a futex syscall when the workers sleep; a store
  // they see within ~100 ns while they still spin after a previous region, kSpinIterations in
  // thread_pool.cc) and a join; the caller starts on the tasks at once, so a late worker only
  // costs the notify. Measured back to back (the workers spinning, as in a model's layer after
  // layer or a benchmark loop), min time per call, busy machine, 2 threads vs 1:
  // 48^3 (0.22 MFLOP) 1.3-1.4 vs 1.4-1.6 us, 64x64x32 (0.26) 1.6-1.9 vs 1.7-1.9, 64^3 (0.52)
  // 2.5-2.6 vs 3.3-3.4, 80^3 (1.0) 4.0 vs 6.1-6.7 (Xeon, 2 threads on 2 cores).
  // Zen 5 (2 cores shared by other processes; alternating 50 ms blocks of 1 and 2 threads, 20
  // rounds, min / median us per call, 13:52 UTC, load average 6): 48^3 1.42 / 1.46 vs 1.51 /
  // 1.57, 64^3 2.86 / 2.93 vs 2.96 / 3.07, 80^3 5.78 / 6.73 vs 4.33 / 6.48, 96^3 9.14 / 9.30 vs
  // 6.41 / 9.37, 128^3 21.4 / 22.0 vs 12.8 / 22.1. The faster core does 64^3 in 2.9 us, and two
  // threads no longer win it even in the best case, while a busy second core makes every split
  // product wait for its half. Products under 0.6 MFLOP (64^3 = 0.52) run on the caller
  // (OpenBLAS 0.3.21 too keeps 64^3 on one thread: 5.6 us with 1 and with 2 threads in
  // `convkit_bench sgemm-vs-blas`). (Was 0.4 MFLOP, before that 1.5.)
  static const double min_flops = env_int("CONVKIT_GEMM_MT_MIN_KFLOP", 600) * 1e3;
  if (2.0 * double(M) * double(N) * double(K) < min_flops) return 1;
  return n;
}

void gemm_check_args(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, const float* A,
                     std::size_t lda, const float* B, std::size_t ldb, const float* C, std::size_t ldc) {
  auto fail = [](const std::string& s) { throw InvalidArgument("sgemm: " + s); };
  const std::size_t min_lda = trans_a ? M : K, min_ldb = trans_b ? K : N;
  if (M == 0 || N == 0) return;
  if (K > 0 && lda < std::max<std::size_t>(1, min_lda))
    fail("lda must be >= " + std::to_string(min_lda) + (trans_a ? " (M, A transposed)" : " (K)") + ", got " +
         std::to_string(lda));
  if (K > 0 && ldb < std::max<std::size_t>(1, min_ldb))
    fail("ldb must be >= " + std::to_string(min_ldb) + (trans_b ? " (K, B transposed)" : " (N)") + ", got " +
         std::to_string(ldb));
  if (ldc < N) fail("ldc must be >= N = " + std::to_string(N) + ", got " + std::to_string(ldc));
  if (K > 0 && (!A || !B)) fail(std::string(!A ? "A" : "B") + " is null");
  if (!C) fail("C is null");
}

void gemm_run(const GemmConfig& cfg, bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K,
              float alpha, const float* A, std::size_t lda, const float* B, std::size_t ldb, float beta, float* C,
              std::size_t ldc, const GemmEpilogue* epilogue, const PrepackedB* prepacked, int threads,
              const CancelToken* cancel) {
  if (M == 0 || N == 0) return;
  const std::size_t MR = cfg.mr, NR = cfg.nr;
  const std::size_t KC = block_k(cfg, K), NC = cfg.nc;
  const std::size_t n_panels_total = ceil_div(N, NR);

  // Independent parts: C split between the threads, each running the whole single-threaded
  // algorithm (its own packing, every K block) on its part; one parallel region per call and no
  // data shared between the cores but the read-only inputs. Two cases:
  //  - Small C, long K (weight gradients: C = X^T dY with K = batch x pixels; more than one K
  //    block, KC = 528 with AVX-512 here): a region per K block would cost more than it shares.
  //    Split along the longer side.
  //  - Large C (M >= 256, at least 256 columns per thread): split the columns. The shared path
  //    below packs one B block for all threads inside a region per K block; each core then
  //    writes B panels the other core has cached (the previous K block's) and reads panels the
  //    other core packed, and both wait at the end of every K block. perf, 1024^3 on 2 threads:
  //    pack_b 5.7% of samples against 3.0% on 1 thread (same work per thread), pool spin 1.4%.
  //    Split by columns, each thread packs all of A (M*K extra floats packed in all, 1.6% of a
  //    1-thread 1024^3 profile) and its own half of B. Measured on Zen 5, 2 threads, chrt -f 50,
  //    3 interleaved runs, min ms per call, shared / column parts / row parts:
  //      512^3  0.787-0.832 / 0.652-0.683 / 0.743-0.838
  //      1024^3 6.12-6.52   / 5.77-6.31   / 5.71-6.25
  //      2048^3 48.7-51.2   / 45.4-49.4   / 47.1-49.2
  //    (columns: each 512 x 256 x 512 part reads both operands in place, rows: each part packs
  //    the whole 512 x 512 B). Narrow N (im2col: N = 32..128, tall M) keeps the shared path.
  //    With a prepacked B, a part addresses its panels through PrepackedB::panel0.
  //    Re-measured in session 7 (Zen 5, 2 threads, min GFLOPS of interleaved processes): column
  //    parts 364-378 at 1024^3 against 317-348 for the shared path (CONVKIT_GEMM_SPLIT experiment,
  //    not kept). Per-thread packing share (rdtsc around pack_a/pack_b, 1024^3): pack_a 7.2%,
  //    pack_b 5.0% of a thread's cycles on 2 threads vs 3.5% / 4.5% on 1. Packing all of op(A) once
  //    for both parts (the threads splitting its strips in one region first, parts reading the
  //    packed copy) was tried and lost (1024^3: 309-330 vs 333-353; 2048^3 equal): it halves the
  //    transposes but adds a write and a re-read of the packed M x K copy, and the packing is
  //    memory-bound. A software prefetch of A's rows in pack_a_rows14 did not separate from noise.
  //    Session 8 (interleaved processes, busy machine), none kept: a prepacked B split by rows
  //    instead (each part packs only its half of A; both read all of B's panels): 1024^3 +3%, 512^3
  //    (37 strips: 19 + 18) -3%, 2048^3 equal. 2 MiB pages for the packing buffers (over-sized into
  //    the mapping cache's huge-page range; AnonHugePages confirmed): 1 thread 512..2048^3 equal.
  //    Prefetching the packed B panel 512..4096 bytes ahead in the K loop, A 4/8/32 k steps ahead
  //    instead of 16, prefetchw for C, the i == 0 tile of a packed B block larger than L2/2
  //    streaming B as prepacked tiles do, NC 512/1024 and KC 264/384/768 re-swept: none separated
  //    from the noise. Storing C straight from the accumulators (again, with the asm broadcasts):
  //    gcc 12 then stores all 14 accumulators to the stack in every k step (objdump), as in ce1e0df.
  //    Session 9 (busy machine; this VM exposes no hardware PMU events to perf, so no TLB/L2 counts):
  //    rdtsc per part of the column split (1568 x 1024 x 256, the ResNet 1x1 conv; 1024^3) shows
  //    the parts 3-14% apart with the slower one alternating between caller and worker (other
  //    processes, not the split), and the worker starting 10-75 us late when it had gone to sleep.
  //    A dynamic split (2 or 4 column parts per thread, claimed in order) lost: 1x1 2.16-2.61 ms
  //    with 4 parts per thread vs 2.10-2.39 with one; the shared path for the 1x1 shape lost too
  //    (2.24-2.49 vs 2.10-2.21). 1 thread, 2048^3 profile: K loop 90% of samples (its last kCTail
  //    steps no slower than the rest), tile prologue/epilogue 3%, pack_a 1.9%, pack_b 1.4%.
  //    Skipping the tail's L1 prefetch of C when ldc is a multiple of 4 KiB (its 14 rows share
  //    one L1 set) did not separate from noise at 1024^3/2048^3 (4 pairs). A software prefetch of
  //    in-place row-major A in the AVX-512 kernel (one row's line per k step, 256 bytes ahead, on
  //    the IR-outside-JR tiles only) gave 6272 x 128 x 1152 +3-7% on 1 thread under load (about +0-5%
  //    quiet), but the packed 1024^3/2048^3 products, whose code it did not change, ran 2-6% slower
  //    in most 1-thread pairs (the hot loop moved: start 49 -> 17 mod 64 bytes); reverted.
  //    Session 10: with a prepacked B, dynamic row chunks (2, 3 or 4 per thread, claimed in order by
  //    the pool; unlike the column chunks of session 9 no operand is packed twice: each chunk packs
  //    only its own rows of A and B is not packed at all) did not win either: 2 threads, busy
  //    machine, min ms of interleaved processes, 1024^3 5.45-5.57 (column parts) vs 5.52-5.60 (2
  //    chunks per thread), 3 and 4 per thread 5.70-5.96; 2048^3 equal; 512^3 0.66-0.68 vs 0.72-0.76.
  //    Smaller A blocks reuse each B panel over fewer strips, which costs what the balance gains.
  //    64^3 on 2 threads with the cheaper join of thread_pool.cc (f14a83c) still loses: 3.0-3.2 vs
  //    2.7-2.8 us (CONVKIT_GEMM_MT_MIN_KFLOP=200, 3 pairs), 48^3 2.0-2.7 vs 1.3.
  const bool small_c = !prepacked && K > cfg.kc && M * N <= 128 * 256;
  const bool large_c = M >= 256 && N >= 256 * std::size_t(std::max(threads, 1));
  if (threads > 1 && (small_c || large_c)) {
    const std::size_t strips = ceil_div(M, MR), panels = ceil_div(N, NR);
    const bool by_rows = small_c && strips >= panels;
    const std::size_t units = by_rows ? strips : panels;
    const std::size_t parts = std::min<std::size_t>(units, threads);
    if (parts > 1) {
      const std::size_t per = ceil_div(units, parts);
      parallel_for(ceil_div(units, per), [&](std::size_t p) {
        const std::size_t u0 = p * per, u1 = std::min(units, u0 + per);
        if (by_rows) {
          const std::size_t i0 = u0 * MR, i1 = std::min(M, u1 * MR);
          gemm_run(cfg, trans_a, trans_b, i1 - i0, N, K, alpha, trans_a ? A + i0 : A + i0 * lda, lda, B, ldb, beta,
                   C + i0 * ldc, ldc, epilogue, prepacked, 1, cancel);
        } else {
          const std::size_t j0 = u0 * NR, j1 = std::min(N, u1 * NR);
          GemmEpilogue e;
          if (epilogue) {
            e = *epilogue;
            if (e.bias) e.bias += j0;
          }
          PrepackedB part;
          if (prepacked) {
            part = *prepacked;
            part.panel0 += u0;
          }
          // (B is not read when prepacked: it may be null then.)
          const float* b_part = prepacked ? B : trans_b ? B + j0 * ldb : B + j0;
          gemm_run(cfg, trans_a, trans_b, M, j1 - j0, K, alpha, A, lda, b_part, ldb, beta, C + j0, ldc,
                   epilogue ? &e : nullptr, prepacked ? &part : nullptr, 1, cancel);
        }
      });
      return;
    }
  }

  // In-place operands (see the header comment); set_pack_override forces the choice.
  const int force = pack_override();
  // Measured (native/bench, AVX-512, 1 thread, CPU time): up to 384^3 both operands in place are
  // fastest (64^3: 138 vs 60 GFLOPS all packed; 256^3: 156 vs 144); at 1024^3 packing wins (125 vs
  // 95: B rows 4 KiB apart alias in L1, and A strips are re-read from L2 for 32 panels). The
  // switch is on the size of op(B) (N*K), the operand the in-place kernel streams per A strip.
  // 512^3 packs too (since 20:06 UTC; 1 thread, thread CPU time, 4 interleaved runs, busy machine:
  // in place 149-165 GFLOPS, B packed 165-171, both packed 160-173): B rows 2 KiB apart put a
  // kc x 32 panel into 4 of L1's 64 sets, so it cannot stay in L1 unpacked.
  const bool big_b = N * K >= 512 * 512;
  bool pack_a = n_panels_total > 2 && big_b;
  bool pack_b = trans_b || big_b || M >= 1024 || N > NC;
  if (force >= 0) {
    pack_a = force & 1;
    pack_b = trans_b || (force & 2);
  }
  if (prepacked) pack_b = false;

  // IC blocks (multiples of MR, at most MC rows). With threads: 2 blocks per thread, so a thread
  // slowed by another process (a shared machine) leaves some work to the others, but at least 16
  // MR-row strips per block: each kc x NR panel of B is fetched (from L3: the B block is shared)
  // once per block and reused by its strips, and the C tile update per K block is amortised
  // over them. Measured (1 thread, AVX-512, thread CPU time, one thread's share of a 2-thread
  // 2048^3 product, 1024 x 2048 x 1024): 145-152 GFLOPS with 5- and 19-strip blocks, 152-160 with
  // 37 and 73. The previous rule (4 blocks per thread, >= 4 strips) cut 2048^3 into 19-strip
  // blocks and 512^3 into 5-strip ones.
  const std::size_t strips = ceil_div(M, MR);
  std::size_t m_tasks = std::max<std::size_t>(ceil_div(M, cfg.mc), 1);
  if (threads > 1)
    m_tasks = std::max({m_tasks, std::min<std::size_t>(2 * threads, strips / 16), std::size_t(threads)});
  // A whole number of blocks per thread: 13 MC blocks on 2 threads (6272 x 128 x 1152) would
  // leave one thread idle for the 13th.
  if (threads > 1) m_tasks = round_up(m_tasks, threads);
  // Few strips (under 8 per thread) split unevenly by rows: M = 32 is 3 strips, 2 for one thread
  // and 1 for the other, so that product takes 2/3 of its single-thread time instead of 1/2. Then
  // split the NR panels between the threads instead (the JC loop's column groups, below) when
  // they divide more evenly; each group packs the (small) A block itself.
  if (threads > 1 && strips < 8 * std::size_t(threads)) {
    auto uneven = [&](std::size_t units) {  // busiest thread's share over the ideal share
      return double(ceil_div(units, threads) * threads) / double(units);
    };
    if (n_panels_total >= std::size_t(threads) && uneven(n_panels_total) < uneven(strips)) m_tasks = 1;
  }
  m_tasks = std::min(m_tasks, strips);
  // Task mt takes strips [mt * strips / m_tasks, (mt + 1) * strips / m_tasks): sizes differ by at
  // most one strip. (Equal blocks of ceil(strips / m_tasks) left the remainder to the last one:
  // 512^3 on 2 threads was 10 + 10 | 10 + 7 strips, the second thread idle for 3 of 20.)
  const std::size_t mb = ceil_div(strips, m_tasks) * MR;  // largest block: the A buffer's rows

  const std::size_t k_blocks = K == 0 ? 1 : ceil_div(K, KC);
  const std::size_t a_buf_floats = mb * KC;

  // B packed inside the compute region (threads > 1, several tasks): rather than a region that
  // packs the B block and a second one that multiplies (two joins per K block, and a thread
  // descheduled by another process stalls both), the B block is cut into chunks of about 256
  // columns (1 KiB row pieces: still long runs for the prefetchers, see pack_impl.h) and the
  // first task that needs a chunk packs it (state 0 -> 1 -> 2). Tasks start at different chunks
  // (rotated by task index modulo threads), so the threads pack different chunks at the same time; a chunk
  // another thread is still packing is deferred to the end of the task (a bit per chunk: at
  // most 64 chunks, the chunk widened for wider blocks), so a thread waits only when nothing
  // else is left. One region per K block.
  const std::size_t max_panels = ceil_div(std::min(N, NC), NR);
  // Narrow blocks (N = 64 or 128 in im2col products) get one chunk per thread, so the threads
  // still pack in parallel.
  const std::size_t chunk_panels =
      std::max(std::min(std::max<std::size_t>(1, 256 / NR), ceil_div(max_panels, std::max(threads, 1))),
               ceil_div(max_panels, kMaxChunks));
  std::atomic<int>* const chunk_state = tls_chunk_state();

  for (std::size_t jc = 0; jc < N; jc += NC) {  // ---- JC loop
    const std::size_t nc = std::min(NC, N - jc);
    const std::size_t panels = ceil_div(nc, NR);
    // Column groups: when M gives fewer tasks than threads, split the NR panels too.
    std::size_t n_tasks = 1;
    if (threads > 1 && m_tasks < std::size_t(threads)) n_tasks = std::min<std::size_t>(panels, threads);
    const std::size_t panels_per_group = ceil_div(panels, n_tasks);
    n_tasks = ceil_div(panels, panels_per_group);

    for (std::size_t kb = 0; kb < k_blocks; ++kb) {  // ---- PC loop
      if (cancel) cancel->check();
      const std::size_t pc = kb * KC;
      const std::size_t kc = K == 0 ? 0 : std::min(KC, K - pc);
      const bool first = kb == 0, last = kb + 1 == k_blocks;

      const bool lazy_b = pack_b && !prepacked && threads > 1 && m_tasks * n_tasks > 1;
      const float* b_src = nullptr;  // op(B) block source, when lazy_b
      // op(B) block kc x nc: panel q at b_blk + q * b_panel, element (k, j) at [k * b_ld + j].
      const float* b_blk;
      std::size_t b_ld, b_panel;
      if (prepacked) {
        b_blk = prepacked->data + kb * KC * prepacked->npad + (prepacked->panel0 + jc / NR) * kc * NR;
        b_ld = NR;
        b_panel = kc * NR;
      } else if (pack_b) {
        float* buf = tls_buffer(1, round_up(nc, NR) * std::max<std::size_t>(kc, 1));
        const float* src = trans_b ? B + jc * ldb + pc : B + pc * ldb + jc;
        const std::size_t pack_groups = threads > 1 && kc * nc >= (16u << 10) ? std::size_t(threads) : 1;
        if (lazy_b) {
          // Packed by the tasks (below).
          const std::size_t chunks = ceil_div(panels, chunk_panels);
          for (std::size_t c = 0; c < chunks; ++c) chunk_state[c].store(0, std::memory_order_relaxed);
          b_src = src;
        } else if (pack_groups > 1) {
          const std::size_t per = ceil_div(panels, pack_groups);
          parallel_for(ceil_div(panels, per), [&](std::size_t g) {
            const std::size_t q0 = g * per, q1 = std::min(panels, q0 + per);
            const std::size_t j0 = q0 * NR, j1 = std::min(nc, q1 * NR);
            cfg.pack_b(trans_b, kc, j1 - j0, trans_b ? src + j0 * ldb : src + j0, ldb, buf + q0 * kc * NR);
          });
        } else {
          cfg.pack_b(trans_b, kc, nc, src, ldb, buf);
        }
        b_blk = buf;
        b_ld = NR;
        b_panel = kc * NR;
      } else {
        b_blk = B + pc * ldb + jc;
        b_ld = ldb;
        b_panel = NR;
      }

      MicroTile base{};
      base.ldb = b_ld;
      base.ldc = ldc;
      base.k = kc;
      base.alpha = alpha;
      base.beta = first ? beta : 1.f;
      base.act = Activation::none;
      base.leaky_alpha = epilogue ? epilogue->leaky_alpha : 0.f;
      const float* bias = last && epilogue ? epilogue->bias : nullptr;
      if (last && epilogue) base.act = epilogue->act;

      auto task = [&](std::size_t t) {  // ---- IC loop (one block per task)
        const std::size_t mt = t / n_tasks, nt = t % n_tasks;
        const std::size_t ic = mt * strips / m_tasks * MR;
        if (ic >= M) return;
        const std::size_t mc = std::min((mt + 1) * strips / m_tasks * MR, M) - ic;
        const std::size_t q0 = nt * panels_per_group, q1 = std::min(panels, q0 + panels_per_group);
        MicroTile tile = base;
        const float* a_blk;
        std::size_t a_strip;  // distance between MR-row strips
        if (pack_a) {
          float* buf = tls_buffer(0, std::max(a_buf_floats, std::size_t(MR)));
          const float* src = trans_a ? A + pc * lda + ic : A + ic * lda + pc;
          cfg.pack_a(trans_a, mc, kc, src, lda, buf);
          a_blk = buf;
          tile.a_rs = 1;
          tile.a_cs = MR;
          a_strip = MR * kc;
        } else if (trans_a) {
          a_blk = A + pc * lda + ic;
          tile.a_rs = 1;
          tile.a_cs = lda;
          a_strip = MR;
        } else {
          a_blk = A + ic * lda + pc;
          tile.a_rs = lda;
          tile.a_cs = 1;
          a_strip = MR * lda;
        }
        auto micro = [&](std::size_t q, std::size_t i) {
          const std::size_t j = q * NR;
          tile.b = b_blk + q * b_panel;
          tile.n = static_cast<int>(std::min(NR, nc - j));
          tile.bias = bias ? bias + jc + j : nullptr;
          tile.a = a_blk + (i / MR) * a_strip;
          tile.m = static_cast<int>(std::min(MR, mc - i));
          tile.c = C + (ic + i) * ldc + jc + j;
          tile.stream_b = prepacked != nullptr && i == 0;
          cfg.kernel(tile);
        };
        if (lazy_b) {
          float* bbuf = const_cast<float*>(b_blk);
          // Packs chunk c if nobody has claimed it; true when it is ready to use.
          auto claim = [&](std::size_t c) {
            std::atomic<int>& st = chunk_state[c];
            int expect = 0;
            if (st.load(std::memory_order_acquire) == 2) return true;
            if (!st.compare_exchange_strong(expect, 1, std::memory_order_acq_rel)) return expect == 2;
            const std::size_t p0 = c * chunk_panels, p1 = std::min(panels, p0 + chunk_panels);
            const std::size_t j0 = p0 * NR, j1 = std::min(nc, p1 * NR);
            cfg.pack_b(trans_b, kc, j1 - j0, trans_b ? b_src + j0 * ldb : b_src + j0, ldb, bbuf + p0 * kc * NR);
            st.store(2, std::memory_order_release);
            return true;
          };
          auto wait = [&](std::size_t c) {
            while (chunk_state[c].load(std::memory_order_acquire) != 2) cpu_relax();
          };
          const std::size_t c0 = q0 / chunk_panels, c1 = ceil_div(q1, chunk_panels), nch = c1 - c0;
          // The first `threads` tasks run together (the pool hands tasks out in order): spread them.
          const std::size_t rot = nch ? (t % std::size_t(threads)) * nch / std::size_t(threads) % nch : 0;
          if (!pack_a && q1 - q0 <= 4) {
            // IR outside JR (below) needs every chunk first: pack the free ones, then wait.
            for (std::size_t r = 0; r < nch; ++r) claim(c0 + (rot + r) % nch);
            for (std::size_t c = c0; c < c1; ++c) wait(c);
            for (std::size_t i = 0; i < mc; i += MR)
              for (std::size_t q = q0; q < q1; ++q) micro(q, i);
          } else {
            auto run_chunk = [&](std::size_t c) {
              const std::size_t p0 = std::max(q0, c * chunk_panels), p1 = std::min(q1, (c + 1) * chunk_panels);
              for (std::size_t q = p0; q < p1; ++q)      // ---- JR loop
                for (std::size_t i = 0; i < mc; i += MR) micro(q, i);  // ---- IR loop
            };
            std::uint64_t deferred = 0;
            for (std::size_t r = 0; r < nch; ++r) {
              const std::size_t c = c0 + (rot + r) % nch;
              if (claim(c)) run_chunk(c); else deferred |= std::uint64_t(1) << (c - c0);
            }
            for (std::size_t r = 0; r < nch; ++r) {
              const std::size_t c = c0 + (rot + r) % nch;
              if (deferred >> (c - c0) & 1) {
                wait(c);
                run_chunk(c);
              }
            }
          }
        } else if (!pack_a && q1 - q0 <= 4) {
          // In-place A and few B panels (narrow N): IR outside JR, so each A strip is read from
          // memory once and reused from L1 by the (L2-resident) B panels.
          for (std::size_t i = 0; i < mc; i += MR)      // ---- IR loop
            for (std::size_t q = q0; q < q1; ++q) micro(q, i);  // ---- JR loop
        } else {
          for (std::size_t q = q0; q < q1; ++q)  // ---- JR loop
            for (std::size_t i = 0; i < mc; i += MR) micro(q, i);  // ---- IR loop
        }
      };
      const std::size_t tasks = m_tasks * n_tasks;
      if (threads > 1 && tasks > 1) {
        parallel_for(tasks, task);
      } else {
        for (std::size_t t = 0; t < tasks; ++t) task(t);
      }
    }
  }
}

}  // namespace gemm

void sgemm(bool trans_a, bool trans_b, std::size_t M, std::size_t N, std::size_t K, float alpha, const float* A,
           std::size_t lda, const float* B, std::size_t ldb, float beta, float* C, std::size_t ldc,
           const GemmEpilogue* epilogue, const CancelToken* cancel) {
  gemm::gemm_check_args(trans_a, trans_b, M, N, K, A, lda, B, ldb, C, ldc);
  gemm::gemm_run(gemm::gemm_config(active_isa()), trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc,
                 epilogue, nullptr, gemm::gemm_threads(M, N, K), cancel);
}

}  // namespace convkit
