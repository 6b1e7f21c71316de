// report.html: a tiny run's page carries the numbers of its metrics.csv and metrics_trials.csv
// and its training curves, and `xreg report` rebuilds it byte for byte; pages of run folders
// written by hand show explanation bar charts, concept PNGs, find-another iterations and a
// sweep's table; every refusal of `xreg report` is one line with exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "scratch_files.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/html_report.hpp"

namespace {

namespace fs = std::filesystem;

using xreg::testing::slurp;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_html_report_test");
  return dir;
}

using xreg::testing::Outcome;

/// Runs `xreg ARGS` from the scratch folder.
Outcome xreg(const std::string& args) {
  return xreg::testing::run_in(scratch(), "'" XREG_APP "' " + args);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

/// The data lines of a CSV file written by xreg (no quoted fields in these runs), split.
std::vector<std::vector<std::string>> csv_rows(const fs::path& file) {
  std::istringstream text(slurp(file));
  std::vector<std::vector<std::string>> rows;
  std::string line;
  std::getline(text, line);  // the header
  while (std::getline(text, line)) {
    std::vector<std::string> fields;
    std::istringstream cells(line);
    for (std::string field; std::getline(cells, field, ',');) fields.push_back(field);
    if (line.back() == ',') fields.emplace_back();
    rows.push_back(fields);
  }
  return rows;
}

/// `spelled` (a number of a file) with 4 significant digits, as the page shows it.
std::string four_digits(const std::string& spelled) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", std::stod(spelled));
  return text;
}

/// Nothing on the page is fetched: no scripts, links or images from elsewhere.
void expect_self_contained(const std::string& page) {
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_FALSE(contains(page, "<script"));
  EXPECT_FALSE(contains(page, "src=\"http"));
  EXPECT_FALSE(contains(page, "href=\"http"));
  EXPECT_FALSE(contains(page, "<link"));
}

const char* kTiny = R"([run]
trials = 2

[data]
format = "builtin"
samples = 120

[model]
plugin = "mlp"
hidden = [8]

[train]
max_epochs = 4

[[regularizer]]
plugin = "l2"
weight = 0.01

[[metric]]
plugin = "mse"
)";

TEST(HtmlReport, CarriesTheRunsNumbersAndCurvesAndIsRebuiltByteForByte) {
  std::ofstream(scratch() / "tiny.toml") << kTiny;
  const Outcome run = xreg("run tiny.toml --output tiny_out --quiet");
  ASSERT_EQ(run.code, 0) << run.err;
  const fs::path dir = scratch() / "tiny_out";
  const std::string page = slurp(dir / "report.html");
  ASSERT_FALSE(page.empty());
  expect_self_contained(page);
  EXPECT_LE(fs::last_write_time(dir / "report.html"), fs::last_write_time(dir / "run.complete"));

  EXPECT_TRUE(contains(page, "mlp + l2 (weight 0.01)"));
  const auto aggregate = csv_rows(dir / "metrics.csv");  // metric,output,mean,sd,trials
  ASSERT_EQ(aggregate.size(), 1u);
  const auto& mse = aggregate[0];
  EXPECT_TRUE(contains(page, "<td title=\"mean " + mse[2] + ", SD " + mse[3] + "\">" +
                                 four_digits(mse[2]) + " (" + four_digits(mse[3]) + ")</td>"))
      << "the metric table's cell of " << mse[2] << " (" << mse[3] << ")";
  const auto trials = csv_rows(dir / "metrics_trials.csv");  // trial,metric,output,mean,sd,points
  ASSERT_EQ(trials.size(), 2u);
  for (const auto& trial : trials) {
    EXPECT_TRUE(contains(page, "<td title=\"" + trial[3] + "\">" + four_digits(trial[3]) + "</td>"))
        << "trial " << trial[0] << "'s value " << trial[3];
  }

  EXPECT_TRUE(contains(page, "training loss"));
  EXPECT_TRUE(contains(page, "validation loss"));
  EXPECT_TRUE(contains(page, "l2: share of the training objective"));
  EXPECT_EQ(count(page, "<svg"), 3u) << "train, validation, the penalty's share";
  EXPECT_EQ(count(page, "<path d='M"), 6u) << "a curve per trial in each";
  EXPECT_TRUE(contains(page, "<pre># Resolved pipeline")) << "the resolved pipeline";
  const std::string plugins = slurp(dir / "plugins.json"), key = "\"l2\", \"version\": \"";
  ASSERT_TRUE(contains(plugins, key)) << plugins;
  const size_t at = plugins.find(key) + key.size();
  const std::string version = plugins.substr(at, plugins.find('"', at) - at);
  EXPECT_TRUE(contains(page, "l2 " + version + " ·")) << "the plugins' versions in the header";
  EXPECT_TRUE(contains(page, "<td>l2</td><td>" + version + "</td>"));

  fs::remove(dir / "report.html");
  const Outcome rebuilt = xreg("report tiny_out");
  ASSERT_EQ(rebuilt.code, 0) << rebuilt.err;
  EXPECT_EQ(rebuilt.out, "tiny_out/report.html\n");
  EXPECT_EQ(slurp(dir / "report.html"), page);
}

/// A run folder by hand: the files a page needs, with `trials` trials of "score".
fs::path write_run(const std::string& name) {
  const fs::path dir = scratch() / name;
  fs::create_directories(dir);
  std::ofstream(dir / "metrics.csv") << "metric,output,mean,sd,trials\nscore,1,0.25,0.125,2\n";
  std::ofstream(dir / "metrics_trials.csv")
      << "trial,metric,output,mean,sd,points\n0,score,1,0.125,0.5,10\n1,score,1,0.375,0.5,10\n";
  std::ofstream(dir / "metrics.json")
      << R"({"pipeline": "hand <made>.toml", "aggregate": [], "trials": [
  {"trial": 0, "trained": false, "notes": [], "metrics": []},
  {"trial": 1, "trained": false, "notes": [], "metrics": []}]})";
  std::ofstream(dir / "pipeline.resolved.toml") << "[model]\nplugin = \"torchscript\"\n";
  std::ofstream(dir / "plugins.json")
      << R"([{"kind": "model", "name": "torchscript", "version": "9.8.7", "library": "x.so", "build": "b"}])";
  std::ofstream(dir / "run.complete") << "done\n";
  return dir;
}

TEST(HtmlReport, ChartsTheLargestCoefficientsOfTheFirstPoints) {
  const fs::path dir = write_run("explained");
  fs::create_directories(dir / "explanations" / "lime");
  std::ofstream csv(dir / "explanations" / "lime" / "trial-0.csv");
  csv << "point,output,feature,coefficient\n";
  for (int point = 0; point < 5; ++point) {
    for (int feature = 0; feature < 12; ++feature) {  // |coefficient| grows with the feature
      csv << point << ",0,f" << feature << "," << (feature % 2 ? -1 : 1) * (feature + 1) << "\n";
    }
  }
  csv.close();
  std::ofstream(dir / "explanations" / "lime" / "trial-1.csv")
      << "point,output,feature,coefficient\n0,0,other_trial,5\n";
  const std::string page = xreg::html_report(dir.string());
  expect_self_contained(page);
  EXPECT_TRUE(contains(page, "hand &lt;made&gt;.toml"));
  EXPECT_TRUE(contains(page, "torchscript, no regularizer"));
  EXPECT_EQ(count(page, "test point "), 3u) << "the first three points";
  EXPECT_FALSE(contains(page, "test point 3"));
  EXPECT_FALSE(contains(page, "other_trial")) << "the first trial's files only";
  EXPECT_EQ(count(page, "<title>f11</title>"), 3u) << "the largest bar of each point";
  EXPECT_FALSE(contains(page, "<title>f1</title>")) << "the two smallest are left out";
  EXPECT_FALSE(contains(page, "<title>f0</title>"));
  const size_t largest = page.find("<title>f11</title>"), next = page.find("<title>f10</title>");
  EXPECT_LT(largest, next) << "bars by magnitude, largest first";
  EXPECT_TRUE(contains(page, "fill='#d62728'")) << "negative coefficients in red";
  EXPECT_TRUE(contains(page, ">-12</text>"));
}

TEST(HtmlReport, EmbedsConceptFiguresAndTablesFindAnotherIterations) {
  const fs::path dir = write_run("concepts");
  fs::create_directories(dir / "concepts");
  std::ofstream(dir / "concepts" / "trial-0-prototypes.png") << "xreg!";  // bytes, not a PNG
  std::ofstream(dir / "concepts" / "trial-0-explained.png") << "ab";
  fs::create_directories(dir / "find_another");
  for (int i = 0; i < 2; ++i) {
    std::ofstream(dir / "find_another" / ("trial-0-iteration-" + std::to_string(i) + ".csv"))
        << "metric,output,mean,sd,points\naccuracy,,0." << 9 - i << ",0.01,50\n";
  }
  std::ofstream(dir / "find_another" / "trial-0-iteration-0-mask.pt") << "not a table";
  const std::string page = xreg::html_report(dir.string());
  EXPECT_TRUE(contains(page, "src=\"data:image/png;base64,eHJlZyE=\"")) << "base64 of 'xreg!'";
  EXPECT_TRUE(contains(page, "src=\"data:image/png;base64,YWI=\""));
  EXPECT_TRUE(contains(page, "<caption>Trial 0</caption>"));
  EXPECT_TRUE(contains(page, "<td>0</td><td title=\"mean 0.9, SD 0.01\">0.9 (0.01)</td>"));
  EXPECT_TRUE(contains(page, "<td>1</td><td title=\"mean 0.8, SD 0.01\">0.8 (0.01)</td>"));
}

TEST(HtmlReport, ShowsASweepsTableFigureAndLinksToItsPoints) {
  const fs::path dir = scratch() / "sweep";
  fs::create_directories(dir / "points" / "0");
  std::ofstream(dir / "sweep.csv") << "point,train.lr,mse mean,mse sd,trials\n"
                                      "0,0.01,0.5,0.25,3\n1,0.1,0.125,0.0625,3\n";
  std::ofstream(dir / "sweep.svg") << "<svg xmlns='http://www.w3.org/2000/svg'><circle/></svg>\n";
  std::ofstream(dir / "run.complete") << "done\n";
  const std::string page = xreg::html_report(dir.string());
  expect_self_contained(page);
  EXPECT_TRUE(contains(page, "<th>train.lr</th><th>mse</th><th>trials</th>"));
  EXPECT_TRUE(contains(page,
                       "<td><a href=\"points/1/report.html\">1</a></td><td>0.1</td>"
                       "<td title=\"mean 0.125, SD 0.0625\">0.125 (0.0625)</td><td>3</td>"));
  EXPECT_TRUE(contains(page, "<circle/></svg>"));
}

void expect_refusal(const std::string& args, const std::string& message) {
  const Outcome run = xreg(args);
  EXPECT_EQ(run.code, 2) << args << ": " << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_TRUE(contains(run.err, message)) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(HtmlReport, RefusesWhatIsNotAFinishedRun) {
  expect_refusal("report", "a RUN_DIR is required");
  expect_refusal("report missing", "missing: no such run folder");
  std::ofstream(scratch() / "a_file") << "x\n";
  expect_refusal("report a_file", "a_file: expected a run folder, found a file");
  write_run("interrupted");
  fs::remove(scratch() / "interrupted" / "run.complete");
  expect_refusal("report interrupted",
                 "interrupted: an interrupted run (no run.complete), not a result");
  std::ofstream(scratch() / "interrupted" / "run.failed") << "xreg: the run failed: boom\n";
  expect_refusal("report interrupted", "interrupted: a failed run (run.failed, no run.complete)");
  EXPECT_FALSE(fs::exists(scratch() / "interrupted" / "report.html"));
  write_run("broken");
  std::ofstream(scratch() / "broken" / "metrics.csv") << "metric,mean\n";
  expect_refusal("report broken",
                 "broken/metrics.csv:1: expected the header metric,output,mean,sd,trials");
}

}  // namespace
