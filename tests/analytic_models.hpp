#pragma once
// Models whose explanations are known in closed form.

#include "xreg/sdk/model.hpp"

namespace xreg::testing {

/// f(x) = A x + b.
class LinearModel final : public Model {
 public:
  LinearModel(torch::Tensor a, torch::Tensor b) : a_(std::move(a)), b_(std::move(b)) {}
  void build(const ModelShape&, const Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return torch::matmul(x.flatten(1), a_.t().to(x.dtype())) + b_.to(x.dtype());
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }

 private:
  torch::Tensor a_, b_;
};

/// f(x) = Σ x_i², one output; its gradient is 2x.
class SquaredNormModel final : public Model {
 public:
  void build(const ModelShape&, const Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return x.flatten(1).pow(2).sum(1, /*keepdim=*/true);
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }
};

/// f(x) = ½ Σ a_i x_i², one output; its gradient is a ⊙ x, whose Lipschitz constant is max |a_i|.
class DiagonalQuadraticModel final : public Model {
 public:
  explicit DiagonalQuadraticModel(torch::Tensor a) : a_(std::move(a)) {}
  void build(const ModelShape&, const Context&) override {}
  torch::Tensor forward(const torch::Tensor& x) override {
    return 0.5 * (x.flatten(1).pow(2) * a_.to(x.dtype())).sum(1, /*keepdim=*/true);
  }
  std::vector<torch::Tensor> parameters() override { return {}; }
  std::vector<torch::Tensor> state() override { return {}; }

 private:
  torch::Tensor a_;
};

/// A dataset of n standard-normal points in d dimensions (seeded), targets unused.
inline Dataset normal_points(int64_t n, int64_t d, uint64_t seed,
                             torch::Dtype dtype = torch::kDouble, Task task = Task::regression) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto x = torch::randn({n, d}, gen, torch::TensorOptions(dtype));
  return Dataset{{x, torch::zeros({n, 1}, x.options()), torch::arange(n)}, task, 1, {}, {}};
}

}  // namespace xreg::testing
