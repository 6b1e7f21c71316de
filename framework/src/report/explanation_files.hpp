#pragma once
// The explanations a run folder holds (private; report.hpp lists the files): per explainer and
// trial a tensor file for torch.load, and for tabular data a CSV of the coefficients.

#include <ATen/core/Dict.h>
#include <torch/types.h>

#include <string>

#include "xreg/host/run/runner.hpp"

namespace xreg {

/// What a trial's .pt file of an explainer holds, every tensor [N, ...] with a row per test point:
/// "index" (int64, the point's index in the test split), "coefficients" [N, k, d], then when the
/// explainer gives them "intercepts" [N, k], "prediction" [N, k], "classes" [N] and each
/// diagnostic as "diagnostics/<name>" (e.g. "diagnostics/r2" [N, k]).
c10::Dict<std::string, at::Tensor> explanation_tensors(const ExplainedPoints& points);

/// "point,output,feature,coefficient": a row per point, output and feature (the data's column
/// name when there is one per coefficient, else the coefficient's index).
std::string explanation_csv(const ExplainedPoints& points);

/// `label` as one safe file name: bytes other than letters, digits, '_', '-' and a '.' that does
/// not begin it written as %XX, so that distinct labels give distinct names.
std::string file_name_of(const std::string& label);

/// Writes every trial's explanations into `folder`/explanations/<explainer>/ as trial-<t>.pt
/// (explanation_tensors, saved with torch::pickle_save: Python's torch.load reads a dict) and,
/// for tabular data, trial-<t>.csv (explanation_csv), for images trial-<t>-maps.png (the first
/// points' attribution_maps), each atomically; an earlier run's
/// explanations/ goes first.
void write_explanation_files(const std::string& folder, const RunReport& report);

}  // namespace xreg
