// Every built-in regularizer says what its penalty is over a batch's points (PenaltyForm), and
// data-parallel training splits its batch by that answer: these tests hold each answer to the
// penalty itself, on a batch split unevenly in three as three ranks split it.

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "regularizer_test_support.hpp"
#include "xreg/host/plugin/guarded.hpp"

namespace {

using xreg::PenaltyForm;
using xreg::testing::make_plugin;

xreg::Context context_for(xreg::Task task) {
  xreg::Context ctx = xreg::testing::context_of(torch::kDouble);
  ctx.task = task;
  return ctx;
}

std::shared_ptr<xreg::Model> model_of(const std::string& plugin, const xreg::Params& params,
                                      int64_t d, int64_t outputs, xreg::Task task) {
  torch::manual_seed(11);
  auto model = make_plugin<xreg::Model>(plugin, params);
  model->build({{d}, outputs, task}, context_for(task));
  return model;
}

/// Eleven points in d dimensions, half of their inputs annotated (for RRR).
xreg::Batch batch_of(int64_t d) {
  xreg::Batch batch = xreg::testing::normal_points(11, d, 5).points;
  batch.index = batch.index + 40;  // global row numbers, not positions
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  batch.annotations =
      (torch::rand(batch.x.sizes(), gen, batch.x.options()) > 0.5).to(torch::kDouble);
  return batch;
}

/// The penalty's parts on rows [0, 3), [3, 7) and [7, 11), combined as `form` says a split
/// combines: each part of a mean weighted by its share of the rows, the parts of a sum added,
/// a penalty on the parameters alone taken from one part.
double combined_parts(xreg::Regularizer& regularizer, xreg::Model& model, const xreg::Batch& batch,
                      const xreg::Context& ctx, PenaltyForm form) {
  const int64_t draw = 5, n = batch.size();
  double combined = 0;
  for (auto [begin, end] : {std::pair<int64_t, int64_t>{0, 3}, {3, 7}, {7, 11}}) {
    const double part =
        regularizer.penalty(model, batch.slice(begin, end), draw, ctx).item<double>();
    if (form == PenaltyForm::parameters_only) return part;
    combined += form == PenaltyForm::point_mean ? part * (end - begin) / n : part;
  }
  return combined;
}

struct Case {
  std::string regularizer;
  xreg::Params params;
  std::string model;
  xreg::Params model_params;
  xreg::Task task;
  PenaltyForm form;
};

xreg::Params with(const std::string& key, xreg::Params::Value value) {
  xreg::Params p;
  p.set(key, std::move(value));
  return p;
}

std::vector<Case> cases() {
  const xreg::Params none;
  const auto regression = xreg::Task::regression, multiclass = xreg::Task::multiclass;
  const xreg::Params autoencoder = with("conceptizer", std::string("autoencoder"));
  return {
      {"expo_fidelity", none, "mlp", none, regression, PenaltyForm::point_mean},
      {"expo_fidelity_1d", none, "mlp", none, regression, PenaltyForm::point_mean},
      {"expo_stability", none, "mlp", none, regression, PenaltyForm::point_mean},
      {"l1", none, "mlp", none, regression, PenaltyForm::parameters_only},
      {"l2", none, "mlp", none, regression, PenaltyForm::parameters_only},
      {"rrr", none, "mlp", none, multiclass, PenaltyForm::point_sum},
      {"rrr", with("normalize", true), "mlp", none, multiclass, PenaltyForm::whole_batch},
      {"senn_robustness", with("reduction", std::string("mean")), "senn", none, multiclass,
       PenaltyForm::point_mean},
      {"senn_robustness", none, "senn", none, multiclass, PenaltyForm::whole_batch},
      {"senn_reconstruction", none, "senn", autoencoder, multiclass, PenaltyForm::point_mean},
      {"concept_sparsity", none, "senn", none, multiclass, PenaltyForm::point_sum},
  };
}

TEST(PenaltyForms, EachRegularizerSaysWhatItsPenaltyIsAndTheSplitAddsUpToTheWhole) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.regularizer + " declaring form " + std::to_string(static_cast<int>(c.form)));
    auto regularizer = make_plugin<xreg::Regularizer>(c.regularizer, c.params);
    ASSERT_EQ(regularizer->form(), c.form);
    const int64_t d = 6;
    auto model = model_of(c.model, c.model_params, d, 3, c.task);
    const xreg::Context ctx = context_for(c.task);
    const xreg::Batch batch = batch_of(d);
    const double whole = regularizer->penalty(*model, batch, 5, ctx).item<double>();
    ASSERT_GT(std::abs(whole), 0.0);
    if (c.form == PenaltyForm::whole_batch) {
      // Not a mean or a sum over points: split as one, it would train on another penalty.
      for (PenaltyForm wrong : {PenaltyForm::point_mean, PenaltyForm::point_sum}) {
        EXPECT_GT(std::abs(combined_parts(*regularizer, *model, batch, ctx, wrong) - whole),
                  1e-3 * std::abs(whole));
      }
      continue;
    }
    EXPECT_NEAR(combined_parts(*regularizer, *model, batch, ctx, c.form), whole,
                1e-12 * std::abs(whole));
  }
}

/// A regularizer whose form() answers `answer`, or throws when it has none.
class Answers final : public xreg::Regularizer {
 public:
  explicit Answers(std::optional<PenaltyForm> answer) : answer_(answer) {}
  torch::Tensor penalty(xreg::Model&, const xreg::Batch&, int64_t, const xreg::Context&) override {
    return torch::zeros({});
  }
  PenaltyForm form() const override {
    if (!answer_) throw std::runtime_error("called");
    return *answer_;
  }

 private:
  std::optional<PenaltyForm> answer_;
};

xreg::GuardedRegularizer guarded(std::optional<PenaltyForm> answer) {
  return {std::make_shared<Answers>(answer), {"regularizer plugin 'r'"}};
}

TEST(PenaltyForms, TheHostAsksThePluginAndNamesItWhenItThrows) {
  EXPECT_EQ(guarded(PenaltyForm::point_sum).form(), PenaltyForm::point_sum);
  EXPECT_THROW(guarded(std::nullopt).form(), xreg::RunError);
}

TEST(PenaltyForms, AnAnswerOutsideTheEnumIsAPluginBugNamingThePlugin) {
  try {
    guarded(static_cast<PenaltyForm>(7)).form();
    FAIL() << "accepted";
  } catch (const xreg::RunError& e) {
    EXPECT_NE(std::string(e.what()).find("regularizer plugin 'r': form returned 7"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
