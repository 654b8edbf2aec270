// Every optimizer kind, with its options and each clipping mode, over several steps on every ISA,
// against a plain double-precision transcription of Keras 3's update rules
// (keras/src/optimizers/*.py, base_optimizer.py: clip -> weight decay -> update_step).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "optim/optimizer.h"
#include "runtime/errors.h"
#include "runtime/thread_pool.h"
#include "tests/test_util.h"

using namespace convkit;

namespace {

struct RefParam {
  std::vector<double> w, s0, s1, s2;
};

// The reference: one step over all parameters, in double.
void ref_step(const OptimConfig& c, std::vector<RefParam>& ps, const std::vector<std::vector<float>>& grads,
              long iterations, double& u_product) {
  const double t = iterations + 1.0;
  const double lr = c.learning_rate, b1 = c.beta_1, b2 = c.beta_2, eps = c.epsilon;
  // clipping
  std::vector<std::vector<double>> g(grads.size());
  double gss = 0;
  for (std::size_t k = 0; k < grads.size(); ++k) {
    g[k].assign(grads[k].begin(), grads[k].end());
    for (double x : g[k]) gss += x * x;
  }
  for (std::size_t k = 0; k < g.size(); ++k) {
    if (c.clip_norm > 0) {
      double ss = 0;
      for (double x : g[k]) ss += x * x;
      double n = std::sqrt(ss);
      for (double& x : g[k]) x = x * c.clip_norm / std::max(n, (double)c.clip_norm);
    } else if (c.global_clip_norm > 0) {
      double n = std::sqrt(gss);
      for (double& x : g[k]) x = x * c.global_clip_norm / std::max(n, (double)c.global_clip_norm);
    } else if (c.clip_value > 0) {
      for (double& x : g[k]) x = std::min(std::max(x, -(double)c.clip_value), (double)c.clip_value);
    }
  }
  if (c.kind == OptimKind::nadam) u_product *= b1 * (1 - 0.5 * std::pow(0.96, t));
  for (std::size_t k = 0; k < ps.size(); ++k) {
    RefParam& p = ps[k];
    for (std::size_t i = 0; i < p.w.size(); ++i) {
      double gi = g[k][i];
      double& w = p.w[i];
      w -= w * c.weight_decay * lr;
      switch (c.kind) {
        case OptimKind::sgd: {
          if (c.momentum == 0) { w -= lr * gi; break; }
          double& m = p.s0[i];
          m = c.momentum * m - lr * gi;
          w += c.nesterov ? c.momentum * m - lr * gi : m;
          break;
        }
        case OptimKind::adam:
        case OptimKind::adamw: {
          double& m = p.s0[i];
          double& v = p.s1[i];
          m += (gi - m) * (1 - b1);
          v += (gi * gi - v) * (1 - b2);
          double vv = v;
          if (c.amsgrad) { p.s2[i] = std::max(p.s2[i], v); vv = p.s2[i]; }
          double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
          w -= m * alpha / (std::sqrt(vv) + eps);
          break;
        }
        case OptimKind::rmsprop: {
          double& vel = p.s0[i];
          vel = c.rho * vel + (1 - c.rho) * gi * gi;
          double den = vel + eps;
          if (c.centered) {
            double& a = (c.momentum > 0 ? p.s2 : p.s1)[i];
            a = c.rho * a + (1 - c.rho) * gi;
            den = vel - a * a + eps;
          }
          double inc = lr * gi / std::sqrt(den);
          if (c.momentum > 0) { double& m = p.s1[i]; m = c.momentum * m + inc; w -= m; }
          else w -= inc;
          break;
        }
        case OptimKind::adagrad: {
          double& a = p.s0[i];
          a += gi * gi;
          w -= lr * gi / std::sqrt(a + eps);
          break;
        }
        case OptimKind::adadelta: {
          double& ag = p.s0[i];
          double& ad = p.s1[i];
          ag = c.rho * ag + (1 - c.rho) * gi * gi;
          double dv = -std::sqrt(ad + eps) * gi / std::sqrt(ag + eps);
          ad = c.rho * ad + (1 - c.rho) * dv * dv;
          w += lr * dv;
          break;
        }
        case OptimKind::nadam: {
          double& m = p.s0[i];
          double& v = p.s1[i];
          double u_t = b1 * (1 - 0.5 * std::pow(0.96, t)), u_t1 = b1 * (1 - 0.5 * std::pow(0.96, t + 1));
          m += (gi - m) * (1 - b1);
          v += (gi * gi - v) * (1 - b2);
          double m_hat = u_t1 * m / (1 - u_product * u_t1) + (1 - u_t) * gi / (1 - u_product);
          double v_hat = v / (1 - std::pow(b2, t));
          w -= m_hat * lr / (std::sqrt(v_hat) + eps);
          break;
        }
      }
    }
  }
}

void run_case(const char* name, OptimConfig c, float init_state = 0.f) {
  // Odd sizes, including one large enough to be split over threads, and an empty tensor.
  const std::vector<std::size_t> sizes = {1, 7, 33, 257, 1000, 70001, 0};
  const int steps = 5;
  test::for_each_isa([&](Isa) {
    std::vector<std::vector<float>> w(sizes.size()), st(sizes.size() * 3);
    std::vector<RefParam> ref(sizes.size());
    std::vector<ParamSlot> slots(sizes.size());
    for (std::size_t k = 0; k < sizes.size(); ++k) {
      w[k] = test::random_vector(sizes[k], 100 + k);
      ref[k].w.assign(w[k].begin(), w[k].end());
      ref[k].s0.assign(sizes[k], init_state);
      ref[k].s1.assign(sizes[k], 0.0);
      ref[k].s2.assign(sizes[k], 0.0);
      for (int j = 0; j < 3; ++j) st[k * 3 + j].assign(sizes[k], j == 0 ? init_state : 0.f);
      slots[k].param = w[k].data();
      slots[k].n = sizes[k];
      for (int j = 0; j < 3; ++j) slots[k].state[j] = st[k * 3 + j].data();
    }
    double u = 1.0, ref_u = 1.0;
    for (int step = 0; step < steps; ++step) {
      std::vector<std::vector<float>> g(sizes.size());
      for (std::size_t k = 0; k < sizes.size(); ++k) {
        g[k] = test::random_vector(sizes[k], 1000 * step + k, -2.f, 2.f);
        slots[k].grad = g[k].data();
      }
      optimizer_step(c, slots.data(), slots.size(), step, &u);
      ref_step(c, ref, g, step, ref_u);
    }
    double worst = 0;
    for (std::size_t k = 0; k < sizes.size(); ++k)
      worst = std::max(worst, test::error_ratio(w[k].data(), ref[k].w.data(), sizes[k], 2e-6, 2e-5));
    CK_CHECK_MSG(worst <= 1, "%s: worst error ratio %g", name, worst);
    if (c.kind == OptimKind::nadam) CK_CHECK_MSG(std::fabs(u - ref_u) < 1e-12, "%s: u_product %g vs %g", name, u, ref_u);
  });
}

OptimConfig cfg(OptimKind k) {
  OptimConfig c;
  c.kind = k;
  c.learning_rate = 0.01f;
  if (k == OptimKind::adadelta) c.rho = 0.95f, c.learning_rate = 1.0f;
  return c;
}

}  // namespace

int main() {
  set_num_threads(2);
  {
    auto c = cfg(OptimKind::sgd);
    run_case("sgd", c);
    c.momentum = 0.9f;
    run_case("sgd momentum", c);
    c.nesterov = true;
    run_case("sgd nesterov", c);
    c.weight_decay = 0.1f;
    run_case("sgd nesterov wd", c);
  }
  {
    auto c = cfg(OptimKind::adam);
    run_case("adam", c);
    c.amsgrad = true;
    run_case("adam amsgrad", c);
    auto w = cfg(OptimKind::adamw);
    w.weight_decay = 0.004f;
    run_case("adamw", w);
  }
  {
    auto c = cfg(OptimKind::rmsprop);
    run_case("rmsprop", c);
    c.momentum = 0.5f;
    run_case("rmsprop momentum", c);
    c.centered = true;
    run_case("rmsprop momentum centered", c);
    c.momentum = 0;
    run_case("rmsprop centered", c);
  }
  run_case("adagrad", cfg(OptimKind::adagrad), 0.1f);
  run_case("adadelta", cfg(OptimKind::adadelta));
  run_case("nadam", cfg(OptimKind::nadam));
  {
    auto c = cfg(OptimKind::adam);
    c.clip_norm = 1.0f;
    run_case("adam clipnorm", c);
    c.clip_norm = 0;
    c.global_clip_norm = 5.0f;
    run_case("adam global clipnorm", c);
    c.global_clip_norm = 0;
    c.clip_value = 0.5f;
    run_case("adam clipvalue", c);
    auto s = cfg(OptimKind::sgd);
    s.momentum = 0.9f;
    s.clip_value = 0.3f;
    run_case("sgd momentum clipvalue", s);
  }
  // Bad configs are InvalidArgument, not crashes.
  {
    OptimConfig c = cfg(OptimKind::adam);
    c.clip_norm = 1;
    c.clip_value = 1;
    bool threw = false;
    try {
      optimizer_step(c, nullptr, 0, 0, nullptr);
    } catch (const InvalidArgument&) {
      threw = true;
    }
    CK_CHECK(threw);
    c = cfg(OptimKind::adam);
    c.beta_1 = 1.5f;
    threw = false;
    try {
      optimizer_step(c, nullptr, 0, 0, nullptr);
    } catch (const InvalidArgument&) {
      threw = true;
    }
    CK_CHECK(threw);
    float w = 0, g = 0;
    ParamSlot p;
    p.param = &w;
    p.grad = &g;
    p.n = 1;  // adam needs two state buffers
    threw = false;
    try {
      optimizer_step(cfg(OptimKind::adam), &p, 1, 0, nullptr);
    } catch (const InvalidArgument&) {
      threw = true;
    }
    CK_CHECK(threw);
  }
  // Determinism across thread counts: same bits with 1 and 2 threads.
  {
    std::vector<float> w1 = test::random_vector(100000, 5), w2 = w1, g = test::random_vector(100000, 6);
    std::vector<float> a1(100000), b1(100000), a2(100000), b2(100000);
    OptimConfig c = cfg(OptimKind::adam);
    ParamSlot p1{w1.data(), g.data(), {a1.data(), b1.data(), nullptr}, w1.size()};
    ParamSlot p2{w2.data(), g.data(), {a2.data(), b2.data(), nullptr}, w2.size()};
    set_num_threads(1);
    for (int i = 0; i < 3; ++i) optimizer_step(c, &p1, 1, i, nullptr);
    set_num_threads(2);
    for (int i = 0; i < 3; ++i) optimizer_step(c, &p2, 1, i, nullptr);
    CK_CHECK(w1 == w2);
  }
  return test::finish("optim_test");
}
