#include "xreg/host/plugin/guarded.hpp"

#include <c10/util/Exception.h>

namespace xreg {

template <class Call>
auto guard_call(const PluginLabel& label, const char* method, Call&& call) -> decltype(call()) {
  auto fail = [&](const std::string& message) {
    return RunError(label.text + ": " + method + " failed: " + first_line(message));
  };
  try {
    return call();
  } catch (const c10::Error& e) {
    throw fail(e.what_without_backtrace());
  } catch (const std::invalid_argument& e) {
    throw PluginRefusal(fail(e.what()).what());
  } catch (const std::exception& e) {
    throw fail(e.what());
  } catch (...) {
    throw fail("unknown exception");
  }
}

GuardedModel::GuardedModel(std::shared_ptr<Model> inner, PluginLabel label)
    : inner_(std::move(inner)), label_(std::move(label)) {}

void GuardedModel::build(const ModelShape& shape, const Context& ctx) {
  guard_call(label_, "build", [&] { inner_->build(shape, ctx); });
}
torch::Tensor GuardedModel::forward(const torch::Tensor& x) {
  return guard_call(label_, "forward", [&] { return inner_->forward(x); });
}
std::vector<torch::Tensor> GuardedModel::parameters() {
  return guard_call(label_, "parameters", [&] { return inner_->parameters(); });
}
std::vector<torch::Tensor> GuardedModel::state() {
  return guard_call(label_, "state", [&] { return inner_->state(); });
}
void GuardedModel::set_training(bool on) {
  guard_call(label_, "set_training", [&] { inner_->set_training(on); });
}
bool GuardedModel::trainable() const {
  return guard_call(label_, "trainable", [&] { return inner_->trainable(); });
}
std::map<std::string, torch::Tensor> GuardedModel::extras(const torch::Tensor& x) {
  return guard_call(label_, "extras", [&] { return inner_->extras(x); });
}
std::string GuardedModel::torchscript() {
  return guard_call(label_, "torchscript", [&] { return inner_->torchscript(); });
}

GuardedRegularizer::GuardedRegularizer(std::shared_ptr<Regularizer> inner, PluginLabel label)
    : inner_(std::move(inner)), label_(std::move(label)) {}

torch::Tensor GuardedRegularizer::penalty(Model& model, const Batch& batch, int64_t draw,
                                          const Context& ctx) {
  return guard_call(label_, "penalty", [&] { return inner_->penalty(model, batch, draw, ctx); });
}

PenaltyForm GuardedRegularizer::form() const {
  const PenaltyForm form = guard_call(label_, "form", [&] { return inner_->form(); });
  if (form < PenaltyForm::whole_batch || form > PenaltyForm::parameters_only) {
    throw RunError(label_.text + ": form returned " + std::to_string(static_cast<int>(form)) +
                   ", not one of PenaltyForm's values (0 to 3)");
  }
  return form;
}

GuardedExplainer::GuardedExplainer(std::shared_ptr<Explainer> inner, PluginLabel label)
    : inner_(std::move(inner)), label_(std::move(label)) {}

void GuardedExplainer::fit(Model& model, const Dataset& train, const Dataset& validation,
                           const Context& ctx) {
  guard_call(label_, "fit", [&] { inner_->fit(model, train, validation, ctx); });
}
Explanation GuardedExplainer::explain(Model& model, const Batch& points, const Context& ctx) {
  return guard_call(label_, "explain", [&] { return inner_->explain(model, points, ctx); });
}

GuardedMetric::GuardedMetric(std::shared_ptr<Metric> inner, PluginLabel label)
    : inner_(std::move(inner)), label_(std::move(label)) {}

MetricResult GuardedMetric::evaluate(const MetricInput& input, const Context& ctx) {
  return guard_call(label_, "evaluate", [&] { return inner_->evaluate(input, ctx); });
}

}  // namespace xreg
