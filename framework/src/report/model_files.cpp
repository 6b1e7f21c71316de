#include "report/model_files.hpp"

#include <filesystem>

#include "report/pickled.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"

namespace xreg {

namespace fs = std::filesystem;

SavedModel saved_model(Model& model) {
  SavedModel saved;
  saved.bytes = model.torchscript();
  saved.torchscript = !saved.bytes.empty();
  if (saved.torchscript) return saved;
  c10::List<at::Tensor> tensors;
  for (const torch::Tensor& t : model.state()) tensors.push_back(t.detach().cpu().contiguous());
  saved.bytes = pickled(c10::IValue(tensors));
  return saved;
}

std::string model_file(int64_t trial, const SavedModel& model) {
  return "models/trial-" + std::to_string(trial) + (model.torchscript ? ".pt" : "-parameters.pt");
}

void write_model_files(const std::string& folder, const RunReport& report) {
  const fs::path dir = fs::path(folder) / "models";
  std::error_code error;
  fs::remove_all(dir, error);
  if (error) throw RunError(dir.string() + ": cannot remove an earlier run's: " + error.message());
  for (const TrialReport& trial : report.trials) {
    if (trial.model.bytes.empty()) continue;
    fs::create_directories(dir, error);
    if (error) throw RunError(dir.string() + ": cannot create: " + error.message());
    write_file_atomically((fs::path(folder) / model_file(trial.trial, trial.model)).string(),
                          trial.model.bytes);
  }
}

}  // namespace xreg
