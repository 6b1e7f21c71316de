#pragma once
// Running a regularizer plugin in tests: small models of a chosen dtype, contexts, penalties
// and their gradients with respect to the model's parameters, and the batching check.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "analytic_models.hpp"
#include "plugin_test_support.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/sdk/neighborhood.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace xreg::testing {

/// A context whose draws and tensors have `dtype`.
inline Context context_of(torch::Dtype dtype, uint64_t seed = 20240611) {
  Context ctx;
  ctx.seed = seed;
  ctx.dtype = dtype;
  return ctx;
}

/// An mlp plugin model d → hidden → k built in ctx.dtype with a seeded initialization.
inline std::shared_ptr<Model> mlp_model(int64_t d, int64_t k, const Context& ctx,
                                        std::vector<int64_t> hidden = {20, 20}) {
  Params p;
  p.set("hidden", std::move(hidden));
  auto model = make_plugin<Model>("mlp", p);
  torch::manual_seed(7);
  model->build(ModelShape{{d}, k, Task::regression}, ctx);
  return model;
}

/// Whether creating regularizer `name` with `overrides` fails with a message containing
/// `expected`.
inline ::testing::AssertionResult refuses(const std::string& name, const Params& overrides,
                                          const std::string& expected) {
  try {
    make_plugin<Regularizer>(name, overrides);
  } catch (const ConfigError& e) {
    if (std::string(e.what()).find(expected) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "refused with \"" << e.what() << "\"";
  }
  return ::testing::AssertionFailure() << "accepted";
}

/// The gradient of a scalar with respect to each of the model's parameters.
inline std::vector<torch::Tensor> parameter_gradients(const torch::Tensor& value, Model& model) {
  return torch::autograd::grad({value}, model.parameters());
}

/// Whether the values of two penalties on `model` agree to `tolerance` relative to the expected
/// value, and their gradients with respect to all the model's parameters to `tolerance` relative
/// to the largest expected gradient entry.
inline ::testing::AssertionResult same_penalty(const torch::Tensor& actual,
                                               const torch::Tensor& expected, Model& model,
                                               double tolerance) {
  auto flat = [&](const torch::Tensor& value) {
    std::vector<torch::Tensor> pieces;
    for (const auto& g : parameter_gradients(value, model)) pieces.push_back(g.flatten());
    return torch::cat(pieces);
  };
  const double value_error = (actual - expected).abs().item<double>();
  if (value_error > tolerance * expected.abs().item<double>()) {
    return ::testing::AssertionFailure()
           << "values differ: " << actual.item<double>() << " vs " << expected.item<double>();
  }
  auto a = flat(actual), b = flat(expected);
  const double gradient_error = (a - b).abs().max().item<double>();
  const double largest = b.abs().max().item<double>();
  if (gradient_error > tolerance * largest) {
    return ::testing::AssertionFailure()
           << "gradients differ by " << gradient_error << " with largest entry " << largest;
  }
  return ::testing::AssertionSuccess();
}

/// Whether the penalty of a batch is the mean of the penalties of its single points, and
/// the same for the batch in reverse order, to 1e-6 relative.
inline ::testing::AssertionResult is_mean_over_points(Regularizer& regularizer, Model& model,
                                                      const Batch& batch, const Context& ctx) {
  const int64_t draw = 3;
  const double whole = regularizer.penalty(model, batch, draw, ctx).item<double>();
  double sum = 0;
  for (int64_t i = 0; i < batch.size(); ++i) {
    sum += regularizer.penalty(model, batch.slice(i, i + 1), draw, ctx).item<double>();
  }
  auto reversed = torch::arange(batch.size() - 1, -1, -1);
  const Batch flipped{batch.x.index_select(0, reversed), batch.y.index_select(0, reversed),
                      batch.index.index_select(0, reversed)};
  const double backwards = regularizer.penalty(model, flipped, draw, ctx).item<double>();
  const double mean = sum / batch.size();
  if (std::abs(whole - mean) > 1e-6 * std::abs(mean) ||
      std::abs(whole - backwards) > 1e-6 * std::abs(whole)) {
    return ::testing::AssertionFailure()
           << "batch " << whole << ", mean of points " << mean << ", reversed batch " << backwards;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace xreg::testing
