#pragma once
/// One forward pass for a training step's minibatch and its regularizer's inputs.

#include <map>
#include <string>
#include <vector>

#include "xreg/sdk/model.hpp"

namespace xreg {

/// The model of a training step as its regularizers see it. The first forward pass a regularizer
/// asks for on rows shaped as the minibatch's (same trailing sizes, dtype and device; inputs
/// that do not require gradients, with gradients on) runs over the minibatch's rows and its rows
/// together, and the minibatch's outputs are kept for the model's loss: one forward and one
/// backward pass instead of two, which on ExpO-Fidelity's 384 neighbor rows and a minibatch of
/// 128 saves about a fifth of the two passes' time. Each row's outputs are the model's for that
/// row alone, as every built-in model computes them; a model whose rows could interact in
/// training (batch norm keeps buffers: Model::state() holds more than its parameters) is not
/// shared (see train_model). Every other call goes to the model.
///
/// Not thread safe; lives for one step.
class SharedPass final : public Model {
 public:
  /// `model` and the step's minibatch inputs x [B, d...], which a pass of at most `max_rows`
  /// rows in all may prepend to a regularizer's rows; with `share` false, never.
  SharedPass(Model& model, torch::Tensor minibatch, int64_t max_rows, bool share = true)
      : model_(model), minibatch_(std::move(minibatch)), max_rows_(share ? max_rows : 0) {}

  void build(const ModelShape& shape, const Context& ctx) override { model_.build(shape, ctx); }

  torch::Tensor forward(const torch::Tensor& x) override {
    if (outputs_.defined() || !shares_pass(x)) return model_.forward(x);
    const int64_t rows = minibatch_.size(0);
    auto outputs = model_.forward(torch::cat({minibatch_, x}));
    outputs_ = outputs.narrow(0, 0, rows);
    return outputs.narrow(0, rows, x.size(0));
  }

  /// The model's outputs on the minibatch: from the shared pass, or a pass of their own.
  torch::Tensor minibatch_outputs() {
    if (!outputs_.defined()) outputs_ = model_.forward(minibatch_);
    return outputs_;
  }

  std::vector<torch::Tensor> parameters() override { return model_.parameters(); }
  std::vector<torch::Tensor> state() override { return model_.state(); }
  void set_training(bool on) override { model_.set_training(on); }
  bool trainable() const override { return model_.trainable(); }
  std::map<std::string, torch::Tensor> extras(const torch::Tensor& x) override {
    return model_.extras(x);
  }
  std::string torchscript() override { return model_.torchscript(); }

 private:
  bool shares_pass(const torch::Tensor& x) const {
    return minibatch_.size(0) + x.size(0) <= max_rows_ && torch::GradMode::is_enabled() &&
           !x.requires_grad() && x.dim() == minibatch_.dim() &&
           x.sizes().slice(1) == minibatch_.sizes().slice(1) &&
           x.scalar_type() == minibatch_.scalar_type() && x.device() == minibatch_.device();
  }

  Model& model_;
  torch::Tensor minibatch_;
  int64_t max_rows_;
  torch::Tensor outputs_;  ///< the minibatch's, once computed
};

}  // namespace xreg
