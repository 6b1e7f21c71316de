#pragma once
// Line charts as SVG figures (private): a sweep's metrics against its first swept key, a run's
// training curves.

#include <array>
#include <string>
#include <vector>

#include "xreg/host/config/sweep.hpp"
#include "xreg/host/run/runner.hpp"

namespace xreg {

/// A metric's column in a sweep's tables and figure: "mse", or "<metric>[<output>]".
std::string metric_column(const MetricSummary& m);

/// A line of a chart: its (x, y, error) points, drawn as a path through y with a bar of y ± error
/// where error > 0; `label` names it in the panel's legend.
struct ChartLine {
  std::string label;
  std::vector<std::array<double, 3>> points;
};

/// One panel of a line chart: a line per ChartLine in colours that cycle, a legend when there
/// are at most 8 lines; x ticks at each distinct x when there are at most 12, else at round
/// steps; the x axis logarithmic when `log_x` (positive x only).
struct ChartPanel {
  std::string title, x_name;
  std::vector<ChartLine> lines;
  bool log_x = false;
  bool markers = true;  ///< a dot at each point (false for long curves)
};

/// The panels stacked vertically in one SVG figure, 520 pixels wide and 280 high each.
std::string line_chart_svg(const std::vector<ChartPanel>& panels);

/// One panel per metric column: the mean over trials (± one SD) at each value of the first
/// swept key, a line per combination of the other keys' values; the x axis logarithmic when
/// the values are positive and span a factor of 100 or more. Empty when the first key's values
/// are not all numbers. `reports[i]` is the run of `points[i]`.
std::string sweep_svg(const std::vector<SweepPoint>& points, const std::vector<RunReport>& reports);

}  // namespace xreg
