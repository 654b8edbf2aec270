// Fused cross-entropy against plain references: the loss from its definition (softmax, then
// -sum t log p) in long double, the gradient by central finite differences of that reference.
// Edge cases: logits of +-1e4, an all-zero probability row, bad labels. The loss kernels have a
// single portable implementation (no per-ISA variants), but the test still runs on every ISA.
#include <cmath>
#include <limits>
#include <vector>

#include "loss/cross_entropy.h"
#include "runtime/errors.h"
#include "tests/test_util.h"

using namespace convkit;
using LD = long double;

namespace {

std::vector<LD> targets_of(const std::vector<int>& labels, const std::vector<float>& dense, std::size_t n, std::size_t c,
                           LD ls) {
  std::vector<LD> t(n * c, 0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < c; ++j) {
      LD v = labels.empty() ? dense[i * c + j] : (labels[i] == (int)j ? 1 : 0);
      t[i * c + j] = v * (1 - ls) + ls / c;
    }
  return t;
}

LD ref_logits_row(const float* x, const LD* t, std::size_t c) {
  LD mx = x[0];
  for (std::size_t j = 1; j < c; ++j) mx = std::max(mx, (LD)x[j]);
  LD se = 0;
  for (std::size_t j = 0; j < c; ++j) se += std::exp((LD)x[j] - mx);
  LD l = 0;
  for (std::size_t j = 0; j < c; ++j) l -= t[j] * (((LD)x[j] - mx) - std::log(se));  // -t log softmax
  return l;
}

LD ref_probs_row(const float* y, const LD* t, std::size_t c, LD eps) {
  LD s = 0;
  for (std::size_t j = 0; j < c; ++j) s += y[j];
  LD l = 0;
  for (std::size_t j = 0; j < c; ++j) {
    LD p = s > 0 ? y[j] / s : 0;
    p = std::min(std::max(p, eps), 1 - eps);
    l -= t[j] * std::log(p);
  }
  return l;
}

void check_case(bool from_logits, bool sparse, std::size_t n, std::size_t c, float ls, unsigned seed) {
  std::vector<float> x = from_logits ? test::random_vector(n * c, seed, -4, 4) : test::random_vector(n * c, seed, 0.01f, 1);
  std::vector<int> labels;
  std::vector<std::int32_t> lab32;
  std::vector<float> dense;
  if (sparse) {
    for (std::size_t i = 0; i < n; ++i) labels.push_back((int)((i * 7 + seed) % c));
    lab32.assign(labels.begin(), labels.end());
  } else {
    dense = test::random_vector(n * c, seed + 1, 0, 1);
    for (std::size_t i = 0; i < n; ++i) {  // rows summing to 1
      float s = 0;
      for (std::size_t j = 0; j < c; ++j) s += dense[i * c + j];
      for (std::size_t j = 0; j < c; ++j) dense[i * c + j] /= s;
    }
  }
  std::vector<LD> t = targets_of(labels, dense, n, c, ls);
  std::vector<float> scale = test::random_vector(n, seed + 2, 0.1f, 2);
  std::vector<float> loss(n), grad(n * c);
  const float eps = 1e-7f;
  auto run = [&](const float* in, float* l, float* g) {
    if (from_logits)
      softmax_cross_entropy(in, sparse ? lab32.data() : nullptr, sparse ? nullptr : dense.data(), n, c, ls, l, g, scale.data());
    else
      probability_cross_entropy(in, sparse ? lab32.data() : nullptr, sparse ? nullptr : dense.data(), n, c, ls, eps, l, g,
                                scale.data());
  };
  run(x.data(), loss.data(), grad.data());
  std::vector<double> want(n), want_g(n * c);
  for (std::size_t i = 0; i < n; ++i) {
    auto f = [&](const float* row) {
      return from_logits ? ref_logits_row(row, &t[i * c], c) : ref_probs_row(row, &t[i * c], c, eps);
    };
    want[i] = (double)f(&x[i * c]);
    for (std::size_t j = 0; j < c; ++j) {
      std::vector<float> row(x.begin() + i * c, x.begin() + (i + 1) * c);
      const float h = from_logits ? 1e-2f : 1e-4f * std::max(1.f, row[j]);
      float x0 = row[j];
      row[j] = x0 + h;
      LD up = f(row.data());
      row[j] = x0 - h;
      LD dn = f(row.data());
      LD hh = ((LD)(x0 + h) - (LD)(x0 - h));
      want_g[i * c + j] = (double)(scale[i] * (up - dn) / hh);
    }
  }
  double el = test::error_ratio(loss.data(), want.data(), n, 1e-6, 1e-5);
  double eg = test::error_ratio(grad.data(), want_g.data(), n * c, 1e-4, 1e-3);
  CK_CHECK_MSG(el <= 1, "loss logits=%d sparse=%d n=%zu c=%zu ls=%g: error ratio %g", from_logits, sparse, n, c, ls, el);
  CK_CHECK_MSG(eg <= 1, "grad logits=%d sparse=%d n=%zu c=%zu ls=%g: error ratio %g", from_logits, sparse, n, c, ls, eg);
}

}  // namespace

int main() {
  test::for_each_isa([](Isa) {
    for (bool logits : {true, false})
      for (bool sparse : {true, false})
        for (float ls : {0.f, 0.1f}) {
          check_case(logits, sparse, 1, 1, ls, 3);
          check_case(logits, sparse, 5, 3, ls, 4);
          check_case(logits, sparse, 17, 10, ls, 5);
          check_case(logits, sparse, 4, 1000, ls, 6);
        }
  });
  // Logits of +-1e4: finite loss, gradient = softmax - t exactly (one-hot softmax).
  {
    float x[3] = {1e4f, -1e4f, 0.f};
    std::int32_t lab[1] = {1};
    float loss[1], grad[3];
    softmax_cross_entropy(x, lab, nullptr, 1, 3, 0, loss, grad, nullptr);
    CK_CHECK(std::isfinite(loss[0]) && std::fabs(loss[0] - 2e4f) < 1.f);
    CK_CHECK(grad[0] == 1.f && grad[1] == -1.f && grad[2] == 0.f);
    lab[0] = 0;
    softmax_cross_entropy(x, lab, nullptr, 1, 3, 0, loss, grad, nullptr);
    CK_CHECK(loss[0] == 0.f && grad[0] == 0.f);
  }
  // A NaN in a prediction row (a diverged model) gives a NaN loss and gradient for that row only,
  // from logits and from probabilities (Keras: clip(NaN) stays NaN), so TerminateOnNaN can see it.
  {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    float y[6] = {0.2f, nan, 0.5f, 0.1f, 0.3f, 0.6f};
    std::int32_t lab[2] = {0, 2};
    float loss[2], grad[6];
    probability_cross_entropy(y, lab, nullptr, 2, 3, 0, 1e-7f, loss, grad, nullptr);
    CK_CHECK(std::isnan(loss[0]) && std::isnan(grad[0]) && std::isnan(grad[1]) && std::isnan(grad[2]));
    CK_CHECK(std::fabs(loss[1] + std::log(0.6f)) < 1e-5f && std::isfinite(grad[3]));
    float inf_row[3] = {std::numeric_limits<float>::infinity(), 0.1f, 0.2f};
    probability_cross_entropy(inf_row, lab, nullptr, 1, 3, 0, 1e-7f, loss, grad, nullptr);
    CK_CHECK(std::isnan(loss[0]));
    float x[6] = {0.3f, nan, -1.f, 1.f, 2.f, 0.5f};
    softmax_cross_entropy(x, lab, nullptr, 2, 3, 0, loss, grad, nullptr);
    CK_CHECK(std::isnan(loss[0]) && std::isnan(grad[0]));
    CK_CHECK(std::isfinite(loss[1]) && std::isfinite(grad[3]));
  }
  // An all-zero probability row: finite loss -log(1e-7), zero gradient.
  {
    float y[4] = {0, 0, 0, 0};
    std::int32_t lab[1] = {2};
    float loss[1], grad[4];
    probability_cross_entropy(y, lab, nullptr, 1, 4, 0, 1e-7f, loss, grad, nullptr);
    CK_CHECK(std::fabs(loss[0] + std::log(1e-7f)) < 1e-4f);
    CK_CHECK(grad[0] == 0 && grad[1] == 0 && grad[2] == 0 && grad[3] == 0);
    // A probability of exactly 0 for the true class is clipped to 1e-7: loss = -log(1e-7).
    float y2[2] = {1, 0};
    std::int32_t lab2[1] = {1};
    probability_cross_entropy(y2, lab2, nullptr, 1, 2, 0, 1e-7f, loss, grad, nullptr);
    CK_CHECK(std::fabs(loss[0] - 16.118095f) < 1e-3f);
  }
  // Bad arguments.
  {
    float x[2] = {0, 0}, loss[1];
    std::int32_t lab[1] = {2};
    bool threw = false;
    try {
      softmax_cross_entropy(x, lab, nullptr, 1, 2, 0, loss, nullptr, nullptr);
    } catch (const InvalidArgument&) {
      threw = true;
    }
    CK_CHECK(threw);
    threw = false;
    try {
      softmax_cross_entropy(x, nullptr, nullptr, 1, 2, 0, loss, nullptr, nullptr);
    } catch (const InvalidArgument&) {
      threw = true;
    }
    CK_CHECK(threw);
  }
  return test::finish("loss_cross_entropy_test");
}
