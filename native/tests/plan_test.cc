// Inference plan (native/plan): a small residual/multi-branch network built as a plan and run on
// every ISA, against a plain double-precision forward pass written here (conv via conv_reference.h,
// everything else inline). Also: arena reuse and in-place steps, outputs that alias inputs or each
// other, repeated runs reusing the arena, ISA switches (dense repacking), plans for two batch sizes
// sharing their prepared weights, runtime batch (run_batch with n < N) step by step and sample-parallel,
// per-step profiling, and
// descriptor errors.
#include <cmath>
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
    for (bool sp : {true, false})
    for (std::size_t b : {std::size_t{1}, std::size_t{2}, N, std::size_t{1}}) {
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

int main() {
  test_network();
  test_runtime_batch();
  test_isa_switch();
  test_output_aliases();
  test_shared_weights();
  test_errors();
  return finish("plan_test");
}
