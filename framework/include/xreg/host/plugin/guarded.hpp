#pragma once
/// Host-side wrappers around plugin objects. Every call into a plugin goes through one: an
/// exception a plugin method throws is caught while its library is still loaded and rethrown
/// as a RunError that names the plugin's kind, name and library and the method that failed.

#include <memory>
#include <string>

#include "xreg/host/errors.hpp"
#include "xreg/sdk/explainer.hpp"
#include "xreg/sdk/metric.hpp"
#include "xreg/sdk/model.hpp"
#include "xreg/sdk/regularizer.hpp"

namespace xreg {

/// Who a guarded object speaks for: "model plugin 'mlp' (/path/libxreg_mlp.so)".
struct PluginLabel {
  std::string text;
};

class GuardedModel final : public Model {
 public:
  GuardedModel(std::shared_ptr<Model> inner, PluginLabel label);
  void build(const ModelShape& shape, const Context& ctx) override;
  torch::Tensor forward(const torch::Tensor& x) override;
  std::vector<torch::Tensor> parameters() override;
  std::vector<torch::Tensor> state() override;
  void set_training(bool on) override;
  bool trainable() const override;
  std::map<std::string, torch::Tensor> extras(const torch::Tensor& x) override;
  std::string torchscript() override;

 private:
  std::shared_ptr<Model> inner_;
  PluginLabel label_;
};

class GuardedRegularizer final : public Regularizer {
 public:
  GuardedRegularizer(std::shared_ptr<Regularizer> inner, PluginLabel label);
  torch::Tensor penalty(Model& model, const Batch& batch, int64_t draw,
                        const Context& ctx) override;
  /// The plugin's answer, checked to be one of PenaltyForm's values.
  PenaltyForm form() const override;

 private:
  std::shared_ptr<Regularizer> inner_;
  PluginLabel label_;
};

class GuardedExplainer final : public Explainer {
 public:
  GuardedExplainer(std::shared_ptr<Explainer> inner, PluginLabel label);
  void fit(Model& model, const Dataset& train, const Dataset& validation,
           const Context& ctx) override;
  Explanation explain(Model& model, const Batch& points, const Context& ctx) override;

 private:
  std::shared_ptr<Explainer> inner_;
  PluginLabel label_;
};

class GuardedMetric final : public Metric {
 public:
  GuardedMetric(std::shared_ptr<Metric> inner, PluginLabel label);
  MetricResult evaluate(const MetricInput& input, const Context& ctx) override;

 private:
  std::shared_ptr<Metric> inner_;
  PluginLabel label_;
};

}  // namespace xreg
