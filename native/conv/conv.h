// The convolution operator and the one-shot forward/backward entry points.
//
// Lifecycle (inference): ConvOp op(desc, weights, bias, algorithm)   -- create: validates, copies the
//   weights, picks the algorithm (auto: select_conv_algorithm or the autotune cache) and pre-transforms
//   the filter (Winograd U, FFT spectra, im2col's GEMM panels);
//   op.reshape(new_desc)             -- new batch/spatial size: re-picks (auto) and keeps transforms;
//   op.workspace_floats()            -- scratch the caller provides to run (or 0 and null: allocated);
//   op.run(x, y, ws, cancel)         -- executes, parallel over the thread pool, cancel checked per tile.
// Training (weights change every step) uses the one-shot functions, which return the algorithm run.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "conv/conv_desc.h"
#include "conv/conv_select.h"
#include "dispatch/cpu.h"
#include "gemm/gemm.h"
#include "runtime/errors.h"

namespace convkit {

struct WinogradWeights;
struct WinogradS2Weights;
struct FftWeights;

class ConvOp {
 public:
  ConvOp(const ConvDesc& d, const float* w, const float* bias, ConvAlgorithm a = ConvAlgorithm::auto_);
  ~ConvOp();
  ConvOp(const ConvOp&) = delete;
  ConvOp& operator=(const ConvOp&) = delete;

  void reshape(const ConvDesc& d);
  const ConvDesc& desc() const { return d_; }
  ConvAlgorithm algorithm() const { return algo_; }  // concrete (never auto)
  std::size_t workspace_floats() const;
  // Memory the operator holds for its weights: the copies plus every prepared form (Winograd U
  // and its packed panels, FFT spectra, im2col's packed filter). For external-memory accounting.
  std::size_t prepared_bytes() const;
  void run(const float* x, float* y, float* ws = nullptr, const CancelToken& cancel = {}) const;

 private:
  void prepare();
  ConvDesc d_;
  ConvAlgorithm requested_, algo_ = ConvAlgorithm::direct;
  std::vector<float> w_, b_;
  std::unique_ptr<WinogradWeights> wino_;
  std::unique_ptr<WinogradS2Weights> wino_s2_;  // stride-2 7x7 form (winograd_s2.h)
  std::unique_ptr<FftWeights> fft_;
  // im2col: each group's filter packed once for the GEMM, under packed_isa_ (a run under another
  // ISA, as tests force, uses the raw filter instead).
  std::vector<std::unique_ptr<PackedB>> packed_;
  std::vector<const PackedB*> packed_view_;  // the same, as the kernel takes them
  Isa packed_isa_ = Isa::scalar;
};

// One-shot passes. `a` may be auto; the concrete algorithm that ran is returned.
ConvAlgorithm conv_forward(const ConvDesc& d, ConvAlgorithm a, const float* x, const float* w, const float* bias,
                           float* y, const CancelToken& cancel = {});
ConvAlgorithm conv_dgrad(const ConvDesc& d, ConvAlgorithm a, const float* dy, const float* w, float* dx,
                         const CancelToken& cancel = {});
ConvAlgorithm conv_wgrad(const ConvDesc& d, ConvAlgorithm a, const float* x, const float* dy, float* dw, float* db,
                         const CancelToken& cancel = {});

// Autotune (opt-in, like cuDNN's benchmark mode): when on, 'auto' times every applicable algorithm
// the first time it meets a (descriptor, pass, ISA, threads) key, on the call's own data, and caches
// the fastest in memory. The cache can be saved to / loaded from a small JSON file.
void set_conv_autotune(bool on);
bool conv_autotune();
void conv_autotune_clear();
std::size_t conv_autotune_size();
void conv_autotune_save(const std::string& path);  // {"<key>": "<algorithm>", ...}
void conv_autotune_load(const std::string& path);  // merges; throws InvalidArgument on a bad file
// The cached choice for (d, p), or auto_ if none.
ConvAlgorithm conv_autotune_lookup(const ConvDesc& d, ConvPass p);

// The concrete algorithm a one-shot pass with `a` would run, decided without running anything:
// `a` itself when forced (after the Winograd variant is resolved and support is checked), the
// autotune cache's entry, or the cost model's choice. Returns auto_ only when autotune is on and
// (d, p) has not been timed yet. Used when work is queued for later (deferred execution).
ConvAlgorithm conv_resolve_algorithm(const ConvDesc& d, ConvPass p, ConvAlgorithm a);

}  // namespace convkit
