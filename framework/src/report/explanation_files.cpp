#include "report/explanation_files.hpp"

#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdio>
#include <filesystem>

#include "report/attribution_maps.hpp"
#include "report/pickled.hpp"
#include "report/text_table.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"

namespace xreg {

namespace fs = std::filesystem;

namespace {

/// The folder of the explanation files in a run folder.
constexpr const char* kExplanationsFolder = "explanations";

/// Significant digits of a coefficient in the CSV, as metrics files write values.
constexpr int kCoefficientDigits = 10;

/// Adds `tensor` under `key`, contiguous on the CPU, when it is defined.
void add_defined(c10::Dict<std::string, at::Tensor>& tensors, const std::string& key,
                 const torch::Tensor& tensor) {
  if (tensor.defined()) tensors.insert(key, tensor.detach().cpu().contiguous());
}

bool safe_in_file_name(char c, bool first) {
  const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return plain || c == '_' || c == '-' || (c == '.' && !first);
}

void write_trial(const fs::path& dir, int64_t trial, const ExplainedPoints& points) {
  const fs::path folder = dir / file_name_of(points.explainer);
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) throw RunError(folder.string() + ": cannot create: " + error.message());
  const std::string stem = "trial-" + std::to_string(trial);
  write_file_atomically((folder / (stem + ".pt")).string(),
                        pickled(c10::IValue(explanation_tensors(points))));
  if (points.tabular) {
    write_file_atomically((folder / (stem + ".csv")).string(), explanation_csv(points));
  }
  if (points.preview.defined() && points.explanation.coefficients.defined()) {
    const int64_t m = points.preview.size(0);
    const GrayImage maps =
        attribution_maps(points.preview, points.explanation.coefficients.slice(0, 0, m));
    write_file_atomically((folder / (stem + "-maps.png")).string(), encode_png(maps));
  }
}

}  // namespace

c10::Dict<std::string, at::Tensor> explanation_tensors(const ExplainedPoints& points) {
  const Explanation& e = points.explanation;
  c10::Dict<std::string, at::Tensor> tensors;
  add_defined(tensors, "index", points.index);
  add_defined(tensors, "coefficients", e.coefficients);
  add_defined(tensors, "intercepts", e.intercepts);
  add_defined(tensors, "prediction", e.prediction);
  add_defined(tensors, "classes", e.classes);
  for (const auto& [name, values] : e.diagnostics) {
    add_defined(tensors, "diagnostics/" + name, values);
  }
  return tensors;
}

std::string explanation_csv(const ExplainedPoints& points) {
  const torch::Tensor coefficients =
      points.explanation.coefficients.detach().cpu().to(torch::kDouble).contiguous();
  const auto c = coefficients.accessor<double, 3>();
  const auto index = points.index.accessor<int64_t, 1>();
  const bool named = static_cast<int64_t>(points.feature_names.size()) == c.size(2);
  std::vector<std::string> features;
  for (int64_t j = 0; j < c.size(2); ++j) {
    features.push_back(named ? csv_field(points.feature_names[j]) : std::to_string(j));
  }
  std::string csv = "point,output,feature,coefficient\n";
  for (int64_t i = 0; i < c.size(0); ++i) {
    const std::string point = std::to_string(index[i]) + ",";
    for (int64_t k = 0; k < c.size(1); ++k) {
      const std::string prefix = point + std::to_string(k) + ",";
      for (int64_t j = 0; j < c.size(2); ++j) {
        csv +=
            prefix + features[j] + "," + significant_digits(c[i][k][j], kCoefficientDigits) + "\n";
      }
    }
  }
  return csv;
}

std::string file_name_of(const std::string& label) {
  std::string name;
  for (size_t i = 0; i < label.size(); ++i) {
    if (safe_in_file_name(label[i], i == 0)) {
      name += label[i];
      continue;
    }
    char escaped[4];
    std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(label[i]));
    name += escaped;
  }
  return name;
}

void write_explanation_files(const std::string& folder, const RunReport& report) {
  const fs::path dir = fs::path(folder) / kExplanationsFolder;
  std::error_code error;
  fs::remove_all(dir, error);
  if (error) throw RunError(dir.string() + ": cannot remove an earlier run's: " + error.message());
  for (const TrialReport& trial : report.trials) {
    for (const ExplainedPoints& points : trial.explanations) write_trial(dir, trial.trial, points);
  }
}

}  // namespace xreg
