#pragma once
/// Schemas of the host's sections of a pipeline file ([run], [data], [train], [find_another]) and
/// of the host's keys inside plugin slots.

#include "xreg/host/plugin/schema.hpp"

namespace xreg {

const Schema& run_schema();
const Schema& data_schema();  ///< the [data] section: files or generator, split, standardization
const Schema& train_schema();
const Schema& find_another_schema();      ///< [find_another]: iterations, threshold
const Schema& regularizer_slot_schema();  ///< weight, weight_mode, batch_size, name
const Schema& labeled_slot_schema();      ///< name: explainer slots
const Schema& metric_slot_schema();       ///< name, explainers: metric slots

}  // namespace xreg
