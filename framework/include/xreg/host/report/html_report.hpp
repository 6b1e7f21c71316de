#pragma once
/// report.html: a run folder's results as one self-contained page (inline style, SVG charts and
/// PNG images as data URIs; no scripts, nothing fetched) built from the folder's files alone,
/// so that `xreg report RUN_DIR` rebuilds it byte for byte. A run's page shows the metric table
/// (mean (SD) over trials), the training curves, explanation examples (the largest coefficients
/// of a few test points), SENN's concept figures, find-another-explanation's iterations, and,
/// folded, the per-trial values, the resolved pipeline and the plugins' versions; a sweep's page
/// shows its table and figure and links each point's own page.

#include <string>

namespace xreg {

/// The page of the run (or sweep) in `folder`, from the files report.hpp lists. Does not
/// require run.complete: write_report builds the page before publishing the folder. Throws
/// ConfigError naming the file when a file it needs is missing or malformed.
std::string html_report(const std::string& folder);

/// Writes `folder`/report.html for a finished run (`xreg report`). Throws ConfigError when
/// `folder` is missing, is a file, or holds no finished run (no run.complete, or run.failed).
void rebuild_html_report(const std::string& folder);

}  // namespace xreg
