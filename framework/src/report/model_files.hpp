#pragma once
// The trained models a run folder holds (private; report.hpp lists the files).

#include <string>

#include "xreg/host/run/runner.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg {

/// `model` as a run folder keeps it: its TorchScript export (Model::torchscript) where the
/// plugin gives one, else its state() tensors as a list, pickled as torch.save writes it.
SavedModel saved_model(Model& model);

/// The file of a trial's model in a run folder: "models/trial-<t>.pt" for TorchScript,
/// "models/trial-<t>-parameters.pt" for state tensors alone.
std::string model_file(int64_t trial, const SavedModel& model);

/// Writes every trial's model into `folder` (model_file), each atomically; an earlier run's
/// models/ goes first.
void write_model_files(const std::string& folder, const RunReport& report);

}  // namespace xreg
