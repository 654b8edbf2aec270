// Tensor storage across N-API: native 64-byte aligned blocks exposed as external ArrayBuffers.
//
//  alloc(bytes, zero) -> ArrayBuffer   a new block; freed by free() or, failing that, when the
//                                      ArrayBuffer is garbage collected (finalizer).
//  free(buffer) -> boolean             detaches the ArrayBuffer (every view of it becomes empty,
//                                      never dangling) and frees the block at once.
//  memoryStats()                       live bytes/blocks of the process-wide registry, and the
//                                      bytes of freed blocks cached for reuse.
//  releaseCachedMemory()               returns the cached free blocks to the OS.
#include "binding/binding.h"
#include "binding/instance.h"
#include "runtime/tensor_memory.h"

#include <cstring>
#include <string>

namespace convkit::binding {
namespace {

// No Napi::MemoryManagement::AdjustExternalMemory here: V8 already counts the byte length of every
// ArrayBuffer backing store, external ones included, as external memory in its GC heuristics.
// Measured (Node 20, test/memory.test.ts and a probe allocating 24 GB as 3000 x 8 MB buffers with
// no dispose): live native memory peaked at 488 MB without adjusting, 360 MB when also adjusting
// (double counting). So adjusting would only count the bytes twice.

struct Hint {
  std::uint64_t id;
  std::size_t bytes;
};

void finalize(napi_env env, void* data, void* hint) {
  auto* h = static_cast<Hint*>(hint);
  (void)env;
  tensor_release(data, h->id);  // no-op when free() came first
  delete h;
}

Napi::Value alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = static_cast<std::size_t>(arg_int(info, 0, "bytes", 0, (std::int64_t{1} << 40)));
  bool zero = info.Length() > 1 ? arg_bool(info, 1, "zero") : true;
  TensorBlock b = tensor_alloc(bytes, zero);
  auto* hint = new Hint{b.id, bytes};
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, b.data, bytes, finalize, hint, &ab);
  if (st != napi_ok) {
    tensor_release(b.data, b.id);
    delete hint;
    throw Napi::Error::New(env, "convkit: napi_create_external_arraybuffer failed (status " + std::to_string(st) + ")");
  }
  ++instance(env).allocations;
  return Napi::Value(env, ab);
}

Napi::Value free_buffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer())
    throw_type_error(env, "'buffer' must be an ArrayBuffer returned by alloc()");
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  void* data = ab.Data();
  if (data == nullptr) return Napi::Boolean::New(env, false);  // already detached
  long long size = tensor_block_size(data);
  if (size < 0 || static_cast<std::size_t>(size) != ab.ByteLength()) return Napi::Boolean::New(env, false);
  napi_status st = napi_detach_arraybuffer(env, ab);
  if (st != napi_ok) throw Napi::Error::New(env, "convkit: could not detach the tensor's ArrayBuffer");
  // The ArrayBuffer is detached, so no JavaScript view can reach the block any more: free it now
  // rather than when the finalizer runs (which is after the next GC or event-loop turn).
  tensor_free(data);
  return Napi::Boolean::New(env, true);
}

Napi::Value memory_stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TensorMemoryStats s = tensor_memory_stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("liveBytes", static_cast<double>(s.live_bytes));
  o.Set("liveBuffers", static_cast<double>(s.live_blocks));
  o.Set("totalAllocations", static_cast<double>(s.total_allocations));
  o.Set("peakBytes", static_cast<double>(s.peak_bytes));
  o.Set("cachedBytes", static_cast<double>(s.cached_bytes));
  o.Set("cacheHits", static_cast<double>(s.cache_hits));
  o.Set("instanceAllocations", static_cast<double>(instance(env).allocations));
  return o;
}

Napi::Value release_cache(const Napi::CallbackInfo& info) {
  tensor_cache_release();
  return info.Env().Undefined();
}

// copyBuffer(src, dst): dst <- src, typed arrays of the same byte length (Tensor.clone under
// deferred execution, where the copy must wait its turn in the queue).
Job prepare_copy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || !info[1].IsTypedArray())
    throw_type_error(env, "copyBuffer(src, dst): both must be typed arrays");
  auto src = info[0].As<Napi::TypedArray>();
  auto dst = info[1].As<Napi::TypedArray>();
  if (src.ByteLength() != dst.ByteLength())
    throw_range_error(env, "copyBuffer: src has " + std::to_string(src.ByteLength()) + " bytes, dst " +
                               std::to_string(dst.ByteLength()));
  const auto* s = static_cast<const char*>(src.ArrayBuffer().Data()) + src.ByteOffset();
  auto* d = static_cast<char*>(dst.ArrayBuffer().Data()) + dst.ByteOffset();
  const std::size_t n = src.ByteLength();
  return [s, d, n](const CancelToken&) {
    if (n) std::memcpy(d, s, n);
  };
}

Napi::Value is_aligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArrayBuffer()) throw_type_error(env, "'buffer' must be an ArrayBuffer");
  auto addr = reinterpret_cast<std::uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  return Napi::Boolean::New(env, addr % 64 == 0);
}

}  // namespace

CONVKIT_BINDING(memory) {
  def(env, exports, "alloc", &alloc);
  def(env, exports, "free", &free_buffer);
  def(env, exports, "memoryStats", &memory_stats);
  def(env, exports, "isAligned", &is_aligned);
  def_job(env, exports, "copyBuffer", 2, &prepare_copy);
  def(env, exports, "releaseCachedMemory", &release_cache);
}

}  // namespace convkit::binding
