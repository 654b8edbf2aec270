#include "conv/conv.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "conv/conv_direct.h"
#include "conv/conv_fft.h"
#include "conv/conv_im2col.h"
#include "conv/conv_transform.h"
#include "conv/winograd.h"
#include "conv/winograd_s2.h"
#include "conv/winograd_wgrad.h"
#include "dispatch/cpu.h"
#include "runtime/thread_pool.h"

namespace convkit {
namespace {

int wino_m(ConvAlgorithm a) { return a == ConvAlgorithm::winograd_f2 ? 2 : 4; }
bool is_wino(ConvAlgorithm a) { return a == ConvAlgorithm::winograd_f2 || a == ConvAlgorithm::winograd_f4; }

// ---- autotune cache ----
std::mutex g_mu;
bool g_autotune = false;
std::map<std::string, ConvAlgorithm> g_cache;

std::string tune_key(const ConvDesc& d, ConvPass p) {
  std::ostringstream s;
  s << conv_pass_name(p) << "|" << d.str() << "|" << isa_name(active_isa()) << "|t" << num_threads();
  return s.str();
}

// Runs pass p of d with a concrete algorithm (already checked).
void run_concrete(const ConvDesc& d, ConvPass p, ConvAlgorithm a, const float* in0, const float* in1,
                  const float* bias, float* out0, float* out1, const CancelToken& cancel);

template <class Run>
ConvAlgorithm choose(const ConvDesc& d, ConvPass p, ConvAlgorithm a, Run run) {
  a = resolve_winograd(d, p, a);
  if (a != ConvAlgorithm::auto_) {
    check_conv_supported(d, p, a);
    return a;
  }
  bool tune;
  {
    std::lock_guard<std::mutex> lk(g_mu);
    tune = g_autotune;
    auto it = g_cache.find(tune_key(d, p));
    if (tune && it != g_cache.end()) return it->second;
  }
  if (!tune) return select_conv_algorithm(d, p);
  ConvAlgorithm best = select_conv_algorithm(d, p);
  double best_t = 1e300;
  for (ConvAlgorithm c : {ConvAlgorithm::direct, ConvAlgorithm::im2col, ConvAlgorithm::winograd_f2,
                          ConvAlgorithm::winograd_f4, ConvAlgorithm::fft, ConvAlgorithm::winograd_s2}) {
    if (!conv_unsupported_reason(d, p, c).empty()) continue;
    auto t0 = std::chrono::steady_clock::now();
    run(c);
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (t < best_t) best_t = t, best = c;
  }
  std::lock_guard<std::mutex> lk(g_mu);
  g_cache[tune_key(d, p)] = best;
  return best;
}

void forward_with(const ConvDesc& d, ConvAlgorithm a, const float* x, const float* w, const float* bias, float* y,
                  const CancelToken& cancel) {
  switch (a) {
    case ConvAlgorithm::direct: conv_direct_forward(d, x, w, bias, y, cancel); return;
    case ConvAlgorithm::im2col: conv_im2col_forward(d, x, w, bias, y, nullptr, cancel); return;
    case ConvAlgorithm::winograd_f2:
    case ConvAlgorithm::winograd_f4: {
      WinogradWeights U;
      winograd_prepare(d, wino_m(a), w, &U);
      conv_winograd_forward(d, U, x, bias, y, nullptr, cancel);
      return;
    }
    case ConvAlgorithm::winograd_s2: {
      WinogradS2Weights U;
      winograd_s2_prepare(d, w, &U);
      conv_winograd_s2_forward(d, U, x, bias, y, nullptr, cancel);
      return;
    }
    case ConvAlgorithm::fft: {
      FftWeights F;
      fft_prepare(d, w, &F);
      conv_fft_forward(d, F, x, bias, y, nullptr, cancel);
      return;
    }
    default: throw Unsupported("conv: no concrete algorithm");
  }
}

void run_concrete(const ConvDesc& d, ConvPass p, ConvAlgorithm a, const float* in0, const float* in1,
                  const float* bias, float* out0, float* out1, const CancelToken& cancel) {
  if (p == ConvPass::forward) return forward_with(d, a, in0, in1, bias, out0, cancel);
  if (p == ConvPass::wgrad) {
    if (a == ConvAlgorithm::direct) return conv_direct_wgrad(d, in0, in1, out0, out1, cancel);
    if (a == ConvAlgorithm::winograd_f2) return conv_winograd_wgrad(d, in0, in1, out0, out1, cancel);
    return conv_im2col_wgrad(d, in0, in1, out0, out1, nullptr, cancel);
  }
  // dgrad
  if (a == ConvAlgorithm::direct) return conv_direct_dgrad(d, in0, in1, out0, cancel);
  if (a == ConvAlgorithm::im2col) return conv_im2col_dgrad(d, in0, in1, out0, nullptr, cancel);
  ConvDesc f;
  std::string why = dgrad_as_forward(d, &f);
  if (!why.empty()) throw Unsupported(why);
  std::vector<float> wf(d.filter_size());
  dgrad_filter(d, in1, wf.data());
  forward_with(f, a, in0, wf.data(), nullptr, out0, cancel);
}

}  // namespace

// ---- operator ----
ConvOp::ConvOp(const ConvDesc& d, const float* w, const float* bias, ConvAlgorithm a) : d_(d), requested_(a) {
  d_.finalize();
  w_.assign(w, w + d_.filter_size());
  if (d_.has_bias) {
    if (!bias) throw InvalidArgument("conv: has_bias set but no bias given");
    b_.assign(bias, bias + d_.K);
  }
  prepare();
}
ConvOp::~ConvOp() = default;

void ConvOp::prepare() {
  ConvAlgorithm want = resolve_winograd(d_, ConvPass::forward, requested_);
  if (want == ConvAlgorithm::auto_) {
    ConvAlgorithm cached = conv_autotune() ? conv_autotune_lookup(d_, ConvPass::forward) : ConvAlgorithm::auto_;
    want = cached != ConvAlgorithm::auto_ ? cached : select_conv_algorithm(d_, ConvPass::forward);
  }
  check_conv_supported(d_, ConvPass::forward, want);
  if (is_wino(want) && (!wino_ || wino_->m != wino_m(want))) {
    wino_ = std::make_unique<WinogradWeights>();
    winograd_prepare(d_, wino_m(want), w_.data(), wino_.get());
  }
  // Winograd's transformed filters are packed once when they are cache-sized. A large one (F2 on
  // 512 -> 512: 16.8 MB) comes from memory on every call anyway, and there the per-call packing
  // loop streams it faster than the micro-kernel reading prepacked panels does (7x7x512 at batch 1,
  // caches flushed: 1.22-1.50 ms repacking vs 1.74-1.77 prepacked; 14x14x256, 4.2 MB: 0.86-0.88 vs
  // 0.76-0.77; chrt -f 60, 2026-12-07).
  constexpr std::size_t kPackedWinogradMaxBytes = 8u << 20;
  if (is_wino(want) && wino_->packed_isa != active_isa()) wino_->packed.clear();
  const std::size_t wa = static_cast<std::size_t>(wino_m(want)) + 2;
  if (is_wino(want) && wino_->packed.empty() && wa * wa * d_.C * d_.K * sizeof(float) <= kPackedWinogradMaxBytes)
    winograd_pack(wino_.get());
  if (want == ConvAlgorithm::winograd_s2 && !wino_s2_) {
    wino_s2_ = std::make_unique<WinogradS2Weights>();
    winograd_s2_prepare(d_, w_.data(), wino_s2_.get());
  }
  if (want == ConvAlgorithm::fft && (!fft_ || fft_->L != fft_tile_size(d_))) {
    fft_ = std::make_unique<FftWeights>();
    fft_prepare(d_, w_.data(), fft_.get());
  }
  if (want == ConvAlgorithm::im2col && (packed_.empty() || packed_isa_ != active_isa())) {
    // The filter is already the [T*Cin_g, Cout] right-hand matrix (HWIO); group g is its column
    // block g*Cout_g. The reshape contract keeps kernel, channels and groups, so this stays valid.
    packed_.clear();
    packed_view_.clear();
    packed_isa_ = active_isa();
    const std::size_t kk = d_.taps() * d_.cin_g(), og = d_.cout_g();
    for (std::size_t g = 0; g < d_.groups; ++g) {
      packed_.push_back(pack_b(false, kk, og, w_.data() + g * og, d_.K));
      packed_view_.push_back(packed_.back().get());
    }
  }
  algo_ = want;
}

void ConvOp::reshape(const ConvDesc& d) {
  ConvDesc n = d;
  n.finalize();
  if (n.C != d_.C || n.K != d_.K || n.kernel != d_.kernel || n.groups != d_.groups)
    throw InvalidArgument("conv: reshape may change batch, spatial size and padding only (" + n.str() + ")");
  n.has_bias = d_.has_bias;
  n.act = d_.act;
  n.leaky_alpha = d_.leaky_alpha;
  d_ = n;
  prepare();
}

std::size_t ConvOp::prepared_bytes() const {
  std::size_t b = (w_.size() + b_.size()) * sizeof(float);
  if (wino_) {
    const std::size_t a = static_cast<std::size_t>(wino_->m) + 2;
    b += a * a * wino_->C * wino_->K * sizeof(float);
    for (const auto& p : wino_->packed) b += p->bytes();
  }
  if (wino_s2_) b += 36 * 4 * wino_s2_->C * wino_s2_->K * sizeof(float);
  if (fft_) b += fft_->L * (fft_->L / 2 + 1) * 4 * fft_->C * fft_->K * sizeof(float);
  for (const auto& p : packed_) b += p->bytes();
  return b;
}

std::size_t ConvOp::workspace_floats() const {
  switch (algo_) {
    case ConvAlgorithm::im2col: return im2col_forward_workspace(d_);
    case ConvAlgorithm::winograd_f2:
    case ConvAlgorithm::winograd_f4: return winograd_workspace(d_, wino_m(algo_));
    case ConvAlgorithm::winograd_s2: return winograd_s2_workspace(d_);
    case ConvAlgorithm::fft: return fft_workspace(d_);
    default: return 0;
  }
}

void ConvOp::run(const float* x, float* y, float* ws, const CancelToken& cancel) const {
  const float* b = d_.has_bias ? b_.data() : nullptr;
  switch (algo_) {
    case ConvAlgorithm::direct: conv_direct_forward(d_, x, w_.data(), b, y, cancel); return;
    case ConvAlgorithm::im2col: {
      if (packed_isa_ != active_isa() || packed_.size() != d_.groups) {
        conv_im2col_forward(d_, x, w_.data(), b, y, ws, cancel);
        return;
      }
      conv_im2col_forward_packed(d_, x, packed_view_.data(), b, y, ws, cancel);
      return;
    }
    case ConvAlgorithm::winograd_f2:
    case ConvAlgorithm::winograd_f4: conv_winograd_forward(d_, *wino_, x, b, y, ws, cancel); return;
    case ConvAlgorithm::winograd_s2: conv_winograd_s2_forward(d_, *wino_s2_, x, b, y, ws, cancel); return;
    case ConvAlgorithm::fft: conv_fft_forward(d_, *fft_, x, b, y, ws, cancel); return;
    default: throw Unsupported("conv: operator has no algorithm");
  }
}

// ---- one-shot ----
ConvAlgorithm conv_forward(const ConvDesc& d, ConvAlgorithm a, const float* x, const float* w, const float* bias,
                           float* y, const CancelToken& cancel) {
  ConvAlgorithm c = choose(d, ConvPass::forward, a, [&](ConvAlgorithm t) { forward_with(d, t, x, w, bias, y, cancel); });
  forward_with(d, c, x, w, bias, y, cancel);
  return c;
}

ConvAlgorithm conv_dgrad(const ConvDesc& d, ConvAlgorithm a, const float* dy, const float* w, float* dx,
                         const CancelToken& cancel) {
  auto run = [&](ConvAlgorithm t) { run_concrete(d, ConvPass::dgrad, t, dy, w, nullptr, dx, nullptr, cancel); };
  ConvAlgorithm c = choose(d, ConvPass::dgrad, a, run);
  run(c);
  return c;
}

ConvAlgorithm conv_wgrad(const ConvDesc& d, ConvAlgorithm a, const float* x, const float* dy, float* dw, float* db,
                         const CancelToken& cancel) {
  auto run = [&](ConvAlgorithm t) { run_concrete(d, ConvPass::wgrad, t, x, dy, nullptr, dw, db, cancel); };
  ConvAlgorithm c = choose(d, ConvPass::wgrad, a, run);
  run(c);
  return c;
}

// ---- autotune API ----
void set_conv_autotune(bool on) {
  std::lock_guard<std::mutex> lk(g_mu);
  g_autotune = on;
}
bool conv_autotune() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_autotune;
}
void conv_autotune_clear() {
  std::lock_guard<std::mutex> lk(g_mu);
  g_cache.clear();
}
std::size_t conv_autotune_size() {
  std::lock_guard<std::mutex> lk(g_mu);
  return g_cache.size();
}
ConvAlgorithm conv_autotune_lookup(const ConvDesc& d, ConvPass p) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_cache.find(tune_key(d, p));
  return it == g_cache.end() ? ConvAlgorithm::auto_ : it->second;
}

void conv_autotune_save(const std::string& path) {
  std::lock_guard<std::mutex> lk(g_mu);
  std::ofstream f(path);
  if (!f) throw InvalidArgument("conv autotune: cannot write " + path);
  f << "{\n";
  std::size_t i = 0;
  for (auto& kv : g_cache)
    f << "  \"" << kv.first << "\": \"" << conv_algorithm_name(kv.second) << "\"" << (++i < g_cache.size() ? ",\n" : "\n");
  f << "}\n";
}

void conv_autotune_load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw InvalidArgument("conv autotune: cannot read " + path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string s = ss.str();
  // The file is the flat string->string object written by conv_autotune_save (keys hold no quotes).
  std::map<std::string, ConvAlgorithm> got;
  std::size_t pos = s.find('{');
  if (pos == std::string::npos) throw InvalidArgument("conv autotune: " + path + " is not a JSON object");
  while (true) {
    std::size_t k0 = s.find('"', pos + 1);
    if (k0 == std::string::npos) break;
    std::size_t k1 = s.find('"', k0 + 1), v0 = s.find('"', k1 + 1), v1 = s.find('"', v0 + 1);
    if (k1 == std::string::npos || v0 == std::string::npos || v1 == std::string::npos)
      throw InvalidArgument("conv autotune: malformed " + path);
    ConvAlgorithm a;
    if (!parse_conv_algorithm(s.substr(v0 + 1, v1 - v0 - 1), &a) || a == ConvAlgorithm::auto_)
      throw InvalidArgument("conv autotune: unknown algorithm in " + path);
    got[s.substr(k0 + 1, k1 - k0 - 1)] = a;
    pos = v1;
  }
  std::lock_guard<std::mutex> lk(g_mu);
  for (auto& kv : got) g_cache[kv.first] = kv.second;
}

ConvAlgorithm conv_resolve_algorithm(const ConvDesc& d, ConvPass p, ConvAlgorithm a) {
  a = resolve_winograd(d, p, a);
  if (a != ConvAlgorithm::auto_) {
    check_conv_supported(d, p, a);
    return a;
  }
  if (!conv_autotune()) return select_conv_algorithm(d, p);
  return conv_autotune_lookup(d, p);
}

}  // namespace convkit
