// Inference plan (native/plan): a small residual/multi-branch network built as a plan and run on
// every ISA, against a plain double-precision forward pass written here (conv via conv_reference.h,
// everything else inline). Also: arena reuse and in-place steps, outputs that alias inputs or each
// other, repeated runs reusing the arena, ISA switches (dense repacking), plans for two batch sizes
// sharing their prepared weights, runtime batch (run_batch with n < N) step by step and sample-parallel,
// small runs on the calling thread (bit-identical to pooled ones), per-step profiling, and
// descriptor errors.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "conv_reference.h"
#include "plan/plan.h"
#include "runtime/thread_pool.h"
#include "test_util.h"

using namespace convkit;
using namespace convkit::test;

namespace {

constexpr std::size_t N = 3, H = 7, W = 6, C = 5, K1 = 8, U = 4;

struct Net {
  std::vector<float> w1, b1, mean, var, gamma, beta, w2, wd, bd;
};

Net make_net() {
  Net n;
  n.w1 = random_vector(3 * 3 * C * K1, 1, -0.4f, 0.4f);
  n.b1 = random_vector(K1, 2);
  n.mean = random_vector(K1, 3);
  n.var = random_vector(K1, 4, 0.3f, 2.f);
  n.gamma = random_vector(K1, 5, 0.5f, 1.5f);
  n.beta = random_vector(K1, 6);
  n.w2 = random_vector(1 * 1 * C * K1, 7, -0.5f, 0.5f);
  n.wd = random_vector((2 * K1) * U, 8, -0.3f, 0.3f);
  n.bd = random_vector(U, 9);
  return n;
}

ConvDesc conv_desc(std::size_t k, bool bias, Activation act) {
  ConvDesc d;
  d.N = N;
  d.in = {1, H, W};
  d.C = C;
  d.K = K1;
  d.kernel = {1, k, k};
  d.has_bias = bias;
  d.act = act;
  return d;
}

// values: 0 x[N,H,W,C]; 1 conv3x3 same + bias + relu; 2 bn; 3 relu6; 4 conv1x1 (no bias);
// 5 add(3,4); 6 concat(5,2) [N,H,W,2K1]; 7 global avg pool [N,2K1]; 8 dense [N,U];
// 9 softmax; 10 flatten alias of 6 [N, H*W*2K1]; 11 maxpool 2x2 valid of 5.
PlanSpec make_spec(const Net& n, const std::vector<Shape>& shapes) {
  PlanSpec s;
  s.values = shapes;
  s.inputs = {0};
  s.outputs = {9, 10, 11};
  auto step = [&](PlanStepKind k, const char* name, std::vector<std::size_t> in, std::size_t out) {
    PlanStepSpec p;
    p.kind = k;
    p.name = name;
    p.inputs = std::move(in);
    p.output = out;
    return p;
  };
  PlanStepSpec c1 = step(PlanStepKind::conv, "c1", {0}, 1);
  c1.conv = conv_desc(3, true, Activation::relu);
  c1.padding = Padding::same;
  c1.weights = {{n.w1.data(), n.w1.size()}, {n.b1.data(), n.b1.size()}};
  s.steps.push_back(c1);
  PlanStepSpec bn = step(PlanStepKind::batch_norm, "bn", {1}, 2);
  bn.epsilon = 1e-3;
  bn.weights = {{n.mean.data(), K1}, {n.var.data(), K1}, {n.gamma.data(), K1}, {n.beta.data(), K1}};
  s.steps.push_back(bn);
  PlanStepSpec r6 = step(PlanStepKind::unary, "relu6", {2}, 3);
  r6.unary = UnaryOp::relu6;
  s.steps.push_back(r6);
  PlanStepSpec c2 = step(PlanStepKind::conv, "c2", {0}, 4);
  c2.conv = conv_desc(1, false, Activation::none);
  c2.padding = Padding::valid;
  c2.weights = {{n.w2.data(), n.w2.size()}};
  s.steps.push_back(c2);
  s.steps.push_back(step(PlanStepKind::add, "add", {3, 4}, 5));
  PlanStepSpec cat = step(PlanStepKind::concat, "cat", {5, 2}, 6);
  cat.axis = 3;
  s.steps.push_back(cat);
  PlanStepSpec gp = step(PlanStepKind::global_pool, "gap", {6}, 7);
  gp.pool_kind = PoolKind::avg;
  s.steps.push_back(gp);
  PlanStepSpec de = step(PlanStepKind::dense, "dense", {7}, 8);
  de.dense_k = 2 * K1;
  de.dense_n = U;
  de.weights = {{n.wd.data(), n.wd.size()}, {n.bd.data(), n.bd.size()}};
  s.steps.push_back(de);
  PlanStepSpec sm = step(PlanStepKind::softmax, "softmax", {8}, 9);
  sm.axis = 1;
  s.steps.push_back(sm);
  s.steps.push_back(step(PlanStepKind::alias, "flatten", {6}, 10));
  PlanStepSpec mp = step(PlanStepKind::pool, "maxpool", {5}, 11);
  mp.pool.N = N;
  mp.pool.in = {1, H, W};
  mp.pool.C = K1;
  mp.pool.window = {1, 2, 2};
  mp.pool.stride = {1, 2, 2};
  mp.padding = Padding::valid;
  mp.pool_kind = PoolKind::max;
  s.steps.push_back(mp);
  return s;
}

std::vector<Shape> net_shapes() {
  return {{N, H, W, C},      {N, H, W, K1}, {N, H, W, K1}, {N, H, W, K1}, {N, H, W, K1}, {N, H, W, K1},
          {N, H, W, 2 * K1}, {N, 2 * K1},   {N, U},        {N, U},        {N, H * W * 2 * K1}, {N, H / 2, W / 2, K1}};
}

// The same network in double precision.
struct Ref {
  std::vector<double> probs, cat, pool;
};

Ref reference(const Net& n, const std::vector<float>& x) {
  ConvDesc d1 = conv_desc(3, true, Activation::relu);
  apply_padding(d1, Padding::same);
  ConvDesc d2 = conv_desc(1, false, Activation::none);
  apply_padding(d2, Padding::valid);
  std::vector<double> a = ref_forward(d1, x.data(), n.w1.data(), n.b1.data());
  std::vector<double> c2 = ref_forward(d2, x.data(), n.w2.data(), nullptr);
  const std::size_t P = N * H * W;
  std::vector<double> bn(P * K1), sum(P * K1);
  for (std::size_t i = 0; i < P * K1; ++i) {
    std::size_t c = i % K1;
    bn[i] = (a[i] - n.mean[c]) / std::sqrt((double)n.var[c] + 1e-3) * n.gamma[c] + n.beta[c];
    double r6 = std::min(std::max(bn[i], 0.0), 6.0);
    sum[i] = r6 + c2[i];
  }
  Ref r;
  r.cat.resize(P * 2 * K1);
  for (std::size_t p = 0; p < P; ++p)
    for (std::size_t c = 0; c < K1; ++c) (r.cat[p * 2 * K1 + c] = sum[p * K1 + c], r.cat[p * 2 * K1 + K1 + c] = bn[p * K1 + c]);
  r.probs.resize(N * U);
  for (std::size_t b = 0; b < N; ++b) {
    std::vector<double> g(2 * K1, 0.0), z(U);
    for (std::size_t p = 0; p < H * W; ++p)
      for (std::size_t c = 0; c < 2 * K1; ++c) g[c] += r.cat[(b * H * W + p) * 2 * K1 + c] / (H * W);
    double mx = -1e300, den = 0;
    for (std::size_t u = 0; u < U; ++u) {
      z[u] = n.bd[u];
      for (std::size_t c = 0; c < 2 * K1; ++c) z[u] += g[c] * n.wd[c * U + u];
      mx = std::max(mx, z[u]);
    }
    for (std::size_t u = 0; u < U; ++u) den += std::exp(z[u] - mx);
    for (std::size_t u = 0; u < U; ++u) r.probs[b * U + u] = std::exp(z[u] - mx) / den;
  }
  r.pool.resize(N * (H / 2) * (W / 2) * K1);
  for (std::size_t b = 0; b < N; ++b)
    for (std::size_t i = 0; i < H / 2; ++i)
      for (std::size_t j = 0; j < W / 2; ++j)
        for (std::size_t c = 0; c < K1; ++c) {
          double m = -1e300;
          for (std::size_t di = 0; di < 2; ++di)
            for (std::size_t dj = 0; dj < 2; ++dj) m = std::max(m, sum[((b * H + 2 * i + di) * W + 2 * j + dj) * K1 + c]);
          r.pool[((b * (H / 2) + i) * (W / 2) + j) * K1 + c] = m;
        }
  return r;
}

void test_network() {
  Net n = make_net();
  auto shapes = net_shapes();
  std::vector<float> x = random_vector(N * H * W * C, 10);
  Ref ref = reference(n, x);
  for_each_isa([&](Isa) {
    Plan plan(make_spec(n, shapes));
    std::vector<float> probs(N * U), cat(N * H * W * 2 * K1), pool(N * (H / 2) * (W / 2) * K1);
    for (int rep = 0; rep < 3; ++rep) {  // the arena is reused run after run
      std::fill(probs.begin(), probs.end(), -1.f);
      plan.run({x.data()}, {probs.data(), cat.data(), pool.data()});
      double e1 = error_ratio(probs.data(), ref.probs.data(), probs.size(), 1e-5, 1e-4);
      double e2 = error_ratio(cat.data(), ref.cat.data(), cat.size(), 1e-5, 1e-4);
      double e3 = error_ratio(pool.data(), ref.pool.data(), pool.size(), 1e-5, 1e-4);
      CK_CHECK_MSG(e1 <= 1 && e2 <= 1 && e3 <= 1, "rep %d: probs %g cat %g pool %g", rep, e1, e2, e3);
    }
    // Values that are not alive together share arena slots; elementwise steps run in place.
    CK_CHECK(plan.arena_bytes() - plan.workspace_bytes() < plan.unshared_bytes());
    int in_place = 0;
    for (auto& s : plan.describe()) in_place += s.detail.find("in place") != std::string::npos;
    CK_CHECK_MSG(in_place >= 2, "in-place steps: %d", in_place);
  });
}

// run_batch: the batch-N plan runs the first n samples; each sample of the reference depends on
// that sample only, so the first n samples of the reference are the expected result. Buffers are
// n samples long (a guard float after them must stay untouched). Also per-step profiling.
void test_runtime_batch() {
  Net n = make_net();
  std::vector<float> x = random_vector(N * H * W * C, 10);
  Ref ref = reference(n, x);
  const std::size_t per_cat = H * W * 2 * K1, per_pool = (H / 2) * (W / 2) * K1;
  for_each_isa([&](Isa) {
    Plan plan(make_spec(n, net_shapes()));
    CK_CHECK(plan.batch() == N && plan.runtime_batch());
    // Small per-sample activations: sample-parallel runs (one chunk per thread) when threads allow.
    CK_CHECK(plan.sample_parallel_chunks() == (num_threads() >= 2 && N >= (std::size_t)num_threads() ? (std::size_t)num_threads() : 0));
    // Limit 0: every run may use the pool (this net is far below the default small-run limit).
    for (double lim : {0.0, Plan::default_small_run_flops()})
    for (bool sp : {true, false})
    for (std::size_t b : {std::size_t{1}, std::size_t{2}, N, std::size_t{1}}) {
      plan.set_small_run_flops(lim);
      plan.set_sample_parallel(sp);
      const float guard = 12345.f;
      std::vector<float> probs(b * U + 1, guard), cat(b * per_cat + 1, guard), pool(b * per_pool + 1, guard);
      plan.run_batch(b, {x.data()}, {probs.data(), cat.data(), pool.data()});
      double e1 = error_ratio(probs.data(), ref.probs.data(), b * U, 1e-5, 1e-4);
      double e2 = error_ratio(cat.data(), ref.cat.data(), b * per_cat, 1e-5, 1e-4);
      double e3 = error_ratio(pool.data(), ref.pool.data(), b * per_pool, 1e-5, 1e-4);
      CK_CHECK_MSG(e1 <= 1 && e2 <= 1 && e3 <= 1, "n=%zu sp=%d: probs %g cat %g pool %g", b, (int)sp, e1, e2, e3);
      CK_CHECK_MSG(probs.back() == guard && cat.back() == guard && pool.back() == guard, "n=%zu wrote past n samples", b);
    }
    for (std::size_t bad : {std::size_t{0}, N + 1}) {
      bool threw = false;
      std::vector<float> o((N + 1) * per_cat);
      try {
        plan.run_batch(bad, {x.data()}, {o.data(), o.data(), o.data()});
      } catch (const InvalidArgument& e) {
        threw = std::string(e.what()).find("built for batch 3") != std::string::npos;
      }
      CK_CHECK_MSG(threw, "n=%zu accepted", bad);
    }
    // Profiling: every non-alias step gets a time per run; off by default.
    CK_CHECK(plan.step_times().size() == plan.describe().size());
    plan.set_profiling(true);
    std::vector<float> probs(N * U), cat(N * per_cat), pool(N * per_pool);
    for (int r = 0; r < 2; ++r) plan.run({x.data()}, {probs.data(), cat.data(), pool.data()});
    auto t = plan.step_times();
    auto d = plan.describe();
    for (std::size_t i = 0; i < t.size(); ++i) {
      bool alias = d[i].kind == PlanStepKind::alias;
      CK_CHECK_MSG(t[i].runs == (alias ? 0u : 2u) && (alias || t[i].seconds > 0), "step %zu: %zu runs", i, t[i].runs);
    }
    plan.set_profiling(false);
    CK_CHECK(plan.step_times()[0].runs == 0);
  });
  // A softmax over axis 0 mixes samples: the plan runs its own batch only.
  PlanSpec s;
  s.values = {{4, 3}, {4, 3}};
  s.inputs = {0};
  s.outputs = {1};
  PlanStepSpec sm;
  sm.kind = PlanStepKind::softmax;
  sm.name = "sm";
  sm.inputs = {0};
  sm.output = 1;
  sm.axis = 0;
  s.steps.push_back(sm);
  Plan p(s);
  CK_CHECK(!p.runtime_batch());
  std::vector<float> a(12, 1.f), y(12);
  bool threw = false;
  try {
    p.run_batch(2, {a.data()}, {y.data()});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
  p.run_batch(4, {a.data()}, {y.data()});
  CK_CHECK(std::fabs(y[0] - 0.25f) < 1e-6f);
}

// Small runs stay on the calling thread (Plan::runs_on_caller): the plan's flop estimate lies
// between twice the conv and dense multiply-adds (counted here from the net's sizes) and that plus
// one per value element; a run of n samples is small when n / N of it is below the limit; and a
// run on the caller gives bit-identical results to a pooled one, for every n, step by step and
// sample-parallel, on every ISA. Bad limits are refused.
void test_small_runs() {
  Net n = make_net();
  std::vector<float> x = random_vector(N * H * W * C, 10);
  const double macs = double(N * H * W * K1) * (3 * 3 * C) + double(N * H * W * K1) * C + double(N) * (2 * K1) * U;
  double elements = 0;
  for (const auto& sh : net_shapes()) elements += double(shape_numel(sh));
  const std::size_t per_cat = H * W * 2 * K1, per_pool = (H / 2) * (W / 2) * K1;
  for_each_isa([&](Isa) {
    Plan plan(make_spec(n, net_shapes()));
    const double w = plan.work_flops();
    CK_CHECK_MSG(w >= 2 * macs && w <= 2 * macs + elements, "work %g, multiply-adds %g, elements %g", w, macs, elements);
    CK_CHECK(plan.small_run_flops() == Plan::default_small_run_flops());
    for (std::size_t b = 1; b <= N; ++b) {
      const double run = w / N * b;
      plan.set_small_run_flops(run * 1.01);
      CK_CHECK_MSG(plan.runs_on_caller(b), "n=%zu under the limit", b);
      plan.set_small_run_flops(run * 0.99);
      CK_CHECK_MSG(!plan.runs_on_caller(b), "n=%zu over the limit", b);
    }
    plan.set_small_run_flops(0);
    CK_CHECK(!plan.runs_on_caller(1));
    for (bool sp : {true, false})
      for (std::size_t b = 1; b <= N; ++b) {
        plan.set_sample_parallel(sp);
        std::vector<float> out[2][3];
        for (int caller = 0; caller < 2; ++caller) {
          plan.set_small_run_flops(caller ? 1e30 : 0);
          CK_CHECK(plan.runs_on_caller(b) == (caller == 1));
          auto& o = out[caller];
          o[0].assign(b * U, -1.f), o[1].assign(b * per_cat, -1.f), o[2].assign(b * per_pool, -1.f);
          plan.run_batch(b, {x.data()}, {o[0].data(), o[1].data(), o[2].data()});
        }
        for (int k = 0; k < 3; ++k)
          CK_CHECK_MSG(std::memcmp(out[0][k].data(), out[1][k].data(), out[0][k].size() * sizeof(float)) == 0,
                       "n=%zu sp=%d output %d: the run on the caller differs from the pooled run", b, (int)sp, k);
      }
    for (double bad : {-1.0, std::nan("")}) {
      bool threw = false;
      try {
        plan.set_small_run_flops(bad);
      } catch (const InvalidArgument&) {
        threw = true;
      }
      CK_CHECK_MSG(threw, "limit %g accepted", bad);
    }
  });
}

// Dense packed for one ISA keeps giving right answers after the active ISA changes.
void test_isa_switch() {
  const std::size_t M = 5, Kd = 37, Nd = 19;
  auto w = random_vector(Kd * Nd, 20), x = random_vector(M * Kd, 21), b = random_vector(Nd, 22);
  PlanSpec s;
  s.values = {{M, Kd}, {M, Nd}};
  s.inputs = {0};
  s.outputs = {1};
  PlanStepSpec d;
  d.kind = PlanStepKind::dense;
  d.name = "dense";
  d.inputs = {0};
  d.output = 1;
  d.dense_k = Kd;
  d.dense_n = Nd;
  d.act = Activation::relu;
  d.weights = {{w.data(), w.size()}, {b.data(), b.size()}};
  s.steps = {d};
  std::vector<double> want(M * Nd);
  for (std::size_t m = 0; m < M; ++m)
    for (std::size_t j = 0; j < Nd; ++j) {
      double acc = b[j];
      for (std::size_t k = 0; k < Kd; ++k) acc += (double)x[m * Kd + k] * w[k * Nd + j];
      want[m * Nd + j] = acc > 0 ? acc : 0;
    }
  Plan plan(s);  // packed for the default ISA
  for_each_isa([&](Isa) {
    std::vector<float> y(M * Nd);
    plan.run({x.data()}, {y.data()});
    CK_CHECK(error_ratio(y.data(), want.data(), y.size(), 1e-5, 1e-5) <= 1);
  });
}

// An output that is the input itself (identity model) or the same storage as another output is
// copied, not lost.
void test_output_aliases() {
  PlanSpec s;
  s.values = {{2, 3}, {2, 3}, {6}, {2, 3}};
  s.inputs = {0};
  s.outputs = {1, 3, 2};  // alias of input, relu, alias of the relu
  PlanStepSpec a;
  a.kind = PlanStepKind::alias;
  a.name = "identity";
  a.inputs = {0};
  a.output = 1;
  PlanStepSpec r;
  r.kind = PlanStepKind::unary;
  r.name = "relu";
  r.unary = UnaryOp::relu;
  r.inputs = {0};
  r.output = 3;
  PlanStepSpec f = a;
  f.name = "flatten";
  f.inputs = {3};
  f.output = 2;
  s.steps = {a, r, f};
  Plan plan(s);
  std::vector<float> x = {-1, 2, -3, 4, -5, 6}, o1(6), o2(6), o3(6);
  plan.run({x.data()}, {o1.data(), o2.data(), o3.data()});
  CK_CHECK(o1 == x);
  std::vector<float> want = {0, 2, 0, 4, 0, 6};
  CK_CHECK(o2 == want);
  CK_CHECK(o3 == want);
}

// Plans for two batch sizes sharing their prepared weights (PlanWeights): the second prepares
// nothing new, and runs alternating between them stay right (the shared ConvOp is re-shaped).
void test_shared_weights() {
  const std::size_t C2 = 16, K2 = 16, Hs = 9, Ws = 8;  // 16 channels: the cost model picks Winograd
  auto w = random_vector(3 * 3 * C2 * K2, 30, -0.2f, 0.2f), b = random_vector(K2, 31);
  auto wd = random_vector(K2 * 3, 32), bd = random_vector(3, 33);
  auto spec_for = [&](std::size_t n) {
    PlanSpec s;
    s.values = {{n, Hs, Ws, C2}, {n, Hs, Ws, K2}, {n, K2}, {n, 3}};
    s.inputs = {0};
    s.outputs = {3};
    PlanStepSpec c;
    c.kind = PlanStepKind::conv;
    c.name = "conv";
    c.inputs = {0};
    c.output = 1;
    c.conv.N = n;
    c.conv.in = {1, Hs, Ws};
    c.conv.C = C2;
    c.conv.K = K2;
    c.conv.kernel = {1, 3, 3};
    c.conv.has_bias = true;
    c.conv.act = Activation::relu;
    c.padding = Padding::same;
    c.weights = {{w.data(), w.size()}, {b.data(), b.size()}};
    PlanStepSpec g;
    g.kind = PlanStepKind::global_pool;
    g.name = "gap";
    g.inputs = {1};
    g.output = 2;
    g.pool_kind = PoolKind::avg;
    PlanStepSpec d;
    d.kind = PlanStepKind::dense;
    d.name = "dense";
    d.inputs = {2};
    d.output = 3;
    d.dense_k = K2;
    d.dense_n = 3;
    d.weights = {{wd.data(), wd.size()}, {bd.data(), bd.size()}};
    s.steps = {c, g, d};
    return s;
  };
  auto reference = [&](std::size_t n, const std::vector<float>& x) {
    ConvDesc cd;
    cd.N = n;
    cd.in = {1, Hs, Ws};
    cd.C = C2;
    cd.K = K2;
    cd.kernel = {1, 3, 3};
    cd.has_bias = true;
    cd.act = Activation::relu;
    apply_padding(cd, Padding::same);
    auto y = ref_forward(cd, x.data(), w.data(), b.data());
    std::vector<double> out(n * 3);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t u = 0; u < 3; ++u) {
        double acc = bd[u];
        for (std::size_t k = 0; k < K2; ++k) {
          double g = 0;
          for (std::size_t p = 0; p < Hs * Ws; ++p) g += y[(i * Hs * Ws + p) * K2 + k];
          acc += g / (Hs * Ws) * wd[k * 3 + u];
        }
        out[i * 3 + u] = acc;
      }
    return out;
  };
  auto shared = std::make_shared<PlanWeights>();
  Plan p4(spec_for(4), shared), p1(spec_for(1), shared);
  CK_CHECK(p4.new_weight_bytes() == p4.weight_bytes());
  CK_CHECK_MSG(p1.new_weight_bytes() == 0, "second plan prepared %zu new bytes", p1.new_weight_bytes());
  auto x4 = random_vector(4 * Hs * Ws * C2, 34), x1 = random_vector(Hs * Ws * C2, 35);
  auto r4 = reference(4, x4), r1 = reference(1, x1);
  for (int rep = 0; rep < 2; ++rep) {
    std::vector<float> y4(12), y1(3);
    p4.run({x4.data()}, {y4.data()});
    p1.run({x1.data()}, {y1.data()});
    CK_CHECK(error_ratio(y4.data(), r4.data(), 12, 1e-5, 1e-4) <= 1);
    CK_CHECK(error_ratio(y1.data(), r1.data(), 3, 1e-5, 1e-4) <= 1);
  }
  // A plan given other weights under the same step names does not reuse the shared ones.
  auto w_other = w;
  for (auto& v : w_other) v *= 2;
  PlanSpec s2 = spec_for(1);
  s2.steps[0].weights[0] = {w_other.data(), w_other.size()};
  Plan p_other(s2, shared);
  CK_CHECK(p_other.new_weight_bytes() > 0);
}

bool throws_invalid(const PlanSpec& s, const char* needle) {
  try {
    Plan p(s);
  } catch (const InvalidArgument& e) {
    bool ok = std::string(e.what()).find(needle) != std::string::npos;
    if (!ok) std::fprintf(stderr, "  message was: %s\n", e.what());
    return ok;
  }
  return false;
}

void test_errors() {
  Net n = make_net();
  auto shapes = net_shapes();
  {
    PlanSpec s = make_spec(n, shapes);
    s.steps[0].weights[0].size -= 1;
    CK_CHECK(throws_invalid(s, "plan step 'c1' (conv): filter: expected 360 floats, got 359"));
  }
  {
    PlanSpec s = make_spec(n, shapes);
    s.values[1] = {N, H, W, K1 + 1};
    CK_CHECK(throws_invalid(s, "plan step 'c1' (conv)"));
  }
  {
    PlanSpec s = make_spec(n, shapes);
    std::swap(s.steps[0], s.steps[1]);
    CK_CHECK(throws_invalid(s, "reads value 1 before any step produces it"));
  }
  {
    PlanSpec s = make_spec(n, shapes);
    s.steps[3].output = 1;
    CK_CHECK(throws_invalid(s, "is produced twice"));
  }
  {
    PlanSpec s = make_spec(n, shapes);
    s.values[10] = {N, 5};
    CK_CHECK(throws_invalid(s, "cannot view"));
  }
  {
    PlanSpec s = make_spec(n, shapes);
    s.steps[7].dense_k = 2 * K1 + 1;
    CK_CHECK(throws_invalid(s, "plan step 'dense' (dense): input: expected 17 features"));
  }
  Plan ok(make_spec(n, shapes));
  bool threw = false;
  try {
    std::vector<float> x(N * H * W * C);
    ok.run({x.data()}, {});
  } catch (const InvalidArgument&) {
    threw = true;
  }
  CK_CHECK(threw);
}

}  // namespace

// Plan rewrites (plan_fold.h): a zero padding folded into the conv after it, a batch norm into the
// conv (and into a dense step) before it, and a zero padding after the ReLU that follows into a
// max pooling; not folded: a batch norm whose conv output is also
// a plan output, and a zero padding before a max pooling of possibly negative values. Checked
// against a double-precision forward pass written out here (explicit zero padding, conv via
// ref_forward on the padded input, batch norm as (y - mean) / sqrt(var + eps) * gamma + beta),
// on every ISA, and the steps that remain.
//   values: 0 x[N,H,W,C]; 1 zp(1,2 / 1,0) [N,H+3,W+1,C]; 2 conv3x3 valid [N,H+1,W-1,K1];
//   3 bn; 4 relu; 5 zp(1,1 / 1,1) [N,H+3,W+1,K1]; 6 maxpool 3x3/2 valid [N,(H+3-3)/2+1,(W+1-3)/2+1,K1];
//   7 zp(1,1 / 1,1) of x; 8 maxpool 2x2/2 of 7; 9 conv1x1+bias of x (an output too); 10 bn of 9;
//   11 global avg pool of 6 [N,K1]; 12 dense [N,U] no bias; 13 bn of 12.
void test_folds() {
  Net n = make_net();
  const std::size_t H1 = H + 3, W1 = W + 1, Ho = H1 - 2, Wo = W1 - 2, H2 = Ho + 2, W2 = Wo + 2;
  const std::size_t Hp = (H2 - 3) / 2 + 1, Wp = (W2 - 3) / 2 + 1, Hq = (H + 2) / 2, Wq = (W + 2) / 2;
  std::vector<float> w3 = random_vector(3 * 3 * C * K1, 21, -0.4f, 0.4f), w1 = random_vector(C * K1, 22, -0.5f, 0.5f);
  std::vector<float> wd = random_vector(K1 * U, 23, -0.5f, 0.5f), md = random_vector(U, 24), vd = random_vector(U, 25, 0.2f, 2.f);
  std::vector<float> x = random_vector(N * H * W * C, 26);  // in [-1, 1): negative values reach the second max pooling
  PlanSpec s;
  s.values = {{N, H, W, C},    {N, H1, W1, C},   {N, Ho, Wo, K1}, {N, Ho, Wo, K1}, {N, Ho, Wo, K1},
              {N, H2, W2, K1}, {N, Hp, Wp, K1},  {N, H + 2, W + 2, C}, {N, Hq, Wq, C}, {N, H, W, K1},
              {N, H, W, K1},   {N, K1},          {N, U},          {N, U}};
  s.inputs = {0};
  s.outputs = {6, 8, 9, 10, 13};
  auto step = [&](PlanStepKind k, const char* name, std::size_t in, std::size_t out) {
    PlanStepSpec p;
    p.kind = k;
    p.name = name;
    p.inputs = {in};
    p.output = out;
    return p;
  };
  auto zp = [&](const char* name, std::size_t in, std::size_t out, std::size_t t, std::size_t b, std::size_t l, std::size_t r) {
    PlanStepSpec z = step(PlanStepKind::zero_pad, name, in, out);
    z.pad_before = {0, t, l};
    z.pad_after = {0, b, r};
    return z;
  };
  auto bn = [&](const char* name, std::size_t in, std::size_t out, const float* mean, const float* var, std::size_t c) {
    PlanStepSpec b = step(PlanStepKind::batch_norm, name, in, out);
    b.epsilon = 1e-3;
    b.weights = {{mean, c}, {var, c}, {n.gamma.data(), c}, {n.beta.data(), c}};
    return b;
  };
  auto maxpool = [&](const char* name, std::size_t in, std::size_t out, std::size_t h, std::size_t w, std::size_t c, std::size_t k) {
    PlanStepSpec p = step(PlanStepKind::pool, name, in, out);
    p.pool.N = N;
    p.pool.in = {1, h, w};
    p.pool.C = c;
    p.pool.window = {1, k, k};
    p.pool.stride = {1, 2, 2};
    p.padding = Padding::valid;
    p.pool_kind = PoolKind::max;
    return p;
  };
  s.steps.push_back(zp("pad1", 0, 1, 1, 2, 1, 0));
  PlanStepSpec c3 = step(PlanStepKind::conv, "conv1", 1, 2);
  c3.conv = conv_desc(3, false, Activation::none);
  c3.conv.in = {1, H1, W1};
  c3.padding = Padding::valid;
  c3.weights = {{w3.data(), w3.size()}};
  s.steps.push_back(c3);
  s.steps.push_back(bn("bn1", 2, 3, n.mean.data(), n.var.data(), K1));
  PlanStepSpec r = step(PlanStepKind::unary, "relu1", 3, 4);
  r.unary = UnaryOp::relu;
  s.steps.push_back(r);
  s.steps.push_back(zp("pad2", 4, 5, 1, 1, 1, 1));
  s.steps.push_back(maxpool("pool1", 5, 6, H2, W2, K1, 3));
  s.steps.push_back(zp("pad3", 0, 7, 1, 1, 1, 1));
  s.steps.push_back(maxpool("pool2", 7, 8, H + 2, W + 2, C, 2));
  PlanStepSpec c1 = step(PlanStepKind::conv, "conv2", 0, 9);
  c1.conv = conv_desc(1, true, Activation::none);
  c1.padding = Padding::valid;
  c1.weights = {{w1.data(), w1.size()}, {n.b1.data(), K1}};
  s.steps.push_back(c1);
  s.steps.push_back(bn("bn2", 9, 10, n.mean.data(), n.var.data(), K1));
  PlanStepSpec gp = step(PlanStepKind::global_pool, "gap", 6, 11);
  gp.pool_kind = PoolKind::avg;
  s.steps.push_back(gp);
  PlanStepSpec de = step(PlanStepKind::dense, "dense", 11, 12);
  de.dense_k = K1;
  de.dense_n = U;
  de.weights = {{wd.data(), wd.size()}};
  s.steps.push_back(de);
  s.steps.push_back(bn("bn3", 12, 13, md.data(), vd.data(), U));

  // Reference, double precision, every padding written out.
  auto pad = [](const std::vector<double>& a, std::size_t h, std::size_t w, std::size_t c, std::size_t t, std::size_t b,
                std::size_t l, std::size_t rr) {
    const std::size_t h2 = h + t + b, w2 = w + l + rr;
    std::vector<double> y(N * h2 * w2 * c, 0.0);
    for (std::size_t q = 0; q < N; ++q)
      for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j)
          for (std::size_t k = 0; k < c; ++k) y[((q * h2 + i + t) * w2 + j + l) * c + k] = a[((q * h + i) * w + j) * c + k];
    return y;
  };
  auto mpool = [](const std::vector<double>& a, std::size_t h, std::size_t w, std::size_t c, std::size_t k) {
    const std::size_t ho = (h - k) / 2 + 1, wo = (w - k) / 2 + 1;
    std::vector<double> y(N * ho * wo * c, -1e300);
    for (std::size_t q = 0; q < N; ++q)
      for (std::size_t i = 0; i < ho; ++i)
        for (std::size_t j = 0; j < wo; ++j)
          for (std::size_t ch = 0; ch < c; ++ch)
            for (std::size_t di = 0; di < k; ++di)
              for (std::size_t dj = 0; dj < k; ++dj) {
                double& m = y[((q * ho + i) * wo + j) * c + ch];
                m = std::max(m, a[((q * h + 2 * i + di) * w + 2 * j + dj) * c + ch]);
              }
    return y;
  };
  auto bn_ref = [&](std::vector<double> a, const float* mean, const float* var, std::size_t c) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::size_t k = i % c;
      a[i] = (a[i] - mean[k]) / std::sqrt((double)var[k] + 1e-3) * n.gamma[k] + n.beta[k];
    }
    return a;
  };
  std::vector<double> xd(x.begin(), x.end());
  std::vector<double> xp = pad(xd, H, W, C, 1, 2, 1, 0);
  std::vector<float> xpf(xp.begin(), xp.end());  // exact: the padded input is x and zeros
  ConvDesc d3 = conv_desc(3, false, Activation::none);
  d3.in = {1, H1, W1};
  apply_padding(d3, Padding::valid);
  std::vector<double> a = bn_ref(ref_forward(d3, xpf.data(), w3.data(), nullptr), n.mean.data(), n.var.data(), K1);
  for (auto& v : a) v = std::max(v, 0.0);
  std::vector<double> want_pool1 = mpool(pad(a, Ho, Wo, K1, 1, 1, 1, 1), H2, W2, K1, 3);
  std::vector<double> want_pool2 = mpool(pad(xd, H, W, C, 1, 1, 1, 1), H + 2, W + 2, C, 2);
  ConvDesc d1 = conv_desc(1, true, Activation::none);
  apply_padding(d1, Padding::valid);
  std::vector<double> want_conv2 = ref_forward(d1, x.data(), w1.data(), n.b1.data());
  std::vector<double> want_bn2 = bn_ref(want_conv2, n.mean.data(), n.var.data(), K1);
  std::vector<double> z(N * U, 0.0);
  for (std::size_t q = 0; q < N; ++q)
    for (std::size_t u = 0; u < U; ++u)
      for (std::size_t c = 0; c < K1; ++c) {
        double g = 0;
        for (std::size_t p = 0; p < Hp * Wp; ++p) g += want_pool1[(q * Hp * Wp + p) * K1 + c];
        z[q * U + u] += g / (Hp * Wp) * wd[c * U + u];
      }
  std::vector<double> want_bn3 = bn_ref(z, md.data(), vd.data(), U);

  // CONVKIT_PLAN_FOLD=0: nothing folded (12 steps: relu1 still fuses into bn1), same results.
  setenv("CONVKIT_PLAN_FOLD", "0", 1);
  {
    Plan plan(s);
    CK_CHECK_MSG(plan.describe().size() == 12, "unfolded steps: %zu", plan.describe().size());
    std::vector<float> p1(N * Hp * Wp * K1), p2(N * Hq * Wq * C), o2(N * H * W * K1), b2(N * H * W * K1), b3(N * U);
    plan.run({x.data()}, {p1.data(), p2.data(), o2.data(), b2.data(), b3.data()});
    CK_CHECK(error_ratio(p1.data(), want_pool1.data(), p1.size(), 1e-5, 1e-4) <= 1);
    CK_CHECK(error_ratio(b3.data(), want_bn3.data(), b3.size(), 1e-5, 1e-4) <= 1);
  }
  unsetenv("CONVKIT_PLAN_FOLD");
  for_each_isa([&](Isa) {
    Plan plan(s);
    std::vector<float> p1(N * Hp * Wp * K1), p2(N * Hq * Wq * C), o2(N * H * W * K1), b2(N * H * W * K1), b3(N * U);
    plan.run({x.data()}, {p1.data(), p2.data(), o2.data(), b2.data(), b3.data()});
    // Folding changes rounding only (W·s rounded once instead of (x·W)·s): float32 tolerances.
    const double e1 = error_ratio(p1.data(), want_pool1.data(), p1.size(), 1e-5, 1e-4);
    const double e2 = error_ratio(p2.data(), want_pool2.data(), p2.size(), 1e-30, 0);  // max and zeros: exact
    const double e3 = error_ratio(o2.data(), want_conv2.data(), o2.size(), 1e-5, 1e-4);
    const double e4 = error_ratio(b2.data(), want_bn2.data(), b2.size(), 1e-5, 1e-4);
    const double e5 = error_ratio(b3.data(), want_bn3.data(), b3.size(), 1e-5, 1e-4);
    CK_CHECK_MSG(e1 <= 1 && e2 <= 1 && e3 <= 1 && e4 <= 1 && e5 <= 1, "pool1 %g pool2 %g conv2 %g bn2 %g bn3 %g", e1, e2, e3, e4, e5);
    // What remains: conv1 (+pad1, +bn1), relu1, pool1 (+pad2), pad3, pool2, conv2, bn2, gap, dense (+bn3).
    std::vector<PlanStepInfo> info = plan.describe();
    std::string got;
    for (auto& st : info) got += st.name + "[" + st.detail + "] ";
    CK_CHECK_MSG(info.size() == 9, "steps: %s", got.c_str());
    auto detail = [&](const char* name) {
      for (auto& st : info)
        if (st.name == name) return st.detail;
      return std::string("(none)");
    };
    CK_CHECK_MSG(detail("conv1").find("+bn1") != std::string::npos && detail("relu1") == "in place" &&
                     detail("conv1").find("+pad1") != std::string::npos,
                 "conv1: %s", detail("conv1").c_str());
    CK_CHECK_MSG(detail("pool1").find("+pad2") != std::string::npos, "pool1: %s", detail("pool1").c_str());
    CK_CHECK_MSG(detail("pad3") != "(none)" && detail("bn2") != "(none)", "steps: %s", got.c_str());
    CK_CHECK_MSG(detail("dense").find("+bn3") != std::string::npos, "dense: %s", detail("dense").c_str());
  });
}

int main() {
  test_network();
  test_runtime_batch();
  test_small_runs();
  test_isa_switch();
  test_output_aliases();
  test_shared_weights();
  test_errors();
  test_folds();
  return finish("plan_test");
}
