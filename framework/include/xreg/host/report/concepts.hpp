#pragma once
/// What a run shows of a self-explaining model's learned concepts (SENN §4, "grounding"): per
/// concept the training examples that activate it most, and one test point explained by its
/// concept relevances; written per trial under concepts/ as CSV, and as PNG for images.

#include <string>

#include "xreg/sdk/context.hpp"
#include "xreg/sdk/model.hpp"

namespace xreg {

struct ConceptFigures {
  torch::Tensor prototype_rows;         ///< int64 [c, l]: training rows, most active first
  torch::Tensor prototype_activations;  ///< [c, l]: each row's concept value
  torch::Tensor prototype_inputs;       ///< [c, l, d...]: the rows themselves
  torch::Tensor explained_input;        ///< [d...]: the first test point
  torch::Tensor explained_relevances;   ///< [c]: θ of its predicted output
  int64_t explained_output = 0;         ///< the output (class) whose relevances those are

  bool defined() const { return prototype_rows.defined(); }
};

/// The figures of `model` when it has learned concepts (it gives "concepts" and
/// "reconstruction" extras) and `per_concept` > 0; undefined figures otherwise. The concepts of
/// the whole training split are computed in batch-independent passes.
ConceptFigures concept_figures(Model& model, const Dataset& train, const Dataset& test,
                               int64_t per_concept, const Context& ctx);

/// Writes concepts/trial-<trial>-prototypes.csv (concept, rank, row, activation) and
/// -explained.csv (concept, relevance) into `folder`, and for images [C, H, W] the grids
/// -prototypes.png (a row of examples per concept) and -explained.png (the point and a bar per
/// concept relevance, up for positive, down for negative). Files are written atomically.
void write_concept_figures(const std::string& folder, int64_t trial, const ConceptFigures& figures);

}  // namespace xreg
