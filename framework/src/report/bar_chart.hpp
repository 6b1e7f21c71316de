#pragma once
// A horizontal bar chart of signed values as an SVG figure (private): explanation coefficients.

#include <string>
#include <utility>
#include <vector>

namespace xreg {

/// A bar per (label, value) from a zero line in the middle, right and blue for positive values,
/// left and red for negative, scaled to the largest magnitude; the label to the left, the value
/// (4 significant digits) in a column to the right, `title` above.
std::string bar_chart_svg(const std::string& title,
                          const std::vector<std::pair<std::string, double>>& bars);

}  // namespace xreg
