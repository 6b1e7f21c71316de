// `xreg compare` on run folders written by hand: means and SDs over trials, relative changes,
// Welch t-test p-values against values computed here independently, "–" for missing metrics,
// and each refusal through the real program (one line, exit code 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "scratch_files.hpp"
#include "xreg/host/errors.hpp"
#include "xreg/host/report/compare.hpp"

namespace {

namespace fs = std::filesystem;

using xreg::testing::slurp;

fs::path scratch() {
  static const fs::path dir = xreg::testing::scratch_folder("xreg_compare_test");
  return dir;
}

using xreg::testing::Outcome;

/// Runs `xreg ARGS` from the scratch folder.
Outcome xreg(const std::string& args) {
  return xreg::testing::run_in(scratch(), "'" XREG_APP "' " + args);
}

/// metrics_trials.csv rows of one metric (`output` "" for a single column): trial t's mean is
/// values[t]; the sd and points columns are not read by a comparison.
std::string rows(const std::string& metric, const std::string& output,
                 const std::vector<double>& values) {
  std::string text;
  for (size_t t = 0; t < values.size(); ++t) {
    text += std::to_string(t) + "," + metric + "," + output + "," + std::to_string(values[t]) +
            ",0.5,100\n";
  }
  return text;
}

/// A run folder under the scratch folder, as `xreg run` leaves it for a comparison:
/// metrics_trials.csv with its header and `body`, and run.complete when `complete`.
std::string write_run(const std::string& name, const std::string& body, bool complete = true) {
  const fs::path dir = scratch() / name;
  fs::create_directories(dir);
  std::ofstream(dir / "metrics_trials.csv") << "trial,metric,output,mean,sd,points\n" << body;
  if (complete) std::ofstream(dir / "run.complete") << "xreg: every file of this run is written\n";
  return dir.string();
}

/// Student's t density integrated by Simpson's rule: 2 P(T > |t|) with `df` degrees of freedom,
/// independent of Boost.
double two_sided_p(double t, double df) {
  const double c = std::exp(std::lgamma((df + 1) / 2) - std::lgamma(df / 2)) / std::sqrt(df * M_PI);
  auto density = [&](double x) { return c * std::pow(1 + x * x / df, -(df + 1) / 2); };
  const int n = 20000;  // even
  const double h = std::abs(t) / n;
  double sum = density(0) + density(std::abs(t));
  for (int i = 1; i < n; ++i) sum += density(i * h) * (i % 2 ? 4 : 2);
  return 1 - 2 * sum * h / 3;
}

/// Welch's t and Welch-Satterthwaite degrees of freedom, written out.
std::pair<double, double> welch_t_df(const std::vector<double>& a, const std::vector<double>& b) {
  auto moments = [](const std::vector<double>& v) {
    double mean = 0, ss = 0;
    for (double x : v) mean += x;
    mean /= v.size();
    for (double x : v) ss += (x - mean) * (x - mean);
    return std::make_pair(mean, ss / (v.size() - 1) / v.size());  // mean, variance / n
  };
  const auto [ma, sa] = moments(a);
  const auto [mb, sb] = moments(b);
  const double df = (sa + sb) * (sa + sb) / (sa * sa / (a.size() - 1) + sb * sb / (b.size() - 1));
  return {(ma - mb) / std::sqrt(sa + sb), df};
}

int lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Compare, WelchPValueMatchesIndependentValues) {
  const std::vector<double> a{1, 2, 3, 4, 5}, b{2, 4, 6, 8, 10};
  const auto [t, df] = welch_t_df(a, b);
  EXPECT_NEAR(t, -1.8973665961, 1e-9);
  EXPECT_NEAR(df, 100.0 / 17, 1e-12);                    // 6.25 / 1.0625 = 5.882
  EXPECT_NEAR(two_sided_p(t, df), 0.10753119493, 1e-9);  // scipy.stats.ttest_ind, equal_var=False
  EXPECT_NEAR(xreg::welch_p_value(a, b), 0.10753119493, 1e-9);
  EXPECT_NEAR(xreg::welch_p_value(b, a), 0.10753119493, 1e-9);

  const std::vector<double> c{1, 2, 3, 4}, d{10, 10.5, 11};  // unequal sizes, p ~ 3e-4
  const auto [t2, df2] = welch_t_df(c, d);
  EXPECT_NEAR(xreg::welch_p_value(c, d), two_sided_p(t2, df2), 1e-9);
  EXPECT_NEAR(xreg::welch_p_value(c, d), 0.00031384689, 1e-10);

  // One variance 0: df = n - 1 = 2, where 2 P(T > |t|) = 1 - |t| / sqrt(2 + t^2) exactly.
  const double t3 = (2.0 - 5.0) / std::sqrt(1.0 / 3);
  EXPECT_NEAR(xreg::welch_p_value({1, 2, 3}, {5, 5, 5}), 1 - std::abs(t3) / std::sqrt(2 + t3 * t3),
              1e-12);

  EXPECT_DOUBLE_EQ(xreg::welch_p_value({1, 2, 3}, {0, 2, 4}), 1.0);  // equal means
  EXPECT_TRUE(std::isnan(xreg::welch_p_value({1}, {1, 2, 3})));      // one trial
  EXPECT_TRUE(std::isnan(xreg::welch_p_value({1, 2}, {})));
  EXPECT_TRUE(std::isnan(xreg::welch_p_value({2, 2, 2}, {3, 3})));  // no spread at all
  EXPECT_TRUE(std::isnan(xreg::welch_p_value({1, std::nan("")}, {1, 2})));
}

TEST(Compare, MeansSdsChangesAndPValuesOfEachRun) {
  const std::string base = write_run("base", rows("mse", "", {1, 2, 3, 4, 5}) +
                                                 rows("lime/stability", "0", {2, 2, 2, 2, 2}) +
                                                 rows("only_base", "", {7, 8, 9, 10, 11}));
  const std::string other = write_run("other", rows("mse", "", {2, 4, 6, 8, 10}) +
                                                   rows("lime/stability", "0", {1, 1, 1, 1, 1}) +
                                                   rows("\"a,\"\"b\"\"\"", "", {5, 6, 7, 8, 9}));
  const xreg::RunComparison c = xreg::compare_runs({base, other});
  EXPECT_EQ(c.names, (std::vector<std::string>{"base", "other"}));
  EXPECT_EQ(c.trials, (std::vector<int64_t>{5, 5}));
  ASSERT_EQ(c.metrics.size(), 4u);
  EXPECT_EQ(c.metrics[0].metric, "mse");
  EXPECT_EQ(c.metrics[1].metric, "lime/stability[0]");
  EXPECT_EQ(c.metrics[2].metric, "only_base");
  EXPECT_EQ(c.metrics[3].metric, "a,\"b\"");  // unquoted as report.cpp quotes it

  const xreg::ComparedValue& mse1 = c.metrics[0].runs[0];
  const xreg::ComparedValue& mse2 = c.metrics[0].runs[1];
  EXPECT_EQ(mse1.trials, 5);
  EXPECT_DOUBLE_EQ(mse1.mean, 3.0);
  EXPECT_NEAR(mse1.sd, std::sqrt(2.5), 1e-12);
  EXPECT_TRUE(std::isnan(mse1.change_percent));  // the first run is the baseline
  EXPECT_TRUE(std::isnan(mse1.p));
  EXPECT_DOUBLE_EQ(mse2.mean, 6.0);
  EXPECT_NEAR(mse2.sd, std::sqrt(10.0), 1e-12);
  EXPECT_NEAR(mse2.change_percent, 100.0, 1e-12);
  EXPECT_NEAR(mse2.p, 0.10753119493, 1e-9);

  const xreg::ComparedValue& stability = c.metrics[1].runs[1];
  EXPECT_DOUBLE_EQ(stability.sd, 0.0);
  EXPECT_NEAR(stability.change_percent, -50.0, 1e-12);
  EXPECT_TRUE(std::isnan(stability.p));  // both variances 0

  EXPECT_EQ(c.metrics[2].runs[1].trials, 0);  // missing in the second run
  EXPECT_TRUE(std::isnan(c.metrics[2].runs[1].change_percent));
  EXPECT_EQ(c.metrics[3].runs[0].trials, 0);  // missing in the baseline
  EXPECT_EQ(c.metrics[3].runs[1].trials, 5);
  EXPECT_TRUE(std::isnan(c.metrics[3].runs[1].change_percent));
  EXPECT_TRUE(std::isnan(c.metrics[3].runs[1].p));
}

TEST(Compare, ChangeAgainstANegativeMeanAndAZeroMean) {
  const std::string first =
      write_run("negative_1", rows("score", "", {-2, -2.5, -1.5}) + rows("zero", "", {-1, 0, 1}));
  const std::string second =
      write_run("negative_2", rows("score", "", {-1, -1.5, -0.5}) + rows("zero", "", {1, 2, 3}));
  const xreg::RunComparison c = xreg::compare_runs({first, second});
  EXPECT_NEAR(c.metrics[0].runs[1].change_percent, 50.0, 1e-12);  // (-1 - -2) / |-2|
  EXPECT_TRUE(std::isnan(c.metrics[1].runs[1].change_percent));   // against a mean of 0
  EXPECT_NEAR(c.metrics[1].runs[1].p, two_sided_p(welch_t_df({1, 2, 3}, {-1, 0, 1}).first, 4),
              1e-9);
}

TEST(Compare, PrintsTheTableAndWritesMarkdownAndHtml) {
  write_run("table_a", rows("mse", "", {1, 2, 3, 4, 5}) + rows("extra", "1", {1, 2, 3, 4, 5}));
  write_run("table_b", rows("mse", "", {2, 4, 6, 8, 10}));
  write_run("table_c", rows("mse", "", {1, 2, 3, 4, 5}) + rows("extra", "1", {5, 5, 5, 5, 6}));
  const Outcome run = xreg("compare table_a table_b/ ./table_c --markdown t.md --html t.html");
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out,
            "metric      table_a    table_b  change      p       table_c  change       p\n"
            "---------------------------------------------------------------------------\n"
            "mse       3 (1.581)  6 (3.162)   +100%  0.108     3 (1.581)      0%       1\n"
            "extra[1]  3 (1.581)          –       –      –  5.2 (0.4472)  +73.3%  0.0333\n"
            "trials            5          5                            5\n");
  const std::string markdown = slurp(scratch() / "t.md");
  EXPECT_NE(
      markdown.find("| metric | table_a | table_b | change | p | table_c | change | p |\n"
                    "|---|---:|---:|---:|---:|---:|---:|---:|\n"
                    "| mse | 3 (1.581) | 6 (3.162) | +100% | 0.108 | 3 (1.581) | 0% | 1 |\n"
                    "| extra[1] | 3 (1.581) | – | – | – | 5.2 (0.4472) | +73.3% | 0.0333 |\n"),
      std::string::npos)
      << markdown;
  EXPECT_NE(markdown.find("Welch t-test"), std::string::npos);
  const std::string html = slurp(scratch() / "t.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<th>table_b</th>"), std::string::npos);
  EXPECT_NE(html.find("<td>extra[1]</td><td>3 (1.581)</td><td>–</td>"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("http"), std::string::npos);  // self-contained: nothing to fetch
}

TEST(Compare, OneRunAndCollidingNames) {
  write_run("x/run", rows("mse", "", {1, 2}));
  write_run("y/run", rows("mse", "", {1, 2}));
  const Outcome one = xreg("compare x/run");
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(
      one.out,
      "metric           run\n--------------------\nmse     1.5 (0.7071)\ntrials             2\n");
  const Outcome two = xreg("compare x/run y/run");
  ASSERT_EQ(two.code, 0) << two.err;
  EXPECT_EQ(two.out,  // both named "run": the folders as given
            "metric         x/run         y/run  change  p\n"
            "---------------------------------------------\n"
            "mse     1.5 (0.7071)  1.5 (0.7071)      0%  1\n"
            "trials             2             2\n");
}

/// `xreg ARGS` fails with exit code 2 and one line on stderr holding `message`.
void expect_refusal(const std::string& args, const std::string& message) {
  const Outcome run = xreg(args);
  EXPECT_EQ(run.code, 2) << args << ": " << run.err;
  EXPECT_EQ(lines(run.err), 1) << run.err;
  EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  EXPECT_EQ(run.out, "");
}

TEST(Compare, RefusesWhatIsNotAFinishedRun) {
  const std::string good = rows("mse", "", {1, 2, 3});
  write_run("good", good);
  expect_refusal("compare", "compare: expected at least one RUN_DIR, found none");
  expect_refusal("compare good missing", "missing: no such run folder");
  std::ofstream(scratch() / "a_file") << "x\n";
  expect_refusal("compare good a_file", "a_file: expected a run folder, found a file");
  fs::create_directories(scratch() / "empty");
  expect_refusal("compare good empty",
                 "empty: expected a run folder of xreg run, found no metrics_trials.csv");
  fs::create_directories(scratch() / "sweep");
  std::ofstream(scratch() / "sweep" / "sweep.csv") << "point\n";
  expect_refusal("compare sweep", "(a sweep's folder: compare its points/<i>)");
  write_run("interrupted", good, /*complete=*/false);
  expect_refusal("compare good interrupted",
                 "interrupted: an interrupted run (no run.complete), not a result");
  write_run("failed", good, /*complete=*/false);
  std::ofstream(scratch() / "failed" / "run.failed") << "xreg: the run failed: boom\n";
  expect_refusal("compare failed good", "failed: a failed run (run.failed, no run.complete)");
}

TEST(Compare, RefusesMalformedLinesWithFileAndLine) {
  const auto refuse = [](const std::string& name, const std::string& body,
                         const std::string& message) {
    write_run(name, "");
    std::ofstream(scratch() / name / "metrics_trials.csv") << body;
    expect_refusal("compare " + name, name + "/metrics_trials.csv:" + message);
  };
  const std::string header = "trial,metric,output,mean,sd,points\n";
  refuse("no_header", "0,mse,,1,0,5\n",
         "1: expected the header trial,metric,output,mean,sd,points, found '0,mse,,1,0,5'");
  refuse("empty_file", "",
         "1: expected the header trial,metric,output,mean,sd,points, found nothing");
  refuse("fields", header + "0,mse,,1,0,5\n1,mse,1,0\n",
         "3: expected 6 fields (trial,metric,output,mean,sd,points), found 4");
  refuse("trial", header + "first,mse,,1,0,5\n", "2: expected a trial number, found 'first'");
  refuse("output", header + "0,mse,-1,1,0,5\n",
         "2: expected an output index or an empty field, found '-1'");
  refuse("mean", header + "0,mse,,1.5x,0,5\n", "2: expected a number for the mean, found '1.5x'");
  refuse("twice", header + "0,mse,,1,0,5\n0,mse,,2,0,5\n",
         "3: expected one row per trial and metric, found trial 0's mse again");
  refuse("quote", header + "0,\"mse,,1,0,5\n",
         "2: expected a closing '\"', found the end of the line");
}

TEST(Compare, ReadsUndefinedValuesAsWritten) {
  // report.cpp writes "nan" for a metric undefined in a trial: read, not refused.
  write_run("with_nan", "0,mse,,nan,nan,5\n1,mse,,1,0,5\n");
  const xreg::RunComparison c = xreg::compare_runs({(scratch() / "with_nan").string()});
  ASSERT_EQ(c.metrics.size(), 1u);
  EXPECT_EQ(c.metrics[0].runs[0].trials, 2);
  EXPECT_TRUE(std::isnan(c.metrics[0].runs[0].mean));
}

}  // namespace
