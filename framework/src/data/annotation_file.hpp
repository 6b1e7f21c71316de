#pragma once
/// Reading data.annotation_file, a per-row annotation mask aligned with the rows of the data
/// source that a trial splits (private to the data layer).

#include <torch/types.h>

#include <string>

#include "xreg/host/data/table.hpp"

namespace xreg {

/// The mask file at `path` (resolved), as uint8 [R, point...] of 0 and 1 (1 = the input must not
/// matter), R the rows of the source: table.x's rows and the table.dropped_rows that
/// drop_missing left out, in the source's order; a row of `table` is the mask's row
/// table.index[i]. `source` names the source in messages (its file, or "[data] generator ..."),
/// `row_word` its rows ("data row", "image", "row"). By extension:
/// - .csv: a line per source row of 0/1 values, one per value of a point (the columns of
///   table.x after one-hot encoding, images row-major), comma-separated; an optional first line
///   of names (any field not a number) must list exactly table.feature_names; blank lines at
///   the end are ignored;
/// - .idx, -ubyte, .gz: an IDX file of unsigned bytes [R, ...] whose items hold a point's
///   number of values (row-major), nonzero = 1.
/// Throws ConfigError with one line naming the file (and line) on any mismatch.
torch::Tensor read_annotation_file(const std::string& path, const Table& table,
                                   const std::string& source, const std::string& row_word);

}  // namespace xreg
