#pragma once
/// [sweep]: a grid over pipeline keys. Each key, written in --set syntax and quoted
/// (`"regularizer[0].lambda" = [1e-4, 1e-2, 1.0]`), maps to the array of values it takes; the
/// grid is every combination of them, the keys in the order of the file, the last varying
/// fastest. Each point is a pipeline of its own: the file without [sweep], the point's values
/// set as --set would set them (after the command line's --set), run with the file's seed, so
/// that a point gives the numbers of that pipeline run alone.

#include <cstddef>
#include <string>
#include <vector>

#include "xreg/host/config/document.hpp"

namespace xreg {

/// One swept key at one point of the grid.
struct SweepSetting {
  std::string key;    ///< in --set syntax: "regularizer[0].lambda"
  size_t index = 0;   ///< the value's position in the key's array
  std::string value;  ///< the value as TOML text ("1000.0", "\"log_sum\""), for reports
};

/// One point of the grid: a setting per swept key, in the order of the file.
struct SweepPoint {
  std::vector<SweepSetting> settings;
};

/// "regularizer[0].lambda = 1000.0, train.lr = 0.001": the point in messages and logs.
std::string sweep_label(const SweepPoint& point);

/// The points of the document's [sweep] grid; empty when it has no [sweep]. Throws ConfigError
/// "FILE:LINE:COLUMN: ..." when [sweep] is not a table, a value is not a non-empty array, or a
/// key is not one --set could set. Whether the values suit their keys is checked by validating
/// each point's pipeline (at_sweep_point, then validate_pipeline).
std::vector<SweepPoint> sweep_points(const PipelineDocument& document);

/// The document of `point` (one of sweep_points(document)): [sweep] removed and the point's
/// values set, each keeping its place in the file for messages.
PipelineDocument at_sweep_point(const PipelineDocument& document, const SweepPoint& point);

}  // namespace xreg
