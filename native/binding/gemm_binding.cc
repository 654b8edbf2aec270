// N-API functions of the GEMM family (no math here: validation, conversion, a call to the core).
//
//   sgemm(transA, transB, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, bias, activation, leakyAlpha)
//   sgemmBatched(transA, transB, M, N, K, batch, alpha, a, lda, strideA, b, ldb, strideB,
//                beta, c, ldc, strideC, bias, activation, leakyAlpha)
//   gemmPack(transB, K, N, b, ldb) -> handle     op(B) (K x N) packed once into the active ISA's panels
//   gemmPackBytes(handle) -> number               bytes the panels hold (0 once disposed)
//   gemmPackDispose(handle)                       frees the panels now (idempotent; a running job keeps
//                                                 its own reference, so memory goes when it finishes)
//   sgemmPacked(transA, M, alpha, a, lda, handle, beta, c, ldc, bias, activation, leakyAlpha)
//   sgemmLean(a, b, c, desc)                      C = op(A) op(B) (alpha 1, beta 0, no epilogue; sync
//                                                 only), desc an Int32Array [flags, M, N, K, lda, ldb,
//                                                 ldc] with flags bit 0 = transA, bit 1 = transB
// and their async twins (…Async(..., cancel)). `bias` is a Float32Array of N or null;
// `activation` one of 'none' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'leakyRelu'.
// Every typed array must cover the last element the product touches (checked here, so the core
// never reads or writes outside the arrays JavaScript handed over).
#include <memory>
#include <string>

#include "binding/binding.h"
#include "binding/instance.h"
#include "gemm/gemm.h"

namespace convkit::binding {
namespace {

constexpr std::int64_t kMaxDim = std::int64_t(1) << 31;

// Elements spanned by a rows x cols row-major matrix with leading dimension ld, `batch` times
// `stride` apart; 0 when empty.
unsigned __int128 extent(std::size_t rows, std::size_t cols, std::size_t ld, std::size_t batch, std::size_t stride) {
  if (rows == 0 || cols == 0 || batch == 0) return 0;
  return (unsigned __int128)(batch - 1) * stride + (unsigned __int128)(rows - 1) * ld + cols;
}

void check_len(Napi::Env env, const char* name, std::size_t have, unsigned __int128 need, const char* what) {
  if ((unsigned __int128)have < need)
    throw_range_error(env, std::string("'") + name + "' is too short: " + what + " needs " +
                               std::to_string((unsigned long long)need) + " elements, got " + std::to_string(have));
}

std::size_t dim(const Napi::CallbackInfo& info, std::size_t i, const char* name, std::int64_t lo = 0) {
  return static_cast<std::size_t>(arg_int(info, i, name, lo, kMaxDim));
}

// The leading dimensions and the lengths of a, b and c for C = op(A)·op(B), `batch` products
// `sa`/`sb`/`sc` elements apart (batch 1: a single product, and the messages say so).
void check_operands(Napi::Env env, bool ta, bool tb, std::size_t M, std::size_t N, std::size_t K, std::size_t lda,
                    std::size_t ldb, std::size_t ldc, std::size_t na, std::size_t nb, std::size_t nc,
                    std::size_t batch = 1, std::size_t sa = 0, std::size_t sb = 0, std::size_t sc = 0, bool batched = false) {
  if (lda < (ta ? M : K)) throw_range_error(env, "'lda' must be >= " + std::to_string(ta ? M : K) + ", got " + std::to_string(lda));
  if (ldb < (tb ? K : N)) throw_range_error(env, "'ldb' must be >= " + std::to_string(tb ? K : N) + ", got " + std::to_string(ldb));
  if (ldc < N) throw_range_error(env, "'ldc' must be >= N = " + std::to_string(N) + ", got " + std::to_string(ldc));
  check_len(env, "a", na, extent(ta ? K : M, ta ? M : K, lda, batch, sa), batched ? "op(A) x batch" : "op(A)");
  check_len(env, "b", nb, extent(tb ? N : K, tb ? K : N, ldb, batch, sb), batched ? "op(B) x batch" : "op(B)");
  check_len(env, "c", nc, extent(M, N, ldc, batch, sc), batched ? "C x batch" : "C");
}

struct Epi {
  bool has_bias = false;
  GemmEpilogue e;
};

Epi arg_epilogue(const Napi::CallbackInfo& info, std::size_t i, std::size_t N) {
  Epi out;
  Napi::Value v = info.Length() > i ? info[i] : info.Env().Undefined();
  if (!v.IsNull() && !v.IsUndefined()) {
    out.e.bias = arg_f32(info, i, "bias", N).data;
    out.has_bias = true;
  }
  const int act = arg_enum(info, i + 1, "activation", {"none", "relu", "relu6", "sigmoid", "tanh", "leakyRelu"});
  out.e.act = static_cast<Activation>(act);
  out.e.leaky_alpha = static_cast<float>(arg_finite(info, i + 2, "leakyAlpha"));
  return out;
}

Job prepare_sgemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = arg_bool(info, 0, "transA"), tb = arg_bool(info, 1, "transB");
  const std::size_t M = dim(info, 2, "M"), N = dim(info, 3, "N"), K = dim(info, 4, "K");
  const float alpha = static_cast<float>(arg_finite(info, 5, "alpha"));
  auto a = arg_f32(info, 6, "a");
  const std::size_t lda = dim(info, 7, "lda");
  auto b = arg_f32(info, 8, "b");
  const std::size_t ldb = dim(info, 9, "ldb");
  const float beta = static_cast<float>(arg_finite(info, 10, "beta"));
  auto c = arg_f32(info, 11, "c");
  const std::size_t ldc = dim(info, 12, "ldc");
  const Epi epi = arg_epilogue(info, 13, N);
  check_operands(env, ta, tb, M, N, K, lda, ldb, ldc, a.length, b.length, c.length);
  return [=](const CancelToken& cancel) {
    cancel.check();
    sgemm(ta, tb, M, N, K, alpha, a.data, lda, b.data, ldb, beta, c.data, ldc,
          epi.has_bias || epi.e.act != Activation::none ? &epi.e : nullptr, &cancel);
  };
}

Job prepare_sgemm_batched(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = arg_bool(info, 0, "transA"), tb = arg_bool(info, 1, "transB");
  const std::size_t M = dim(info, 2, "M"), N = dim(info, 3, "N"), K = dim(info, 4, "K");
  const std::size_t batch = dim(info, 5, "batch");
  const float alpha = static_cast<float>(arg_finite(info, 6, "alpha"));
  auto a = arg_f32(info, 7, "a");
  const std::size_t lda = dim(info, 8, "lda"), sa = dim(info, 9, "strideA");
  auto b = arg_f32(info, 10, "b");
  const std::size_t ldb = dim(info, 11, "ldb"), sb = dim(info, 12, "strideB");
  const float beta = static_cast<float>(arg_finite(info, 13, "beta"));
  auto c = arg_f32(info, 14, "c");
  const std::size_t ldc = dim(info, 15, "ldc"), sc = dim(info, 16, "strideC");
  const Epi epi = arg_epilogue(info, 17, N);
  check_operands(env, ta, tb, M, N, K, lda, ldb, ldc, a.length, b.length, c.length, batch, sa, sb, sc, true);
  return [=](const CancelToken& cancel) {
    cancel.check();
    sgemm_strided_batched(ta, tb, M, N, K, alpha, a.data, lda, sa, b.data, ldb, sb, beta, c.data, ldc, sc, batch,
                          epi.has_bias || epi.e.act != Activation::none ? &epi.e : nullptr, &cancel);
  };
}

// ---- pre-packed B -----------------------------------------------------------------------------
// The handle is a type-tagged External owning a shared_ptr: jobs copy the pointer, so a dispose()
// (or the GC) while async work reads the panels only drops the handle's reference. The panels'
// bytes are reported to V8 (AdjustExternalMemory) so a program that never disposes still
// triggers collections, as for the inference plan's weights.
const napi_type_tag kPackedTag = {0x6b63766e'6b697470ull, 0x67656d6d'5061636bull};

struct PackedHolder {
  std::shared_ptr<const PackedB> packed;
  std::int64_t bytes = 0;
};

void release(Napi::Env env, PackedHolder* h) {
  if (!h->packed) return;
  Napi::MemoryManagement::AdjustExternalMemory(env, -h->bytes);
  h->packed.reset();
}

Napi::Value gemm_pack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool tb = arg_bool(info, 0, "transB");
  const std::size_t K = dim(info, 1, "K", 1), N = dim(info, 2, "N", 1);
  auto b = arg_f32(info, 3, "b");
  const std::size_t ldb = dim(info, 4, "ldb");
  if (ldb < (tb ? K : N)) throw_range_error(env, "'ldb' must be >= " + std::to_string(tb ? K : N) + ", got " + std::to_string(ldb));
  check_len(env, "b", b.length, extent(tb ? N : K, tb ? K : N, ldb, 1, 0), "op(B)");
  auto* h = new PackedHolder{std::shared_ptr<const PackedB>(pack_b(tb, K, N, b.data, ldb)), 0};
  h->bytes = static_cast<std::int64_t>(h->packed->bytes());
  auto ext = Napi::External<PackedHolder>::New(env, h, [](Napi::Env e, PackedHolder* p) {
    release(e, p);
    delete p;
  });
  ext.TypeTag(&kPackedTag);
  Napi::MemoryManagement::AdjustExternalMemory(env, h->bytes);
  return ext;
}

PackedHolder* holder_arg(const Napi::CallbackInfo& info, std::size_t i) {
  Napi::Value v = i < info.Length() ? info[i] : info.Env().Undefined();
  if (!v.IsExternal() || !v.As<Napi::External<PackedHolder>>().CheckTypeTag(&kPackedTag))
    throw_type_error(info.Env(), "'packed' must be a handle from gemmPack()");
  return v.As<Napi::External<PackedHolder>>().Data();
}

Napi::Value gemm_pack_dispose(const Napi::CallbackInfo& info) {
  release(info.Env(), holder_arg(info, 0));
  return info.Env().Undefined();
}

Napi::Value gemm_pack_bytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(holder_arg(info, 0)->packed ? holder_arg(info, 0)->bytes : 0));
}

Job prepare_sgemm_packed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const bool ta = arg_bool(info, 0, "transA");
  const std::size_t M = dim(info, 1, "M", 1);
  const float alpha = static_cast<float>(arg_finite(info, 2, "alpha"));
  auto a = arg_f32(info, 3, "a");
  const std::size_t lda = dim(info, 4, "lda");
  std::shared_ptr<const PackedB> pb = holder_arg(info, 5)->packed;
  if (!pb) throw_type_error(env, "'packed' was disposed");
  const std::size_t K = pb->K(), N = pb->N();
  const float beta = static_cast<float>(arg_finite(info, 6, "beta"));
  auto c = arg_f32(info, 7, "c");
  const std::size_t ldc = dim(info, 8, "ldc");
  const Epi epi = arg_epilogue(info, 9, N);
  if (lda < (ta ? M : K)) throw_range_error(env, "'lda' must be >= " + std::to_string(ta ? M : K) + ", got " + std::to_string(lda));
  if (ldc < N) throw_range_error(env, "'ldc' must be >= N = " + std::to_string(N) + ", got " + std::to_string(ldc));
  check_len(env, "a", a.length, extent(ta ? K : M, ta ? M : K, lda, 1, 0), "op(A)");
  check_len(env, "c", c.length, extent(M, N, ldc, 1, 0), "C");
  return [=](const CancelToken& cancel) {
    cancel.check();
    sgemm_packed(ta, M, alpha, a.data, lda, *pb, beta, c.data, ldc,
                 epi.has_bias || epi.e.act != Activation::none ? &epi.e : nullptr, &cancel);
  };
}

// matmul()'s 2-D call. A 64^3 product takes ~2.7 us in the kernel, and sgemm's 16 arguments cost
// ~0.4 us around it: node-addon-api's CallbackInfo holds 6 arguments inline and heap-allocates
// (and queries napi_get_cb_info twice) past that, ten numbers are converted one N-API call each,
// the activation name is read as a string, and the work goes through a std::function Job. Here:
// 4 arguments (inline), the sizes read from one Int32Array, C++ called directly. While a
// recording is active (step capture) the call is queued like every other job.
Napi::Value sgemm_lean(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto a = arg_f32(info, 0, "a");
  auto b = arg_f32(info, 1, "b");
  auto c = arg_f32(info, 2, "c");
  auto d = arg_i32(info, 3, "desc");
  if (d.length < 7) throw_range_error(env, "'desc' must have 7 elements, got " + std::to_string(d.length));
  const std::int32_t flags = d.data[0];
  if (flags < 0 || flags > 3) throw_range_error(env, "'desc[0]' (flags) must be in [0, 3], got " + std::to_string(flags));
  static const char* const names[] = {"M", "N", "K", "lda", "ldb", "ldc"};
  for (int i = 1; i < 7; ++i)
    if (d.data[i] < 0)
      throw_range_error(env, std::string("'desc[") + std::to_string(i) + "]' (" + names[i - 1] +
                                 ") must be >= 0, got " + std::to_string(d.data[i]));
  const bool ta = flags & 1, tb = flags & 2;
  const std::size_t M = d.data[1], N = d.data[2], K = d.data[3];
  const std::size_t lda = d.data[4], ldb = d.data[5], ldc = d.data[6];
  check_operands(env, ta, tb, M, N, K, lda, ldb, ldc, a.length, b.length, c.length);
  if (instance(env).recording.active) {
    Job job = [=](const CancelToken& cancel) {
      cancel.check();
      sgemm(ta, tb, M, N, K, 1.f, a.data, lda, b.data, ldb, 0.f, c.data, ldc);
    };
    if (record_if_active(info, job, "sgemmLean")) return env.Undefined();
  }
  sgemm(ta, tb, M, N, K, 1.f, a.data, lda, b.data, ldb, 0.f, c.data, ldc);
  return env.Undefined();
}

}  // namespace

CONVKIT_BINDING(gemm) {
  def(env, exports, "sgemmLean", &sgemm_lean);
  def(env, exports, "gemmPack", &gemm_pack);
  def(env, exports, "gemmPackDispose", &gemm_pack_dispose);
  def(env, exports, "gemmPackBytes", &gemm_pack_bytes);
  def_job(env, exports, "sgemmPacked", 12, &prepare_sgemm_packed);
  def_job(env, exports, "sgemm", 16, &prepare_sgemm);
  def_job(env, exports, "sgemmBatched", 20, &prepare_sgemm_batched);
}

}  // namespace convkit::binding
