#include "report/sweep_plot.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

#include "report/text_table.hpp"

namespace xreg {
namespace {

constexpr double kPanelWidth = 520, kPanelHeight = 280;
constexpr double kLeft = 70, kRight = 20, kTop = 34, kBottom = 46, kInset = 12;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c",
                                   "#9467bd", "#ff7f0e", "#17becf"};

std::optional<double> as_number(const std::string& text) {
  double value = 0.0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

std::string tick_label(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

/// A y tick's value with as many decimals as the step between ticks needs to tell them apart.
std::string tick_label(double value, double step) {
  const int decimals = static_cast<int>(std::ceil(-std::log10(step))) + 1;
  if (std::abs(value) >= 1e5 || decimals > 8) return tick_label(value);
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", std::max(decimals, 0), value);
  return text;
}

/// Maps values onto a panel's pixels along one axis.
struct Axis {
  double low, high;  ///< in the axis's units (log10 of the value on a log axis)
  bool log;
  double from, to;  ///< pixels

  double operator()(double value) const {
    const double at = log ? std::log10(value) : value;
    const double span = high > low ? high - low : 1.0;
    return from + (at - low) / span * (to - from);
  }
};

/// A metric's series: (x, mean, sd) per line, keyed by the other keys' values.
using Series = std::map<std::string, std::vector<std::array<double, 3>>>;

/// Lines beyond which a panel draws no legend (it would run off the panel).
constexpr size_t kMaxLegend = 8;
/// Distinct x values up to which a linear axis has a tick at each; beyond, round steps.
constexpr size_t kMaxValueTicks = 12;

/// About five round (1, 2 or 5 times a power of ten) ticks from `low` to `high`.
std::vector<double> round_ticks(double low, double high) {
  const double raw = (high - low) / 5;
  if (!(raw > 0)) return {low};
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double factor : {1.0, 2.0, 5.0}) {
    if (factor * power >= raw) {
      step = factor * power;
      break;
    }
  }
  std::vector<double> ticks;
  for (double t = std::ceil(low / step) * step; t <= high + 1e-9 * step; t += step) {
    ticks.push_back(t);
  }
  return ticks;
}

std::string line_label(const SweepPoint& point) {
  std::string label;
  for (size_t k = 1; k < point.settings.size(); ++k) {
    label += (label.empty() ? "" : ", ") + point.settings[k].key + " = " + point.settings[k].value;
  }
  return label;
}

std::string x_ticks(const Axis& x, double y0, const std::vector<double>& values) {
  std::string svg;
  std::vector<double> ticks;
  if (x.log) {
    for (double e = std::ceil(x.low); e <= x.high + 1e-9; ++e) ticks.push_back(std::pow(10.0, e));
  } else {
    ticks = values;
    std::sort(ticks.begin(), ticks.end());
    ticks.erase(std::unique(ticks.begin(), ticks.end()), ticks.end());
    if (ticks.size() > kMaxValueTicks) ticks = round_ticks(x.low, x.high);
  }
  for (double t : ticks) {
    const std::string px = fixed(x(t));
    svg += "<line x1='" + px + "' y1='" + fixed(y0) + "' x2='" + px + "' y2='" + fixed(y0 + 5) +
           "' stroke='#333'/><text x='" + px + "' y='" + fixed(y0 + 18) +
           "' text-anchor='middle'>" + tick_label(t) + "</text>";
  }
  return svg;
}

std::string y_ticks(const Axis& y, double x0) {
  std::string svg;
  for (int i = 0; i <= 4; ++i) {
    const double value = y.low + (y.high - y.low) * i / 4.0;
    const std::string py = fixed(y(value));
    svg += "<line x1='" + fixed(x0 - 5) + "' y1='" + py + "' x2='" + fixed(x0) + "' y2='" + py +
           "' stroke='#333'/><text x='" + fixed(x0 - 8) + "' y='" + py +
           "' text-anchor='end' dominant-baseline='middle'>" +
           tick_label(value, (y.high - y.low) / 4.0) + "</text>";
  }
  return svg;
}

std::string panel(const ChartPanel& chart, double offset) {
  const bool log_x = chart.log_x;
  double x_low = INFINITY, x_high = -INFINITY, y_low = INFINITY, y_high = -INFINITY;
  std::vector<double> xs;
  for (const ChartLine& line : chart.lines) {
    for (const auto& [x, mean, sd] : line.points) {
      x_low = std::min(x_low, x), x_high = std::max(x_high, x);
      y_low = std::min(y_low, mean - sd), y_high = std::max(y_high, mean + sd);
      xs.push_back(x);
    }
  }
  if (y_high - y_low < 1e-12) y_low -= 0.5, y_high += 0.5;
  const double margin = 0.05 * (y_high - y_low);  // points clear of the axes
  y_low -= margin, y_high += margin;
  const Axis x{log_x ? std::log10(x_low) : x_low, log_x ? std::log10(x_high) : x_high, log_x,
               kLeft + kInset, kPanelWidth - kRight - kInset};
  const Axis y{y_low, y_high, false, offset + kPanelHeight - kBottom, offset + kTop};
  const double x0 = kLeft, y0 = offset + kPanelHeight - kBottom;
  std::string svg = "<text x='" + fixed(kPanelWidth / 2) + "' y='" + fixed(offset + 18) +
                    "' text-anchor='middle' font-weight='bold'>" + html_escaped(chart.title) +
                    "</text>";
  svg += "<line x1='" + fixed(x0) + "' y1='" + fixed(y0) + "' x2='" + fixed(kPanelWidth - kRight) +
         "' y2='" + fixed(y0) + "' stroke='#333'/><line x1='" + fixed(x0) + "' y1='" +
         fixed(offset + kTop) + "' x2='" + fixed(x0) + "' y2='" + fixed(y0) + "' stroke='#333'/>";
  svg += x_ticks(x, y0, xs) + y_ticks(y, x0);
  svg += "<text x='" + fixed((kLeft + kPanelWidth - kRight) / 2) + "' y='" + fixed(y0 + 36) +
         "' text-anchor='middle'>" + html_escaped(chart.x_name) + (log_x ? " (log scale)" : "") +
         "</text>";
  size_t color = 0;
  const bool legend = chart.lines.size() <= kMaxLegend;
  for (const ChartLine& line : chart.lines) {
    const std::string stroke = kColors[color++ % std::size(kColors)];
    std::string path;
    for (const auto& [vx, mean, sd] : line.points) {
      const std::string px = fixed(x(vx));
      path += (path.empty() ? "M" : " L") + px + "," + fixed(y(mean));
      if (sd > 0) {
        svg += "<line x1='" + px + "' y1='" + fixed(y(mean - sd)) + "' x2='" + px + "' y2='" +
               fixed(y(mean + sd)) + "' stroke='" + stroke + "'/>";
      }
      if (chart.markers) {
        svg += "<circle cx='" + px + "' cy='" + fixed(y(mean)) + "' r='3' fill='" + stroke + "'/>";
      }
    }
    svg += "<path d='" + path + "' fill='none' stroke='" + stroke + "'/>";
    if (legend && !line.label.empty()) {
      svg += "<text x='" + fixed(kPanelWidth - kRight) + "' y='" +
             fixed(offset + kTop + 14 * double(color)) + "' text-anchor='end' fill='" + stroke +
             "'>" + html_escaped(line.label) + "</text>";
    }
  }
  return svg;
}

}  // namespace

std::string metric_column(const MetricSummary& m) {
  return m.output < 0 ? m.metric : m.metric + "[" + std::to_string(m.output) + "]";
}

std::string sweep_svg(const std::vector<SweepPoint>& points,
                      const std::vector<RunReport>& reports) {
  std::vector<double> xs;
  for (const SweepPoint& point : points) {
    const std::optional<double> x = as_number(point.settings.at(0).value);
    if (!x) return "";
    xs.push_back(*x);
  }
  const auto [low, high] = std::minmax_element(xs.begin(), xs.end());
  const bool log_x = *low > 0 && *high / *low >= 100;
  std::vector<std::string> columns;
  std::map<std::string, Series> by_column;
  for (size_t i = 0; i < points.size(); ++i) {
    for (const MetricSummary& m : reports[i].aggregate) {
      const std::string column = metric_column(m);
      if (!by_column.count(column)) columns.push_back(column);
      by_column[column][line_label(points[i])].push_back({xs[i], m.mean, m.sd});
    }
  }
  for (auto& [column, series] : by_column) {
    for (auto& [label, line] : series) std::sort(line.begin(), line.end());
  }
  std::vector<ChartPanel> panels;
  for (const std::string& column : columns) {
    ChartPanel chart{column, points[0].settings[0].key, {}, log_x, true};
    for (auto& [label, line] : by_column[column]) chart.lines.push_back({label, line});
    panels.push_back(chart);
  }
  return line_chart_svg(panels);
}

std::string line_chart_svg(const std::vector<ChartPanel>& panels) {
  std::string body;
  for (size_t p = 0; p < panels.size(); ++p) body += panel(panels[p], kPanelHeight * double(p));
  const std::string height = fixed(kPanelHeight * double(panels.size()));
  return "<svg xmlns='http://www.w3.org/2000/svg' width='" + fixed(kPanelWidth) + "' height='" +
         height +
         "' font-family='sans-serif' font-size='12'><rect width='100%' height='100%' "
         "fill='white'/>" +
         body + "</svg>\n";
}

}  // namespace xreg
