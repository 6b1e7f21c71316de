#include "report/bar_chart.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/text_table.hpp"

namespace xreg {
namespace {

constexpr double kWidth = 420, kRow = 20, kTop = 28, kBottom = 8;
constexpr double kLabelEnd = 150, kPlotLeft = 158, kPlotRight = 340, kValueEnd = 414;
/// Characters of a label shown; longer labels end in "…".
constexpr size_t kLabelChars = 22;

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string shortened(const std::string& label) {
  if (display_width(label) <= kLabelChars) return label;
  std::string out;
  size_t shown = 0;
  for (char c : label) {
    const bool starts_character = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (starts_character && ++shown > kLabelChars - 1) break;
    out += c;
  }
  return out + "…";
}

}  // namespace

std::string bar_chart_svg(const std::string& title,
                          const std::vector<std::pair<std::string, double>>& bars) {
  double largest = 0;
  for (const auto& bar : bars) largest = std::max(largest, std::abs(bar.second));
  const double zero = (kPlotLeft + kPlotRight) / 2, half = (kPlotRight - kPlotLeft) / 2;
  const double height = kTop + kRow * double(bars.size()) + kBottom;
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + fixed(kWidth) +
                    "' height='" + fixed(height) +
                    "' font-family='sans-serif' font-size='12'><rect width='100%' "
                    "height='100%' fill='white'/><text x='4' y='16' font-weight='bold'>" +
                    html_escaped(title) + "</text>";
  for (size_t i = 0; i < bars.size(); ++i) {
    const auto& [label, value] = bars[i];
    const double top = kTop + kRow * double(i), middle = top + kRow / 2;
    const double length = largest > 0 && std::isfinite(value) ? half * value / largest : 0;
    svg += "<text x='" + fixed(kLabelEnd) + "' y='" + fixed(middle) +
           "' text-anchor='end' dominant-baseline='middle'><title>" + html_escaped(label) +
           "</title>" + html_escaped(shortened(label)) + "</text>";
    svg += "<rect x='" + fixed(std::min(zero, zero + length)) + "' y='" + fixed(top + 3) +
           "' width='" + fixed(std::abs(length)) + "' height='" + fixed(kRow - 6) + "' fill='" +
           (value < 0 ? "#d62728" : "#1f77b4") + "'/>";
    svg += "<text x='" + fixed(kValueEnd) + "' y='" + fixed(middle) +
           "' text-anchor='end' dominant-baseline='middle'>" + significant_digits(value, 4) +
           "</text>";
  }
  svg += "<line x1='" + fixed(zero) + "' y1='" + fixed(kTop) + "' x2='" + fixed(zero) + "' y2='" +
         fixed(height - kBottom) + "' stroke='#333'/>";
  return svg + "</svg>";
}

}  // namespace xreg
