#pragma once
/// Reading CSV files: with or without header, target by name, index or `last`, ignored and
/// categorical (one-hot) columns, regression targets and class labels.

#include <string>

#include "xreg/host/data/table.hpp"
#include "xreg/sdk/params.hpp"

namespace xreg {

/// Reads a CSV file as described by `data` (validated against data_schema()). Throws
/// ConfigError "FILE:LINE: expected ..., found ..." on malformed input. table.index is each
/// row's 0-based position among the file's data rows (those drop_missing leaves out skipped).
Table read_csv(const std::string& path, const Params& data);

}  // namespace xreg
