#pragma once
/// Validation by construction: see instantiate.cpp.

#include "xreg/host/config/pipeline.hpp"

namespace xreg {

/// Constructs every slot's plugin once (a refusal becomes a ConfigError at the slot's
/// position; a plugin bug a RunError) and fills each metric slot's scores_explanations and
/// scored_explainers. Throws ConfigError when a metric cannot score the explainers it names,
/// or scores explanations and no explainer gives a kind it accepts.
void instantiate_slots(Pipeline& pipeline, const Registry& registry);

}  // namespace xreg
