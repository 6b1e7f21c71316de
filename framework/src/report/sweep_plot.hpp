#pragma once
// A sweep's metrics against its first swept key, as an SVG figure (private).

#include <string>
#include <vector>

#include "xreg/host/config/sweep.hpp"
#include "xreg/host/run/runner.hpp"

namespace xreg {

/// A metric's column in a sweep's tables and figure: "mse", or "<metric>[<output>]".
std::string metric_column(const MetricSummary& m);

/// One panel per metric column: the mean over trials (± one SD) at each value of the first
/// swept key, a line per combination of the other keys' values; the x axis logarithmic when
/// the values are positive and span a factor of 100 or more. Empty when the first key's values
/// are not all numbers. `reports[i]` is the run of `points[i]`.
std::string sweep_svg(const std::vector<SweepPoint>& points, const std::vector<RunReport>& reports);

}  // namespace xreg
