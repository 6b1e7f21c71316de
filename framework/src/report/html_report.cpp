#include "xreg/host/report/html_report.hpp"

#include <sys/stat.h>

// property_tree reaches boost/bind.hpp, which otherwise warns about its global placeholders.
#define BOOST_BIND_GLOBAL_PLACEHOLDERS
#include <toml++/toml.h>

#include <algorithm>
#include <boost/property_tree/json_parser.hpp>
#include <boost/property_tree/ptree.hpp>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "report/bar_chart.hpp"
#include "report/run_folder.hpp"
#include "report/sweep_plot.hpp"
#include "report/text_table.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/report.hpp"

namespace xreg {

namespace fs = std::filesystem;
using boost::property_tree::ptree;

namespace {

/// Significant digits of the values shown; the files' own spelling is each cell's tooltip.
constexpr int kShownDigits = 4;
/// Explanation examples: files charted, points per file, largest coefficients per point.
constexpr size_t kExplanationFiles = 4;
constexpr size_t kExplainedPoints = 3;
constexpr size_t kTopCoefficients = 10;

constexpr const char* kReportFile = "report.html";
constexpr const char* kAggregateHeader = "metric,output,mean,sd,trials";
constexpr const char* kTrialsHeader = "trial,metric,output,mean,sd,points";
constexpr const char* kIterationHeader = "metric,output,mean,sd,points";
constexpr const char* kExplanationHeader = "point,output,feature,coefficient";

constexpr const char* kStyle =
    "body { font-family: sans-serif; max-width: 1120px; margin: 1.5em auto; padding: 0 1em;"
    " color: #222; line-height: 1.4; }\n"
    "h1 { font-size: 1.5em; margin-bottom: 0.2em; word-break: break-all; }\n"
    "h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }\n"
    ".meta { color: #555; margin: 0.2em 0; }\n"
    "table { border-collapse: collapse; margin: 0.5em 0; }\n"
    "th, td { padding: 0.25em 0.8em; text-align: right; white-space: nowrap;"
    " font-variant-numeric: tabular-nums; }\n"
    "th { white-space: normal; vertical-align: bottom; }\n"
    "th:first-child, td:first-child { text-align: left; }\n"
    "thead th { border-bottom: 1px solid #444; background: #f4f4f4; }\n"
    "tbody tr:nth-child(even) { background: #fafafa; }\n"
    "caption { caption-side: bottom; text-align: left; color: #555; padding-top: 0.4em; }\n"
    ".figures { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }\n"
    ".figures img { image-rendering: pixelated; border: 1px solid #ddd; }\n"
    "details { margin: 0.8em 0; }\n"
    "summary { cursor: pointer; font-weight: bold; }\n"
    "pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.9em; }\n"
    ".scroll { overflow-x: auto; }\n";

[[noreturn]] void fail(const std::string& message) { throw ConfigError(message); }

/// The whole file; throws ConfigError naming it when it cannot be read.
std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file.string() + ": cannot read: expected a file of the run folder");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ptree read_json(const fs::path& file) {
  std::istringstream text(read_text(file));
  ptree tree;
  try {
    boost::property_tree::read_json(text, tree);
  } catch (const boost::property_tree::json_parser_error& error) {
    fail(file.string() + ":" + std::to_string(error.line()) + ": expected JSON, " +
         error.message());
  }
  return tree;
}

/// A JSON array's numbers; null (an undefined value) as NaN.
std::vector<double> json_numbers(const ptree& array) {
  std::vector<double> values;
  for (const auto& item : array) {
    values.push_back(item.second.get_value_optional<double>().value_or(std::nan("")));
  }
  return values;
}

std::string base64(const std::string& bytes) {
  static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    out += digits[group >> 18 & 63];
    out += digits[group >> 12 & 63];
    out += n > 1 ? digits[group >> 6 & 63] : '=';
    out += n > 2 ? digits[group & 63] : '=';
  }
  return out;
}

/// `file` (a PNG of the run folder) as a figure of the page, its pixels kept sharp.
std::string png_image(const fs::path& file, const std::string& caption) {
  return "<figure><img src=\"data:image/png;base64," + base64(read_text(file)) + "\" alt=\"" +
         html_escaped(caption) + "\"><figcaption>" + html_escaped(caption) +
         "</figcaption></figure>";
}

/// When `file` was last written, in UTC: the run's date for a page that must come out the same
/// whenever it is rebuilt.
std::string written_at(const fs::path& file) {
  struct stat status {};
  if (::stat(file.c_str(), &status) != 0) return "an unknown date";
  std::tm utc{};
  gmtime_r(&status.st_mtime, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

/// `key`'s child of `tree`, or an empty tree when there is none.
ptree child(const ptree& tree, const std::string& key) {
  const auto found = tree.get_child_optional(key);
  return found ? *found : ptree();
}

std::string cell(const std::string& tag, const std::string& text, const std::string& title = "") {
  const std::string tip = title.empty() ? "" : " title=\"" + html_escaped(title) + "\"";
  return "<" + tag + tip + ">" + text + "</" + tag + ">";
}

/// A table: `header` and `rows` already escaped (cells may hold markup), `caption` plain text.
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows,
                       const std::string& caption = "") {
  std::string out = "<div class=\"scroll\"><table>";
  if (!caption.empty()) out += "<caption>" + html_escaped(caption) + "</caption>";
  out += "<thead><tr>";
  for (const std::string& h : header) out += cell("th", h);
  out += "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const std::string& c : row) out += c.rfind("<td", 0) == 0 ? c : cell("td", c);
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

/// A number of a file shown with kShownDigits, its spelling in the file as the tooltip.
std::string shown(const std::string& spelled) {
  double value = 0;
  return parse_number(spelled, &value) ? significant_digits(value, kShownDigits) : spelled;
}

/// "mean (sd)" of a file's two fields, the file's spelling of both as the tooltip.
std::string mean_sd_cell(const std::string& mean, const std::string& sd) {
  if (mean.empty()) return cell("td", "–");
  return cell("td", shown(mean) + " (" + shown(sd) + ")", "mean " + mean + ", SD " + sd);
}

/// "mse", or "<metric>[<output>]": the metric's column as the terminal tables name it.
std::string metric_name(const std::string& metric, const std::string& output) {
  return output.empty() ? metric : metric + "[" + output + "]";
}

/// A column header that may wrap after each "/" ("lime/<wbr>stability[0]").
std::string breakable(const std::string& name) {
  std::string out;
  for (char c : name) out += html_escaped(std::string(1, c)) + (c == '/' ? "<wbr>" : "");
  return out;
}

std::string section(const std::string& title, const std::string& body) {
  return "<h2>" + html_escaped(title) + "</h2>\n" + body;
}

std::string folded(const std::string& title, const std::string& body) {
  return "<details><summary>" + html_escaped(title) + "</summary>\n" + body + "</details>\n";
}

std::string page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
         html_escaped(title) + "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n" +
         body +
         "<p class=\"meta\">Built by xreg from the files of this run folder; "
         "<code>xreg report FOLDER</code> rebuilds it.</p>\n</body>\n</html>\n";
}

/// What the run trained: its model and each regularizer with its weight, from the resolved
/// pipeline ("mlp + expo_fidelity (weight 0.005)").
std::string method_label(const fs::path& file) {
  toml::table pipeline;
  try {
    pipeline = toml::parse(read_text(file), file.string());
  } catch (const toml::parse_error& error) {
    fail(file.string() + ":" + std::to_string(error.source().begin.line) + ": expected TOML, " +
         std::string(error.description()));
  }
  std::string label = pipeline["model"]["plugin"].value_or(std::string("model"));
  const toml::array* regularizers = pipeline["regularizer"].as_array();
  if (!regularizers || regularizers->empty()) return label + ", no regularizer";
  for (const toml::node& node : *regularizers) {
    const toml::node_view<const toml::node> slot(node);
    label += " + " + slot["plugin"].value_or(std::string("?"));
    if (const auto weight = slot["weight"].value<double>()) {
      label += " (weight " + significant_digits(*weight, kShownDigits) + ")";
    }
  }
  return label;
}

/// The plugins of plugins.json: "name version" for the header, and a table.
std::pair<std::string, std::string> plugins_summary(const fs::path& file) {
  std::vector<std::vector<std::string>> rows;
  std::string line;
  for (const auto& item : read_json(file)) {
    const ptree& p = item.second;
    const std::string name = p.get("name", ""), version = p.get("version", "");
    line += (line.empty() ? "" : " · ") + name + " " + version;
    rows.push_back({html_escaped(p.get("kind", "")), html_escaped(name), html_escaped(version),
                    html_escaped(p.get("build", "")), html_escaped(p.get("library", ""))});
  }
  return {line,
          html_table({"kind", "plugin", "version", "build", "library"}, rows, "plugins.json")};
}

std::string results_section(const fs::path& dir, const std::string& method) {
  std::vector<std::vector<std::string>> rows;
  std::string trials;
  for (const CsvRow& row : read_csv_file((dir / "metrics.csv").string(), kAggregateHeader).rows) {
    const auto& f = row.fields;
    rows.push_back({html_escaped(metric_name(f[0], f[1])), mean_sd_cell(f[2], f[3]), f[4]});
  }
  return section("Results",
                 html_table({"metric", html_escaped(method), "trials"}, rows,
                            "Mean (SD) over trials, as metrics.csv; a value's tooltip gives it "
                            "in full."));
}

/// The per-trial table: a row per trial, a column per metric, each trial's mean as the file
/// spells it.
std::string trials_table(const fs::path& dir) {
  std::vector<std::string> columns;
  std::map<std::string, std::map<std::string, std::string>> by_trial;
  std::vector<std::string> trials;
  for (const CsvRow& row :
       read_csv_file((dir / "metrics_trials.csv").string(), kTrialsHeader).rows) {
    const auto& f = row.fields;
    const std::string column = metric_name(f[1], f[2]);
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      columns.push_back(column);
    if (!by_trial.count(f[0])) trials.push_back(f[0]);
    by_trial[f[0]][column] = f[3];
  }
  std::vector<std::string> header{"trial"};
  for (const std::string& column : columns) header.push_back(breakable(column));
  std::vector<std::vector<std::string>> rows;
  for (const std::string& trial : trials) {
    std::vector<std::string> row{trial};
    for (const std::string& column : columns) {
      const std::string& value = by_trial[trial][column];
      row.push_back(cell("td", shown(value), value));
    }
    rows.push_back(row);
  }
  return html_table(header, rows,
                    "Each trial's mean over the test points (metrics_trials.csv); a value's "
                    "tooltip gives it in full.");
}

/// A trial's curve as chart points (epoch, value), undefined values left out.
ChartLine curve(const std::string& label, const std::vector<double>& values) {
  ChartLine line{label, {}};
  for (size_t epoch = 0; epoch < values.size(); ++epoch) {
    if (std::isfinite(values[epoch])) line.points.push_back({double(epoch), values[epoch], 0});
  }
  return line;
}

/// Each regularizer's share of the training objective per epoch: its weighted penalty over the
/// model's loss plus every penalty.
std::vector<std::vector<double>> penalty_shares(const std::vector<double>& train,
                                                const std::vector<std::vector<double>>& penalties) {
  std::vector<std::vector<double>> shares(penalties.size());
  for (size_t epoch = 0; epoch < train.size(); ++epoch) {
    double total = train[epoch];
    for (const auto& p : penalties) total += epoch < p.size() ? p[epoch] : 0;
    for (size_t r = 0; r < penalties.size(); ++r) {
      shares[r].push_back(epoch < penalties[r].size() ? penalties[r][epoch] / total : NAN);
    }
  }
  return shares;
}

std::string training_curves(const ptree& trials) {
  ChartPanel train{
      "training loss (the model's loss, without penalties)", "epoch", {}, false, false};
  ChartPanel validation{"validation loss", "epoch", {}, false, false};
  std::vector<ChartPanel> shares;
  for (const auto& item : trials) {
    const ptree& trial = item.second;
    const auto history = trial.get_child_optional("history");
    if (!history) continue;
    const std::string label = "trial " + trial.get("trial", "?");
    const std::vector<double> losses = json_numbers(child(*history, "train_loss"));
    train.lines.push_back(curve(label, losses));
    const ChartLine validated = curve(label, json_numbers(child(*history, "validation_loss")));
    if (!validated.points.empty()) validation.lines.push_back(validated);
    std::vector<std::vector<double>> penalties;
    std::vector<std::string> names;
    for (const auto& p : child(*history, "penalties")) {
      penalties.push_back(json_numbers(child(p.second, "values")));
      names.push_back(p.second.get("regularizer", "regularizer"));
    }
    const auto share = penalty_shares(losses, penalties);
    for (size_t r = 0; r < share.size(); ++r) {
      if (shares.size() <= r) {
        shares.push_back(
            {names[r] + ": share of the training objective", "epoch", {}, false, false});
      }
      const ChartLine line = curve(label, share[r]);
      if (!line.points.empty()) shares[r].lines.push_back(line);
    }
  }
  if (train.lines.empty() || train.lines[0].points.empty()) return "";
  std::string figures = "<div class=\"figures\">" + line_chart_svg({train});
  if (!validation.lines.empty()) figures += line_chart_svg({validation});
  for (const ChartPanel& share : shares) {
    if (!share.lines.empty()) figures += line_chart_svg({share});
  }
  return figures + "</div>\n";
}

/// The training record of each trial: epochs, the epoch kept, time and the trainer's notes.
std::string training_table(const ptree& trials) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : trials) {
    const ptree& t = item.second;
    std::string notes;
    for (const auto& note : child(t, "notes")) {
      notes += (notes.empty() ? "" : "; ") + note.second.get_value<std::string>();
    }
    const bool trained = t.get("trained", false);
    const std::string seconds = t.get("train_seconds", "");
    rows.push_back({t.get("trial", "?"), trained ? t.get("epochs", "") : "not trained",
                    trained ? t.get("best_epoch", "") : "",
                    trained ? (t.get("stopped_by_cap", false) ? "yes" : "no") : "",
                    seconds.empty() ? "" : shown(seconds), html_escaped(notes)});
  }
  return html_table({"trial", "epochs", "best epoch", "stopped by the cap", "seconds", "notes"},
                    rows,
                    "Epochs count from 0; the best epoch's weights are kept. \"Stopped by the "
                    "cap\": max_epochs ended training before early stopping would have.");
}

std::string training_section(const ptree& metrics) {
  const ptree trials = child(metrics, "trials");
  return section("Training", training_curves(trials) + training_table(trials));
}

/// The CSV files under explanations/ to chart: the first trial's when the names tell trials
/// apart ("trial-0"), at most kExplanationFiles.
std::vector<fs::path> explanation_files(const fs::path& dir) {
  std::vector<fs::path> files, first_trial;
  std::error_code error;
  for (auto it = fs::recursive_directory_iterator(dir / "explanations", error);
       !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
    if (it->is_regular_file() && it->path().extension() == ".csv") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const std::string name = file.lexically_relative(dir).string();
    if (name.find("trial-0") != std::string::npos || name.find("trial_0") != std::string::npos)
      first_trial.push_back(file);
  }
  if (!first_trial.empty()) files = first_trial;
  if (files.size() > kExplanationFiles) files.resize(kExplanationFiles);
  return files;
}

/// Bar charts of the largest coefficients of the first points of one explanations file (each
/// point's first output).
std::string explanation_charts(const fs::path& dir, const fs::path& file) {
  std::vector<std::string> points;
  std::map<std::string, std::string> output_of;
  std::map<std::string, std::vector<std::pair<std::string, double>>> bars;
  for (const CsvRow& row : read_csv_file(file.string(), kExplanationHeader).rows) {
    const auto& f = row.fields;
    if (!output_of.count(f[0])) {
      if (points.size() == kExplainedPoints) continue;
      points.push_back(f[0]);
      output_of[f[0]] = f[1];
    }
    double value = 0;
    if (!parse_number(f[3], &value)) {
      fail(row.at + "expected a number for the coefficient, found '" + f[3] + "'");
    }
    if (output_of[f[0]] == f[1]) bars[f[0]].push_back({f[2], value});
  }
  std::string out;
  const std::string name = file.lexically_relative(dir).string();
  for (const std::string& point : points) {
    auto& list = bars[point];
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
      return std::abs(a.second) > std::abs(b.second);
    });
    if (list.size() > kTopCoefficients) list.resize(kTopCoefficients);
    const std::string output = output_of[point].empty() ? "" : ", output " + output_of[point];
    out += bar_chart_svg(name + ": test point " + point + output, list);
  }
  return out;
}

/// The first trial's attribution figures of image explanations (explanations/*/trial-0-maps.png).
std::vector<fs::path> attribution_figures(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(dir / "explanations", error)) {
    const fs::path file = item.path() / "trial-0-maps.png";
    if (fs::exists(file)) files.push_back(file);
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string explanations_section(const fs::path& dir) {
  std::string body;
  const std::vector<fs::path> files = explanation_files(dir);
  if (!files.empty()) {
    std::string figures;
    for (const fs::path& file : files) figures += explanation_charts(dir, file);
    body += "<p>The " + std::to_string(kTopCoefficients) +
            " largest coefficients (by magnitude) of the first test points' explanations; blue "
            "raises the output, red lowers it.</p>\n<div class=\"figures\">" +
            figures + "</div>\n";
  }
  const std::vector<fs::path> maps = attribution_figures(dir);
  if (!maps.empty()) {
    std::string figures;
    for (const fs::path& file : maps) {
      figures += png_image(file, file.lexically_relative(dir).string());
    }
    body +=
        "<p>The first test points (left) and their attribution maps, one per explained "
        "output, each scaled by its largest magnitude: white raises the output, black "
        "lowers it, mid-gray is 0.</p>\n<div class=\"figures\">" +
        figures + "</div>\n";
  }
  return body.empty() ? "" : section("Explanations", body);
}

/// The files under models/ and how to load them.
std::string models_section(const fs::path& dir) {
  std::vector<std::string> torchscript, parameters;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(dir / "models", error)) {
    const std::string name = "models/" + item.path().filename().string();
    const bool alone = name.size() > 14 && name.substr(name.size() - 14) == "-parameters.pt";
    (alone ? parameters : torchscript).push_back(name);
  }
  std::sort(torchscript.begin(), torchscript.end());
  std::sort(parameters.begin(), parameters.end());
  const auto listed = [](const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) {
      text += (text.empty() ? "" : ", ") + ("<code>" + html_escaped(name) + "</code>");
    }
    return text;
  };
  std::string body;
  if (!torchscript.empty()) {
    body += "<p>TorchScript modules, one per trial: " + listed(torchscript) +
            ". In Python, <code>torch.jit.load(path)</code> gives the model, its outputs for "
            "the inputs as the run's data give them; in a pipeline, <code>[model] plugin = "
            "\"torchscript\"</code> explains and scores it again.</p>\n";
  }
  if (!parameters.empty()) {
    body += "<p>The model plugin exports no TorchScript: " + listed(parameters) +
            " hold its parameters and buffers alone (<code>torch.load</code> gives a list of "
            "tensors).</p>\n";
  }
  return body.empty() ? "" : section("Models", body);
}

/// PNG figures of `subfolder` whose names start with `prefix`, in name order.
std::vector<fs::path> png_files(const fs::path& dir, const std::string& subfolder) {
  std::vector<fs::path> files;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(dir / subfolder, error)) {
    if (item.path().extension() == ".png") files.push_back(item.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string concepts_section(const fs::path& dir) {
  std::string figures;
  for (const fs::path& file : png_files(dir, "concepts")) {
    figures += png_image(file, "concepts/" + file.filename().string());
  }
  if (figures.empty()) return "";
  return section("Concepts",
                 "<p>Per concept (a row) the training examples that activate it most; and a test "
                 "point with its concept relevances (up positive, down negative).</p>\n"
                 "<div class=\"figures\">" +
                     figures + "</div>\n");
}

/// find_another/trial-<t>-iteration-<i>.csv: a table per trial, a row per iteration.
std::string find_another_section(const fs::path& dir) {
  std::map<int64_t, std::map<int64_t, fs::path>> files;
  std::error_code error;
  for (const auto& item : fs::directory_iterator(dir / "find_another", error)) {
    long trial = 0, iteration = 0;
    const fs::path& file = item.path();
    if (file.extension() == ".csv" &&
        std::sscanf(file.filename().c_str(), "trial-%ld-iteration-%ld", &trial, &iteration) == 2 &&
        file.stem() ==
            "trial-" + std::to_string(trial) + "-iteration-" + std::to_string(iteration)) {
      files[trial][iteration] = file;
    }
  }
  std::string tables;
  for (const auto& [trial, iterations] : files) {
    std::vector<std::string> columns{"iteration"};
    std::vector<std::vector<std::string>> rows;
    for (const auto& [iteration, file] : iterations) {
      std::vector<std::string> row{std::to_string(iteration)};
      for (const CsvRow& r : read_csv_file(file.string(), kIterationHeader).rows) {
        const std::string column = breakable(metric_name(r.fields[0], r.fields[1]));
        if (rows.empty()) columns.push_back(column);
        row.push_back(mean_sd_cell(r.fields[2], r.fields[3]));
      }
      rows.push_back(row);
    }
    tables += html_table(columns, rows, "Trial " + std::to_string(trial));
  }
  if (tables.empty()) return "";
  return section("Find another explanation",
                 "<p>Each iteration's model, trained with every earlier iteration's explanation "
                 "annotated as irrelevant: mean (SD) over the test points.</p>\n" +
                     tables);
}

std::string run_page(const fs::path& dir) {
  const ptree metrics = read_json(dir / "metrics.json");
  const std::string pipeline = metrics.get("pipeline", dir.string());
  const std::string method = method_label(dir / "pipeline.resolved.toml");
  const auto [plugins_line, plugins_table] = plugins_summary(dir / "plugins.json");
  const size_t trials = child(metrics, "trials").size();
  std::string body = "<h1>" + html_escaped(pipeline) + "</h1>\n<p class=\"meta\">" +
                     html_escaped(method) + " · " + std::to_string(trials) +
                     (trials == 1 ? " trial" : " trials") + " · run of " +
                     written_at(dir / "metrics.csv") +
                     "</p>\n<p class=\"meta\">Plugins: " + html_escaped(plugins_line) + "</p>\n";
  body += results_section(dir, method);
  body += training_section(metrics);
  body += models_section(dir);
  body += explanations_section(dir);
  body += concepts_section(dir);
  body += find_another_section(dir);
  body += section(
      "Details",
      folded("Per-trial values", trials_table(dir)) +
          folded("Resolved pipeline",
                 "<pre>" + html_escaped(read_text(dir / "pipeline.resolved.toml")) + "</pre>\n") +
          folded("Plugins", plugins_table));
  return page("xreg report: " + pipeline, body);
}

/// sweep.csv as a table: a row per point (linked to its own page), its swept values, each
/// metric's "mean (sd)" from the file's "<metric> mean" and "<metric> sd" columns.
std::string sweep_table_html(const fs::path& dir) {
  const CsvFile csv = read_csv_file((dir / "sweep.csv").string());
  const std::vector<std::string>& h = csv.header;
  const std::string mean_suffix = " mean";
  size_t first_metric = 1;
  while (first_metric < h.size() &&
         !(h[first_metric].size() > mean_suffix.size() &&
           h[first_metric].compare(h[first_metric].size() - mean_suffix.size(), mean_suffix.size(),
                                   mean_suffix) == 0)) {
    ++first_metric;
  }
  const size_t trials = h.size() - 1;  // the last column; "<metric> sd" after each mean
  std::vector<std::string> header;
  for (size_t c = 0; c < first_metric; ++c) header.push_back(html_escaped(h[c]));
  for (size_t c = first_metric; c + 1 < trials; c += 2) {
    header.push_back(breakable(h[c].substr(0, h[c].size() - mean_suffix.size())));
  }
  header.push_back("trials");
  std::vector<std::vector<std::string>> rows;
  for (const CsvRow& row : csv.rows) {
    const auto& f = row.fields;
    const std::string link = "points/" + f[0] + "/" + kReportFile;
    std::vector<std::string> cells{"<td><a href=\"" + html_escaped(link) + "\">" +
                                   html_escaped(f[0]) + "</a></td>"};
    for (size_t c = 1; c < first_metric; ++c) cells.push_back(html_escaped(f[c]));
    for (size_t c = first_metric; c + 1 < trials; c += 2) {
      cells.push_back(mean_sd_cell(f[c], f[c + 1]));
    }
    cells.push_back(html_escaped(f[trials]));
    rows.push_back(cells);
  }
  return html_table(header, rows,
                    "Mean (SD) over each point's trials, as sweep.csv; a point's number links its "
                    "own report.");
}

std::string sweep_page(const fs::path& dir) {
  const fs::path first = dir / "points" / "0";
  std::error_code error;
  const bool has_first = fs::exists(first / "metrics.json", error);
  const std::string pipeline =
      has_first ? read_json(first / "metrics.json").get("pipeline", dir.string()) : dir.string();
  std::string body = "<h1>" + html_escaped(pipeline) +
                     "</h1>\n<p class=\"meta\">A sweep · run of " + written_at(dir / "sweep.csv") +
                     "</p>\n";
  std::string plugins_table;
  if (fs::exists(first / "plugins.json", error)) {
    const auto summary = plugins_summary(first / "plugins.json");
    body += "<p class=\"meta\">Plugins: " + html_escaped(summary.first) + "</p>\n";
    plugins_table = summary.second;
  }
  body += section("Results", sweep_table_html(dir));
  if (fs::exists(dir / "sweep.svg", error)) {
    body += section("Each metric against the first swept key",
                    "<div class=\"figures\">" + read_text(dir / "sweep.svg") + "</div>\n");
  }
  if (!plugins_table.empty()) body += section("Details", folded("Plugins", plugins_table));
  return page("xreg report: " + pipeline, body);
}

}  // namespace

std::string html_report(const std::string& folder) {
  const fs::path dir(folder);
  std::error_code error;
  return fs::exists(dir / "sweep.csv", error) ? sweep_page(dir) : run_page(dir);
}

void rebuild_html_report(const std::string& folder) {
  check_run_folder(folder);
  check_run_published(folder);
  write_file_atomically((fs::path(folder) / kReportFile).string(), html_report(folder));
}

}  // namespace xreg
